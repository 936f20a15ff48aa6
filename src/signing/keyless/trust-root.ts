/**
 * Where the keyless verifier's trust comes from:
 * - `trustedRootPath` / `trustConfigPath`: a file; no network I/O at all;
 * - `offline`: the public-good trusted root shipped with the tool (@sigstore/tuf's seed) or the
 *   one a previous online run cached through TUF, whichever is newer; no network I/O;
 * - otherwise: a TUF refresh against the public-good repository, cached for later offline use.
 */
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'

import type {TrustedRoot} from '@sigstore/protobuf-specs'

import {InputError, UsageError} from '../../errors.js'
import {networkCause} from './network.js'
import {parseTrustedRoot, readClientTrustConfig, readJsonFile} from './trust-files.js'

export const PUBLIC_GOOD_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev'
const TUF_TIMEOUT_MS = 10_000

export interface TrustOptions {
  trustedRootPath?: string
  trustConfigPath?: string
  offline?: boolean
  useStaging?: boolean
  /** TUF cache directory (default: MODELSEAL_TUF_CACHE, else the per-user data directory). */
  tufCachePath?: string
  /** TUF repository (default: MODELSEAL_TUF_MIRROR, else public-good), e.g. a private Sigstore. */
  tufMirrorUrl?: string
  /** Initial root.json for a mirror other than public-good (default: MODELSEAL_TUF_ROOT). */
  tufRootPath?: string
}

export type TrustSource = 'trusted-root-file' | 'trust-config' | 'shipped' | 'tuf-cache' | 'tuf'

export interface LoadedTrust {
  root: TrustedRoot
  source: TrustSource
  /** File or URL the root came from. */
  origin: string
}

export async function loadTrustedRoot(o: TrustOptions): Promise<LoadedTrust> {
  const chosen = [o.trustedRootPath && '--trusted-root', o.trustConfigPath && '--trust-config'].filter(Boolean)
  if (chosen.length > 1) throw new UsageError('E_SIGSTORE_CONFLICT', '--trusted-root and --trust-config are mutually exclusive')
  if (o.trustedRootPath) {
    const json = readJsonFile(o.trustedRootPath, 'trusted root', 'E_SIGSTORE_TRUSTED_ROOT')
    return {root: await parseTrustedRoot(json, o.trustedRootPath), source: 'trusted-root-file', origin: o.trustedRootPath}
  }
  if (o.trustConfigPath) {
    const {trustedRoot} = await readClientTrustConfig(o.trustConfigPath)
    return {root: trustedRoot, source: 'trust-config', origin: o.trustConfigPath}
  }
  if (o.useStaging) {
    // We ship no staging TUF root; staging trust must be given explicitly.
    throw new UsageError('E_SIGSTORE_STAGING_TRUST', 'verifying staging signatures needs the staging trusted root: pass --trusted-root or --trust-config')
  }
  const cachePath = o.tufCachePath ?? defaultTufCachePath()
  const mirror = (o.tufMirrorUrl ?? process.env.MODELSEAL_TUF_MIRROR ?? PUBLIC_GOOD_TUF_MIRROR).replace(/\/+$/, '')
  const rootPath = o.tufRootPath ?? process.env.MODELSEAL_TUF_ROOT
  if (o.offline) return offlineRoot(cachePath, mirror)
  return tufRoot(cachePath, mirror, rootPath)
}

export function defaultTufCachePath(): string {
  if (process.env.MODELSEAL_TUF_CACHE) return process.env.MODELSEAL_TUF_CACHE
  const home = os.homedir()
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'modelseal', 'tuf')
  if (process.platform === 'win32') {
    return path.join(process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'modelseal', 'tuf')
  }
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'modelseal', 'tuf')
}

/** The trusted root embedded in @sigstore/tuf's seeds.json (updated with each release of it). */
export function shippedTrustedRootJson(): unknown {
  const require = createRequire(import.meta.url)
  const seeds = require('@sigstore/tuf/seeds.json') as Record<string, {targets: Record<string, string>}>
  const b64 = seeds[PUBLIC_GOOD_TUF_MIRROR]?.targets?.['trusted_root.json']
  if (typeof b64 !== 'string') throw new InputError('E_SIGSTORE_TRUSTED_ROOT', 'the shipped trusted root is missing')
  return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'))
}

