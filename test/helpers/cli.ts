import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** Repository root (tests run from dist/test/...). */
export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)))
/** The team's shared directory beside the repository; it holds the OMS interop vectors. */
export const sharedDir = path.resolve(repoRoot, '..', 'shared')
/**
 * Real OMS bundles, keys and models from model_signing's test vectors, never copied into the
 * repository: MODELSEAL_OMS_VECTORS, else `oms-vectors` in the shared directory.
 */
export const omsVectorsDir = process.env.MODELSEAL_OMS_VECTORS ? path.resolve(process.env.MODELSEAL_OMS_VECTORS) : path.join(sharedDir, 'oms-vectors')
export const hasOmsVectors = existsSync(omsVectorsDir)
/** Reason string for `{skip}` when the OMS vectors are absent. */
export const omsVectorsSkip = hasOmsVectors
  ? false
  : `OMS interop vectors are absent (expected at ${omsVectorsDir}, or set MODELSEAL_OMS_VECTORS); interop tests skipped`

function findRoot(start: string): string {
  let dir = start
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'bin', 'run.js'))) return dir
    const up = path.dirname(dir)
    if (up === dir) throw new Error('repository root not found')
    dir = up
  }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built CLI (bin/run.js → dist/commands) as a child process, like a user would. */
export function runCli(
  args: string[],
  opts: {cwd?: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number} = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // MODELSEAL_TEST_FROM_SRC=1 runs the TypeScript sources through tsx (bin/dev.js), so a
    // test can run before (or without) a full build.
    const fromSrc = process.env.MODELSEAL_TEST_FROM_SRC === '1'
    // tsx by absolute URL: a bare `--import tsx` is resolved from the child's cwd (often a temp dir).
    const tsx = fromSrc ? import.meta.resolve('tsx') : ''
    const entry = fromSrc ? ['--import', tsx, path.join(repoRoot, 'bin', 'dev.js')] : [path.join(repoRoot, 'bin', 'run.js')]
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: {...process.env, NO_COLOR: '1', MODELSEAL_NO_PROGRESS: '1', ...opts.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** Parses the JSON printed by a --json run, with the raw output in the error if it is not JSON. */
export function parseJson<T = any>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`)
  }
}

/** Asserts the run failed the documented way: a one-line message and no stack trace. */
export function assertCleanFailure(r: CliResult): void {
  if (/\n\s+at .+\(.+:\d+:\d+\)/.test(r.stderr) || /\n\s+at .+\(.+:\d+:\d+\)/.test(r.stdout)) {
    throw new Error(`stack trace printed:\n${r.stderr}`)
  }
}

export function tempDir(prefix = 'modelseal-test-'): {dir: string; cleanup: () => void} {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}
