/**
 * Worker threads of the engine start from the worker bundle the build writes (dist/worker.cjs:
 * serve.ts and every handler module in one CommonJS file), or from threads bin/run.cjs started
 * before the command loaded. Either must give exactly what threads started from the compiled
 * modules give; a damaged, empty or throwing bundle must cost only time (threads from the modules
 * take over, every task still runs once and fails closed as before); a stale bundle is not used.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import {threadId} from 'node:worker_threads'

import {InputError} from '../../src/errors.js'
import {BATCH_MAX_BYTES, INLINE_MAX_BYTES} from '../../src/hashing/batch.js'
import {HashPool} from '../../src/hashing/pool.js'
import {DEFAULT_SHARD_SIZE} from '../../src/oms/resource-name.js'
import {MAX_WORKERS, type Task, WorkerEngine} from '../../src/workers/engine.js'
import {repoRoot, tempDir} from '../helpers/cli.js'
import {testHandler, type TestPayload, type TestResult} from './test-handler.js'

const fromSrc = import.meta.url.endsWith('.ts')
const skip = fromSrc ? 'the worker bundle is used by the compiled modules (the build), not by the TypeScript sources' : false
const builtBundle = path.join(repoRoot, 'dist', 'worker.cjs')

const tmp = tempDir('modelseal-worker-bundle-')
after(tmp.cleanup)
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** Files of a few sizes (two above a batch, so that they are tasks of their own), and their digests. */
const files = [0, 1, 5000, (1 << 20) + 1, 17 << 20, (16 << 20) + 3].map((size, i) => {
  const p = path.join(tmp.dir, `f${i}.bin`)
  const bytes = randomBytes(size)
  fs.writeFileSync(p, bytes)
  return {path: p, digest: sha(bytes)}
})
const hashTasks = files.map((f) => ({path: f.path, alg: 'sha256' as const}))

/** Hashes the files on an engine of two worker threads (no main lane), each file a batch of its own. */
async function hashOn(engine: WorkerEngine): Promise<string[]> {
  const pool = new HashPool({engine})
  const out = await Promise.all(hashTasks.map(async (t) => (await pool.run([t]))[0].digest.toString('hex')))
  await pool.close()
  return out
}

test('threads start from the build’s worker bundle, and hash exactly as threads from the compiled modules', {skip}, async () => {
  assert.ok(fs.existsSync(builtBundle), 'dist/worker.cjs is missing: `npm run build` makes it')
  const bundled = new WorkerEngine({workers: 2, mainLane: false})
  const modules = new WorkerEngine({workers: 2, mainLane: false, workerBundle: false})
  try {
    const a = await hashOn(bundled)
    const b = await hashOn(modules)
    assert.deepEqual(
      a,
      files.map((f) => f.digest),
    )
    assert.deepEqual(b, a)
    assert.equal(bundled.stats.workersFromBundle, 2)
    assert.equal(bundled.stats.workersStarted, 2)
    assert.equal(modules.stats.workersFromBundle, 0)
    // Fail closed through the bundle's threads too: a file that is not the size it was listed with.
    const pool = new HashPool({engine: bundled})
    await assert.rejects(pool.run([{...hashTasks[4], expectedSize: (17 << 20) - 1}]), {code: 'E_FILE_CHANGED'})
    await assert.rejects(pool.run([{path: path.join(tmp.dir, 'missing'), alg: 'sha256'}]), {code: 'E_IO'})
  } finally {
    await bundled.close()
    await modules.close()
  }
})

test('a handler module the bundle does not hold is imported by its URL; its errors keep their class and code', {skip}, async () => {
  const engine = new WorkerEngine({workers: 1, mainLane: false})
  try {
    const task = (p: TestPayload): Task<TestPayload, TestResult> => ({handler: testHandler, payload: p})
    const r = await engine.run(task({n: 3}))
    assert.equal(r.n, 3)
    assert.notEqual(r.thread, threadId)
    assert.equal(engine.stats.workersFromBundle, 1)
    // The test handler's InputError comes from the compiled errors.ts, not the bundle's copy.
    await assert.rejects(engine.run(task({n: 4, fail: 'E_BAD_RANGE'})), (e: unknown) => e instanceof InputError && e.code === 'E_BAD_RANGE' && e.exitCode === 3)
  } finally {
    await engine.close()
  }
})

