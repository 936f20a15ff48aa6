/**
 * A real registry for tests: Debian's docker-registry (CNCF distribution 2.8), started on a
 * free port on 127.0.0.1 with a temporary storage directory, optionally behind htpasswd basic
 * auth, and stopped afterwards. Absent binary: the tests skip saying so, except in CI (CI set,
 * or MODELSEAL_REQUIRE_REGISTRY=1 as .ci/run sets it after installing the package): they fail.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {bcrypt} from 'hash-wasm'

export const REGISTRY_BIN = process.env.MODELSEAL_REGISTRY_BIN ?? '/usr/bin/docker-registry'
export const hasRegistry = existsSync(REGISTRY_BIN)
const required = process.env.MODELSEAL_REQUIRE_REGISTRY === '1' || !!process.env.CI

/** `{skip}` value for tests that need the real registry. */
export const registrySkip: string | false = hasRegistry
  ? false
  : required
    ? false // let the test run and fail loudly: CI promised a registry
    : `${REGISTRY_BIN} is absent (Debian package docker-registry; .ci/run installs it): real-registry tests skipped`

export interface RealRegistry {
  host: string
  dir: string
  stop(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

/** An htpasswd line (distribution accepts only bcrypt), hashed with hash-wasm's bcrypt. */
async function htpasswdLine(user: string, password: string): Promise<string> {
  const hash = await bcrypt({password, salt: randomBytes(16), costFactor: 4, outputType: 'encoded'})
  return `${user}:${hash}\n`
}

export async function startRegistry(opts: {user?: string; password?: string} = {}): Promise<RealRegistry> {
  if (!hasRegistry) throw new Error(`${REGISTRY_BIN} is absent but MODELSEAL_REQUIRE_REGISTRY=1`)
  const dir = mkdtempSync(path.join(tmpdir(), 'modelseal-registry-'))
  let lastErr: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const auth = opts.user ? `auth:\n  htpasswd:\n    realm: modelseal-test\n    path: ${path.join(dir, 'htpasswd')}\n` : ''
    if (opts.user) writeFileSync(path.join(dir, 'htpasswd'), await htpasswdLine(opts.user, opts.password ?? ''))
    const config = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${auth}`
    const cfgFile = path.join(dir, 'config.yml')
    writeFileSync(cfgFile, config)
    const child = spawn(REGISTRY_BIN, ['serve', cfgFile], {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)))
    const host = `127.0.0.1:${port}`
    try {
      await waitReady(host, child)
      return {host, dir, stop: () => stop(child, dir)}
    } catch (err) {
      lastErr = new Error(`${(err as Error).message}\n${stderr}`)
      await stop(child, undefined)
    }
  }
  rmSync(dir, {recursive: true, force: true})
  throw lastErr
}

async function waitReady(host: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`registry exited with ${child.exitCode}`)
    try {
      const r = await fetch(`http://${host}/v2/`)
      await r.body?.cancel()
      if (r.status === 200 || r.status === 401) return
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('registry did not start within 15 s')
}

function stop(child: ChildProcess, dir: string | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      if (dir) rmSync(dir, {recursive: true, force: true})
      resolve()
    }
    if (child.exitCode !== null || child.signalCode !== null) return done()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(timer)
      done()
    })
    child.kill('SIGTERM')
  })
}