function repoCacheDir(cachePath: string, mirror: string): string {
  const url = new URL(mirror)
  return path.join(cachePath, encodeURIComponent(url.host + url.pathname.replace(/\/$/, '')))
}

async function offlineRoot(cachePath: string, mirror: string): Promise<LoadedTrust> {
  const cached = await cachedRoot(cachePath, mirror)
  if (mirror !== PUBLIC_GOOD_TUF_MIRROR) {
    if (cached) return cached
    throw new InputError('E_SIGSTORE_TUF', `--offline: no cached trusted root for ${mirror}; run once online or pass --trusted-root`)
  }
  const shipped: LoadedTrust = {
    root: await parseTrustedRoot(shippedTrustedRootJson(), '(shipped)'),
    source: 'shipped',
    origin: '@sigstore/tuf/seeds.json',
  }
  if (cached && newestStart(cached.root) > newestStart(shipped.root)) return cached
  return shipped
}

/**
 * The trusted root a previous TUF refresh left in the cache, if its bytes still match the
 * cached (TUF-verified) targets metadata. A stale or altered cache is ignored, not trusted.
 */
async function cachedRoot(cachePath: string, mirror: string): Promise<LoadedTrust | undefined> {
  const dir = repoCacheDir(cachePath, mirror)
  const file = path.join(dir, 'targets', 'trusted_root.json')
  const targetsMeta = path.join(dir, 'targets.json')
  if (!existsSync(file) || !existsSync(targetsMeta)) return undefined
  try {
    const bytes = readFileSync(file)
    const meta = JSON.parse(readFileSync(targetsMeta, 'utf8')) as {
      signed?: {targets?: Record<string, {length?: number; hashes?: {sha256?: string}}>}
    }
    const info = meta.signed?.targets?.['trusted_root.json']
    const digest = createHash('sha256').update(bytes).digest('hex')
    if (!info || info.length !== bytes.length || info.hashes?.sha256 !== digest) return undefined
    return {root: await parseTrustedRoot(JSON.parse(bytes.toString('utf8')), file), source: 'tuf-cache', origin: file}
  } catch {
    return undefined
  }
}

async function tufRoot(cachePath: string, mirror: string, rootPath: string | undefined): Promise<LoadedTrust> {
  const {getTrustedRoot} = await import('@sigstore/tuf')
  try {
    const root = await getTrustedRoot({
      cachePath,
      mirrorURL: mirror,
      rootPath,
      timeout: TUF_TIMEOUT_MS,
      retry: {retries: 1},
    })
    // Re-validate through the same checks as a user-supplied file.
    const {TrustedRoot} = await import('@sigstore/protobuf-specs')
    return {root: await parseTrustedRoot(TrustedRoot.toJSON(root), mirror), source: 'tuf', origin: mirror}
  } catch (err) {
    if (err instanceof InputError) throw err
    const down = networkCause(err)
    if (down)
      throw new InputError(
        'E_SIGSTORE_TUF',
        `the Sigstore TUF repository (${mirror}) is unreachable: ${down}; use --offline or --trusted-root FILE when there is no network`,
      )
    const cause = (err as {cause?: {message?: string}}).cause?.message
    throw new InputError(
      'E_SIGSTORE_TUF',
      `could not refresh the Sigstore trusted root through TUF from ${mirror} (${(err as Error).message}${cause ? `: ${cause}` : ''}); use --offline or --trusted-root FILE when there is no network`,
    )
  }
}

/** Latest start of any key or CA validity window: a proxy for how recent a trusted root is. */
function newestStart(root: TrustedRoot): number {
  let max = 0
  const see = (d?: Date) => {
    if (d && d.getTime() > max) max = d.getTime()
  }
  for (const t of [...root.tlogs, ...root.ctlogs]) see(t.publicKey?.validFor?.start)
  for (const ca of [...root.certificateAuthorities, ...root.timestampAuthorities]) see(ca.validFor?.start)
  return max
}