test('a damaged, empty or throwing worker bundle: threads from the compiled modules take its tasks, each run once', {skip}, async () => {
  const kinds = {
    damaged: 'this is not JavaScript (',
    empty: '',
    throwing: 'throw new Error("boom")',
    // loads, but as nothing the engine knows: exits without ever being ready
    silent: 'require("node:worker_threads").parentPort.close()',
  }
  for (const [kind, text] of Object.entries(kinds)) {
    const bad = path.join(tmp.dir, `worker-${kind}.cjs`)
    fs.writeFileSync(bad, text)
    const engine = new WorkerEngine({workers: 2, mainLane: false, workerBundle: bad})
    try {
      assert.deepEqual(
        await hashOn(engine),
        files.map((f) => f.digest),
        kind,
      )
      assert.ok(engine.stats.workersFromBundle >= 1, `${kind}: the bundle was tried`)
      assert.equal(engine.stats.tasksRun, files.length, `${kind}: every task ran once`)
    } finally {
      await engine.close()
    }
    // This process tries that bundle no more.
    const again = new WorkerEngine({workers: 1, mainLane: false, workerBundle: bad})
    try {
      assert.deepEqual(
        await hashOn(again),
        files.map((f) => f.digest),
      )
      assert.equal(again.stats.workersFromBundle, 0, kind)
    } finally {
      await again.close()
    }
  }
})

/** Runs a script in a fresh process (the launcher's state is per process), from the compiled tree. */
function child(script: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {cwd: repoRoot, encoding: 'utf8', env: {...process.env, ...env}})
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout.trim().split('\n').pop() as string)
}

test('bin/run.cjs plans its early threads with the library’s own batch, inline and shard sizes and thread cap', () => {
  const launcher = createRequire(import.meta.url)(path.join(repoRoot, 'bin', 'run.cjs'))
  assert.deepEqual(launcher.EARLY_START_PLAN, {
    batchMaxBytes: BATCH_MAX_BYTES,
    inlineMaxBytes: INLINE_MAX_BYTES,
    defaultShardSize: DEFAULT_SHARD_SIZE,
    maxWorkers: MAX_WORKERS,
  })
})

test('bin/run.cjs starts threads early only for a command that will hash a big model on several lanes, and the engine takes them over', {skip}, () => {
  const big = path.join(tmp.dir, 'big-model')
  fs.mkdirSync(big)
  fs.copyFileSync(files[4].path, path.join(big, 'a.bin'))
  fs.copyFileSync(files[5].path, path.join(big, 'b.bin'))
  const small = path.join(tmp.dir, 'small-model')
  fs.mkdirSync(small)
  fs.copyFileSync(files[3].path, path.join(small, 'a.bin'))
  fs.copyFileSync(files[2].path, path.join(small, 'b.bin'))
  const script = (argv: string[], model = argv[1]) => `
    const {createRequire} = await import('node:module')
    const launcher = createRequire(import.meta.url)('./bin/run.cjs')
    launcher.startWorkersEarly(${JSON.stringify(argv)})
    const early = globalThis[Symbol.for('modelseal.workers.prestarted')]?.length ?? 0
    const {serializeModel} = await import('./dist/src/oms/serialize.js')
    const {sharedEngine} = await import('./dist/src/workers/engine.js')
    const r = await serializeModel(${JSON.stringify(model)})
    console.log(JSON.stringify({early, root: r.manifest.rootDigest, stats: sharedEngine().stats}))`
  const env = {MODELSEAL_WORKERS: '2'}
  const expected = child(script(['digest', big]), {...env, MODELSEAL_NO_BUNDLE: '1'})
  assert.equal(expected.stats.workersFromBundle, 0)

  const taken = child(script(['digest', big]), env)
  assert.equal(taken.early, 1, 'one thread started early for two big files on two lanes')
  assert.equal(taken.root, expected.root)
  assert.equal(taken.stats.workersPrestarted, 1)
  assert.equal(taken.stats.workersStarted, 1, 'the engine started no thread of its own')

  for (const argv of [
    ['digest', small],
    ['digest', files[4].path],
    ['keys', 'generate', big],
  ]) {
    const r = child(script(argv, argv[2] ?? argv[1]), env)
    assert.equal(r.early, 0, `no early thread for ${argv.join(' ')}`)
  }
  const sparse = path.join(tmp.dir, 'sparse.bin')
  fs.writeFileSync(sparse, '')
  fs.truncateSync(sparse, 40 << 20)
  assert.equal(child(script(['digest', sparse, '--method', 'shards']), env).early, 0, 'one 1 GB shard')
  assert.equal(child(script(['digest', sparse]), env).early, 0, 'one big file, files method: hashed on the main thread')
  assert.equal(child(script(['digest', sparse, '--method', 'shards', '--shard-size', String(64 << 20)]), env).early, 0, 'one shard')
  assert.equal(child(script(['digest', sparse, '--method=shards', `--shard-size=${20 << 20}`]), env).early, 1, 'two shards')
  assert.equal(child(script(['digest', big]), {MODELSEAL_WORKERS: '8'}).early, 1, 'two files: one thread beside the main lane, whatever the cores')
  assert.equal(child(script(['digest', big]), {MODELSEAL_WORKERS: '1'}).early, 0, 'one lane: the main thread only')

  // An early thread from a damaged bundle: the engine drops it and starts one from the modules.
  const bad = path.join(tmp.dir, 'worker-early-damaged.cjs')
  fs.writeFileSync(bad, 'this is not JavaScript (')
  // Taken over after it failed (the launcher saw the failure) or before (the engine sees it).
  const badScript = (waitMs: number) => `
    const {createRequire} = await import('node:module')
    const launcher = createRequire(import.meta.url)('./bin/run.cjs')
    launcher.startWorkersEarly(${JSON.stringify(['digest', big])}, ${JSON.stringify(bad)})
    await new Promise((r) => setTimeout(r, ${waitMs}))
    const {WorkerEngine} = await import('./dist/src/workers/engine.js')
    const {serializeModel} = await import('./dist/src/oms/serialize.js')
    const {HashPool} = await import('./dist/src/hashing/pool.js')
    const engine = new WorkerEngine({workers: 2, workerBundle: ${JSON.stringify(bad)}})
    const r = await serializeModel(${JSON.stringify(big)}, {pool: new HashPool({engine})})
    console.log(JSON.stringify({root: r.manifest.rootDigest, stats: engine.stats}))
    await engine.close()`
  for (const waitMs of [300, 0]) {
    const fallback = child(badScript(waitMs), env)
    assert.equal(fallback.root, expected.root, `taken over after ${waitMs} ms`)
    assert.equal(fallback.stats.tasksRun, 2)
  }
})

