/**
 * Where registry credentials come from, in the order docker, ORAS and cosign use: explicit
 * username/password (flags or MODELSEAL_REGISTRY_* environment), then the Docker client
 * configuration — a per-registry credential helper (`credHelpers`), the default store
 * (`credsStore`), then inline `auths` entries. No credentials means anonymous access.
 */
import {spawn} from 'node:child_process'
import {readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {InputError} from '../errors.js'

export interface RegistryCredentials {
  username?: string
  password?: string
  /** OAuth2 refresh token (Docker's `identitytoken`, a helper's `<token>` username). */
  identityToken?: string
  /** Where they came from, for messages (never the secret). */
  source: string
}

/** Docker config files over this size are not credentials files. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024
const HELPER_TIMEOUT_MS = 30_000
const MAX_HELPER_OUTPUT = 1024 * 1024

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG || path.join(homedir(), '.docker')
  return path.join(dir, 'config.json')
}

interface DockerConfig {
  auths?: Record<string, {auth?: string; username?: string; password?: string; identitytoken?: string}>
  credHelpers?: Record<string, string>
  credsStore?: string
}

function readDockerConfig(file: string): DockerConfig | undefined {
  let size: number
  try {
    size = statSync(file).size
  } catch {
    return undefined
  }
  if (size > MAX_CONFIG_BYTES) throw new InputError('E_OCI_CREDENTIALS', `${file} is ${size} bytes; not a Docker config`)
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as DockerConfig) : undefined
  } catch (err) {
    throw new InputError('E_OCI_CREDENTIALS', `cannot parse ${file}: ${(err as Error).message}`)
  }
}

/** The keys a Docker config may file a registry under (docker.io has a legacy URL key). */
function configKeys(registry: string): string[] {
  const host = registry.toLowerCase()
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') {
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']
  }
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`]
}

function helperKey(registry: string): string {
  return configKeys(registry)[0]
}

export interface CredentialOptions {
  username?: string
  password?: string
  env?: NodeJS.ProcessEnv
}

export async function resolveCredentials(registry: string, opts: CredentialOptions = {}): Promise<RegistryCredentials | undefined> {
  if (opts.username !== undefined || opts.password !== undefined) {
    if (!opts.username || opts.password === undefined) {
      throw new InputError('E_OCI_CREDENTIALS', 'give both --registry-username and --registry-password (or MODELSEAL_REGISTRY_USERNAME/_PASSWORD)')
    }
    return {username: opts.username, password: opts.password, source: 'flags'}
  }
  const file = dockerConfigPath(opts.env)
  const cfg = readDockerConfig(file)
  if (!cfg) return undefined
  const keys = configKeys(registry)
  const helper = keys.map((k) => cfg.credHelpers?.[k]).find((h) => typeof h === 'string' && h !== '')
  if (helper) return runCredentialHelper(helper, helperKey(registry), opts.env)
  for (const k of keys) {
    const entry = cfg.auths?.[k]
    if (!entry || typeof entry !== 'object') continue
    if (typeof entry.identitytoken === 'string' && entry.identitytoken) return {identityToken: entry.identitytoken, source: file}
    if (typeof entry.auth === 'string' && entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
      const i = decoded.indexOf(':')
      if (i <= 0) throw new InputError('E_OCI_CREDENTIALS', `${file}: the "auth" entry for ${k} is not base64(user:password)`)
      return {username: decoded.slice(0, i), password: decoded.slice(i + 1), source: file}
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      return {username: entry.username, password: entry.password, source: file}
    }
  }
  if (typeof cfg.credsStore === 'string' && cfg.credsStore) return runCredentialHelper(cfg.credsStore, helperKey(registry), opts.env, true)
  return undefined
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/**
 * Runs `docker-credential-NAME get` with the server URL on stdin (the docker-credential-helpers
 * protocol). A store that does not know the server answers "credentials not found": anonymous.
 */
function runCredentialHelper(name: string, server: string, env: NodeJS.ProcessEnv = process.env, optional = false): Promise<RegistryCredentials | undefined> {
  if (!HELPER_NAME.test(name)) return Promise.reject(new InputError('E_OCI_CREDENTIALS', `invalid credential helper name ${JSON.stringify(name)}`))
  const program = `docker-credential-${name}`
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], {env, stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), HELPER_TIMEOUT_MS)
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
      if (out.length > MAX_HELPER_OUTPUT) child.kill('SIGKILL')
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(0, 4096)))
    child.on('error', (e) => {
      clearTimeout(timer)
      if (optional && (e as NodeJS.ErrnoException).code === 'ENOENT') resolve(undefined)
      else reject(new InputError('E_OCI_CREDENTIALS', `credential helper ${program}: ${e.message}`))
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      const text = `${out}\n${err}`
      if (code !== 0) {
        if (/credentials not found/i.test(text)) return resolve(undefined)
        return reject(new InputError('E_OCI_CREDENTIALS', `credential helper ${program} failed (exit ${code}): ${err.trim().split('\n')[0] ?? ''}`))
      }
      try {
        const j = JSON.parse(out) as {Username?: unknown; Secret?: unknown}
        if (typeof j.Username !== 'string' || typeof j.Secret !== 'string') throw new Error('no Username/Secret')
        if (j.Username === '<token>') return resolve({identityToken: j.Secret, source: program})
        resolve({username: j.Username, password: j.Secret, source: program})
      } catch {
        // Never quote the output: JSON.parse's message echoes the text, and the text holds the secret.
        reject(new InputError('E_OCI_CREDENTIALS', `credential helper ${program} printed no credentials (expected JSON with Username and Secret)`))
      }
    })
    child.stdin.end(server)
  })
}