test('the CLI digests a big model the same through early threads and the bundle as through the compiled modules', {skip}, () => {
  const model = path.join(tmp.dir, 'cli-model')
  fs.mkdirSync(model)
  for (const i of [2, 3, 4, 5]) fs.copyFileSync(files[i].path, path.join(model, `part-${i}.bin`))
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'run.cjs'), 'digest', model, '--json'], {
      encoding: 'utf8',
      env: {...process.env, MODELSEAL_NO_PROGRESS: '1', MODELSEAL_WORKERS: '2', ...env},
    })
  const bundled = run({})
  const unbundled = run({MODELSEAL_NO_BUNDLE: '1'})
  assert.equal(bundled.status, 0, bundled.stderr)
  assert.equal(bundled.stdout, unbundled.stdout)
  const digests = new Map((JSON.parse(bundled.stdout).resources as {name: string; digest: string}[]).map((r) => [r.name, r.digest]))
  for (const i of [2, 3, 4, 5]) assert.equal(digests.get(`part-${i}.bin`), files[i].digest)
})

test('a bundle older than the compiled modules (a tsc-only build) is not used', {skip}, () => {
  // A copy of the compiled engine with a bundle beside it: the engine looks for its bundle once per
  // process, relative to itself.
  const copy = path.join(tmp.dir, 'stale', 'dist')
  fs.cpSync(path.join(repoRoot, 'dist', 'src'), path.join(copy, 'src'), {recursive: true})
  fs.copyFileSync(builtBundle, path.join(copy, 'worker.cjs'))
  const serve = fs.statSync(path.join(copy, 'src', 'workers', 'serve.js'))
  const probe = `
    const {WorkerEngine} = await import(${JSON.stringify(pathToFileURL(path.join(copy, 'src', 'workers', 'engine.js')).href)})
    const engine = new WorkerEngine({workers: 1, mainLane: false})
    engine.warm()
    console.log(JSON.stringify(engine.stats))
    await engine.close()`
  fs.utimesSync(path.join(copy, 'worker.cjs'), serve.atime, new Date(serve.mtimeMs - 60_000))
  assert.equal(child(probe).workersFromBundle, 0, 'stale bundle used')
  fs.utimesSync(path.join(copy, 'worker.cjs'), serve.atime, new Date(serve.mtimeMs + 60_000))
  assert.equal(child(probe).workersFromBundle, 1, 'up-to-date bundle not used')
  fs.rmSync(path.join(copy, 'worker.cjs'))
  assert.equal(child(probe).workersFromBundle, 0)
})
