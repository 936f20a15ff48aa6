/**
 * The one worker engine of the library: file hashing (src/hashing), dataset hashing (src/dataset)
 * and weight scans (src/scan/weights) all run their parallel work here. Node's hashing and the
 * weight statistics run synchronously on the calling thread, so using every core needs threads.
 *
 * - One bootstrap: every worker runs serve.ts, which loads a task's *handler module* (named by
 *   URL in the task) on first use. A handler module exports `handle(payload, ctx)` and describes
 *   itself with defineHandler(import.meta.url, handle); the engine knows nothing of hashing or
 *   scanning, and those modules depend on it, not the reverse. A thread starts from the worker
 *   bundle dist/worker.cjs when the build wrote one after the compiled modules (scripts/bundle.mjs:
 *   serve.ts and every handler module in one CommonJS file: no ES module loader, one file to read;
 *   ~10 ms less before a thread hashes), else from worker.ts and the compiled modules. A bundle's
 *   thread that fails before its code has loaded (a damaged file) is replaced by one from the
 *   modules, its tasks resent (none of them can have started); later threads start from the modules.
 * - One scheduler: tasks queue in order and go to the first free lane. An engine of N lanes runs a
 *   task that allows it on N − 1 worker threads plus this thread (the "main lane": one thread
 *   fewer to start, and the main thread would otherwise only wait; a single task starts no thread
 *   at all); a task whose caller keeps the main thread busy (dataset hashing: walking, sorting,
 *   writing) says `mainLane: false` and gets N worker threads. Each worker holds up to PREFETCH
 *   tasks so that it never idles while the main lane is busy with a synchronous task — except a
 *   `long` task (e.g. a big file): it goes only to an idle lane, and a lane running one gets no
 *   other task, so the last long tasks go to whichever lane frees first. (Prefetched, two 256 MiB
 *   files hashed side by side on one worker left the main lane idle for up to two files' time.)
 * - `ordered()` runs a task stream with bounded work in flight (back-pressure: the producer is
 *   pulled only as results are taken), yields results in task order, and stops at the first
 *   error (nothing more is started; the error of the earliest failing task is thrown).
 * - Progress: handlers report bytes (ctx.progress) as they go; callers get them per task.
 * - Idle workers are unref'd: an engine nobody closes never keeps the process alive.
 *
 * Callers cut the work: small files batched into one task, big files into ranges (see
 * src/hashing/batch.ts, src/dataset/file-hasher.ts, src/scan/weights/pool.ts).
 */
import {statSync} from 'node:fs'
import os from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import {InputError, UsageError} from '../errors.js'
import {reviveError, type SerializedError, type TaskReply, type TaskRequest} from './protocol.js'

/** Upper bound on worker threads, whatever the caller or the machine says. */
export const MAX_WORKERS = 64
/** Tasks a worker holds at once (one running, the next already delivered). */
export const PREFETCH = 2

/** A handler: its module's URL (for worker threads) and the function itself (for the main lane). */
export interface HandlerRef<P, R> {
  url: string
  fn: Handler<P, R>
}

/** Called by a handler module about itself: `defineHandler(import.meta.url, handle)`. */
export function defineHandler<P, R>(url: string, fn: Handler<P, R>): HandlerRef<P, R> {
  return {url, fn}
}

export interface Task<P, R = unknown> {
  handler: HandlerRef<P, R>
  payload: P
  /** May run on this thread (default true); false when the caller's own work keeps it busy. */
  mainLane?: boolean
  /** ArrayBuffers moved (not copied) to the worker with the payload. */
  transfer?: ArrayBuffer[]
  /**
   * A task long enough (tens of ms or more) that a round trip is nothing beside it: never queued
   * behind another task on a worker (no prefetch), so lanes finish together. Default false.
   */
  long?: boolean
}

export interface HandlerContext {
  /** Reports bytes done (progress bars); cheap to call often. */
  progress(bytes: number): void
}

/** What a handler module exports. `transfer` lists buffers of the result to move back. */
export type Handler<P, R> = (payload: P, ctx: HandlerContext) => Promise<HandlerResult<R>> | HandlerResult<R>
export interface HandlerResult<R> {
  value: R
  transfer?: ArrayBuffer[]
}

export interface EngineOptions {
  /** Lanes (default: available cores, or MODELSEAL_WORKERS). 0 = the main lane only. */
  workers?: number
  /** Let tasks run on this thread (default true). */
  mainLane?: boolean
  /**
   * The worker bundle threads start from: a path, or false for the compiled modules. Default: the
   * build's dist/worker.cjs when it is newer than the compiled modules (never with
   * MODELSEAL_NO_BUNDLE=1, which bin/run.cjs also reads).
   */
  workerBundle?: string | false
}

/** Counters for tests and benchmarks (no timing). */
export interface EngineStats {
  workersStarted: number
  /** Threads started from the worker bundle (counted in workersStarted too). */
  workersFromBundle: number
  /** Threads bin/run.cjs had started before the command loaded, taken over (counted in both above). */
  workersPrestarted: number
  tasksRun: number
  tasksOnMainLane: number
  /** Most tasks ever queued or running at once. */
  peakPending: number
}

interface Pending {
  task: Task<unknown, unknown>
  onProgress?: (bytes: number) => void
  resolve: (v: unknown) => void
  reject: (e: Error) => void
}

interface Lane {
  worker: Worker
  running: Map<number, Pending>
  /** Long tasks among `running` (a lane running one takes nothing else). */
  long: number
  /** The worker bundle it started from (undefined: the compiled modules). */
  file?: string
  /** The thread's code has loaded (its 'ready' message came). */
  ready: boolean
  /** Out of the engine (failed, exited or replaced). */
  gone: boolean
}

export function defaultWorkerCount(): number {
  const env = Number(process.env.MODELSEAL_WORKERS)
  const lanes = Number.isInteger(env) && env > 0 ? env : os.availableParallelism()
  return Math.max(1, Math.min(MAX_WORKERS, lanes))
}

/** Bundles a thread failed to start from (before its code loaded): this process uses them no more. */
const failedBundles = new Set<string>()
/** The build's worker bundle, once looked for (null: none usable). */
let builtBundle: string | null | undefined

/**
 * dist/worker.cjs beside the compiled modules, when the build wrote it after them. A later `tsc`
 * alone rewrites the modules and leaves the bundle behind: then it is stale and not used (as
 * bin/run.cjs does with the command bundles). From TypeScript sources there is none.
 */
function findBuiltBundle(): string | null {
  if (builtBundle !== undefined) return builtBundle
  builtBundle = null
  const here = import.meta.url
  if (here.startsWith('file:') && !here.endsWith('.ts')) {
    const bundle = fileURLToPath(new URL('../../worker.cjs', here))
    const built = statSync(bundle, {throwIfNoEntry: false})
    const compiled = statSync(fileURLToPath(new URL('./serve.js', here)), {throwIfNoEntry: false})
    if (built?.isFile() && !(compiled && compiled.mtimeMs > built.mtimeMs)) builtBundle = bundle
  }
  return builtBundle
}

function bundleFor(opt: string | false | undefined): string | undefined {
  if (opt === false) return undefined
  const bundle = opt ?? (process.env.MODELSEAL_NO_BUNDLE === '1' ? undefined : (findBuiltBundle() ?? undefined))
  return bundle === undefined || failedBundles.has(bundle) ? undefined : bundle
}

/**
 * Threads bin/run.cjs started from the worker bundle before the command loaded (a command that
 * will hash a big model; see startWorkersEarly there), waiting to be taken over by the engine
 * as it would start its own. The launcher records, until then, whether each has loaded or failed.
 */
interface PrestartedWorker {
  file: string
  worker: Worker
  ready: boolean
  failed: boolean
  /** Removes the launcher's listeners. */
  release(): void
}
const PRESTARTED = Symbol.for('modelseal.workers.prestarted')

/** A thread the launcher started from `bundle`, if one is left; failed ones are dropped (and their bundle with them). */
function takePrestarted(bundle: string): PrestartedWorker | undefined {
  const waiting = (globalThis as {[PRESTARTED]?: PrestartedWorker[]})[PRESTARTED]
  while (waiting?.length) {
    const i = waiting.findIndex((w) => w.file === bundle)
    if (i < 0) return undefined
    const [w] = waiting.splice(i, 1)
    w.release()
    if (!w.failed) return w
    if (!w.ready) failedBundles.add(w.file)
    void w.worker.terminate()
    if (failedBundles.has(bundle)) return undefined
  }
  return undefined
}

/**
 * A worker thread: from the bundle when given one, else the worker module beside this one. From
 * TypeScript sources, Node (20) does not apply the parent's `--import tsx` hooks to worker
 * threads, so a small bootstrap registers tsx in the worker first.
 */
function startWorker(bundle: string | undefined): Worker {
  const here = import.meta.url
  // Workers inherit the process's Node options. Only --input-type (a `node -e` script) must be
  // dropped, and only then is a list given: an explicit list may hold no process-wide option, and
  // Node 24's test runner starts each test file with dozens of them (inherited, they are fine).
  const execArgv = process.execArgv.some((a) => a.startsWith('--input-type'))
    ? process.execArgv.filter((a) => !a.startsWith('--input-type') && process.allowedNodeEnvironmentFlags.has(a.split('=')[0]))
    : undefined
  if (bundle !== undefined) return new Worker(bundle, execArgv ? {execArgv} : {})
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), execArgv ? {execArgv} : {})
  const tsxApi = import.meta.resolve('tsx/esm/api')
  const target = new URL('./worker.ts', here).href
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}) })`, {eval: true, execArgv})
}

export class WorkerEngine {
  readonly workers: number
  readonly mainLane: boolean
  readonly stats: EngineStats = {workersStarted: 0, workersFromBundle: 0, workersPrestarted: 0, tasksRun: 0, tasksOnMainLane: 0, peakPending: 0}
  private readonly workerBundle: string | false | undefined
  private readonly lanes: Lane[] = []
  private readonly queue: Pending[] = []
  private mainBusy = false
  private nextId = 1
  private pending = 0
  private closed = false
  private fatal?: Error

  constructor(opts: EngineOptions = {}) {
    const mainLane = opts.mainLane ?? true
    const workers = opts.workers ?? defaultWorkerCount()
    if (!Number.isInteger(workers) || workers < 0) throw new UsageError('E_BAD_WORKERS', `invalid worker count ${workers}`)
    if (workers === 0 && !mainLane) throw new UsageError('E_BAD_WORKERS', 'an engine needs a worker or the main lane')
    this.workers = Math.min(workers, MAX_WORKERS)
    this.mainLane = mainLane
    this.workerBundle = opts.workerBundle
  }

  /** Lanes that run tasks at once. */
  get parallelism(): number {
    return Math.max(1, this.workers)
  }

  /** Starts every worker (or `count` of them) now, so that their start-up overlaps whatever comes before the first task. */
  warm(count = this.workers): this {
    while (!this.closed && this.lanes.length < Math.min(count, this.workers)) this.spawn()
    return this
  }

  /** Runs one task on the first free lane. */
  run<P, R>(task: Task<P, R>, onProgress?: (bytes: number) => void): Promise<R> {
    if (this.closed) return Promise.reject(new InputError('E_WORKER', 'the worker engine is closed'))
    if (this.fatal) return Promise.reject(this.fatal)
    return new Promise<R>((resolve, reject) => {
      this.queue.push({task: task as Task<unknown, unknown>, onProgress, resolve: resolve as (v: unknown) => void, reject})
      this.pending++
      if (this.pending > this.stats.peakPending) this.stats.peakPending = this.pending
      this.pump()
    })
  }

  /**
   * Runs a stream of tasks, at most `inFlight` at once (default: two per lane), and yields their
   * results in task order. The first failure stops the stream: no further task is started, and the
   * error of the earliest failing task is thrown once the tasks started before it have settled.
   * Breaking out of the loop early stops it the same way.
   */
  async *ordered<P, R>(
    tasks: Iterable<Task<P, R>> | AsyncIterable<Task<P, R>>,
    opts: {inFlight?: number; onProgress?: (bytes: number) => void} = {},
  ): AsyncGenerator<R> {
    const limit = Math.max(1, opts.inFlight ?? this.parallelism * PREFETCH)
    const it = Symbol.asyncIterator in tasks ? tasks[Symbol.asyncIterator]() : (tasks as Iterable<Task<P, R>>)[Symbol.iterator]()
    const window: Promise<{ok: true; value: R} | {ok: false; error: Error}>[] = []
    let exhausted = false
    let failed = false
    const fill = async () => {
      while (!exhausted && !failed && window.length < limit) {
        const next = await it.next()
        if (next.done) {
          exhausted = true
          break
        }
        window.push(
          this.run<P, R>(next.value, opts.onProgress).then(
            (value) => ({ok: true as const, value}),
            (error: Error) => {
              failed = true
              return {ok: false as const, error}
            },
          ),
        )
      }
    }
    try {
      await fill()
      while (window.length > 0) {
        const r = await window.shift()!
        if (!r.ok) {
          // Earlier tasks have all succeeded (they were yielded); later ones are abandoned.
          await Promise.allSettled(window)
          throw r.error
        }
        yield r.value
        await fill()
      }
    } finally {
      failed = true
      await Promise.allSettled(window)
      if (!exhausted) await (it as {return?: () => unknown}).return?.()
    }
  }

  /**
   * Stops the workers that have nothing to do, now rather than at process exit, so that their
   * teardown overlaps whatever the caller still does; the engine stays usable (a later task starts
   * a worker again). A worker with a task running or queued is kept.
   */
  releaseIdle(): void {
    if (this.closed) return
    for (let i = this.lanes.length - 1; i >= 0; i--) {
      const lane = this.lanes[i]
      if (lane.running.size > 0) continue
      this.lanes.splice(i, 1)
      // its exit is then no loss (lost() ignores a gone lane)
      lane.gone = true
      void lane.worker.terminate()
    }
  }

  /** Stops every worker; tasks not finished are rejected. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const err = new InputError('E_WORKER', 'the worker engine was closed')
    for (const p of this.queue.splice(0)) p.reject(err)
    for (const lane of this.lanes) for (const p of lane.running.values()) p.reject(err)
    await Promise.all(this.lanes.map((l) => l.worker.terminate()))
    this.lanes.length = 0
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0]
      const mainOk = this.mainLane && (head.task.mainLane !== false || this.workers === 0)
      // With the main lane, one thread fewer: the main thread is the last lane.
      const threadCap = mainOk ? this.workers - 1 : this.workers
      const idle = this.lanes.find((l) => l.running.size === 0)
      if (idle) {
        this.send(idle, this.queue.shift()!)
        continue
      }
      if (mainOk && !this.mainBusy) {
        this.runHere(this.queue.shift()!)
        continue
      }
      if (this.lanes.length < threadCap) {
        this.send(this.spawn(), this.queue.shift()!)
        continue
      }
      // A long task waits for an idle lane; nothing is queued behind a long task.
      if (head.task.long) return
      let room: Lane | undefined
      for (const l of this.lanes) if (l.long === 0 && l.running.size < PREFETCH && (!room || l.running.size < room.running.size)) room = l
      if (!room) return
      this.send(room, this.queue.shift()!)
    }
  }

  private send(lane: Lane, p: Pending): void {
    const id = this.nextId++
    lane.running.set(id, p)
    if (p.task.long) lane.long++
    lane.worker.ref()
    const msg: TaskRequest = {id, handler: p.task.handler.url, payload: p.task.payload}
    lane.worker.postMessage(msg, p.task.transfer ?? [])
  }

  private settle(): void {
    this.pending--
    this.stats.tasksRun++
  }

  private runHere(p: Pending): void {
    this.mainBusy = true
    this.stats.tasksOnMainLane++
    const done = () => {
      this.mainBusy = false
      this.settle()
      // Let the caller see this result before the next main-lane task (which may block) starts.
      setImmediate(() => this.pump())
    }
    // The handler starts after a turn of the event loop, not in a microtask: a caller that queues
    // the next task as it takes each result (ordered() does) would otherwise chain main-lane tasks
    // back to back in one microtask checkpoint, and the worker threads' replies (read by the event
    // loop) would wait for the chain to end while those threads idle.
    setImmediate(() => {
      Promise.resolve()
        .then(() => p.task.handler.fn(p.task.payload, {progress: (n) => p.onProgress?.(n)}))
        .then(
          (r) => {
            done()
            p.resolve(r.value)
          },
          (err: unknown) => {
            done()
            p.reject(err instanceof Error ? err : new Error(String(err)))
          },
        )
    })
  }

  private spawn(): Lane {
    let bundle = bundleFor(this.workerBundle)
    const early = bundle === undefined ? undefined : takePrestarted(bundle)
    if (!early && bundle !== undefined && failedBundles.has(bundle)) bundle = undefined
    const worker = early?.worker ?? startWorker(bundle)
    this.stats.workersStarted++
    if (bundle !== undefined) this.stats.workersFromBundle++
    if (early) this.stats.workersPrestarted++
    const lane: Lane = {worker, running: new Map(), long: 0, file: bundle, ready: early?.ready ?? false, gone: false}
    worker.on('message', (msg: TaskReply) => {
      if (msg.type === 'ready') {
        lane.ready = true
        return
      }
      const p = lane.running.get(msg.id)
      if (!p) return
      if (msg.type === 'progress') {
        p.onProgress?.(msg.bytes)
        return
      }
      lane.running.delete(msg.id)
      if (p.task.long) lane.long--
      if (lane.running.size === 0) worker.unref()
      this.settle()
      if (msg.type === 'done') p.resolve(msg.value)
      else p.reject(reviveError(msg.error as SerializedError))
      this.pump()
    })
    worker.on('error', (err) => this.lost(lane, err))
    worker.on('exit', (code) => this.lost(lane, new Error(`exited with code ${code}`), true))
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref()
    this.lanes.push(lane)
    return lane
  }

  /** A thread failed (an error, or an exit with tasks on it) or ended. */
  private lost(lane: Lane, err: Error, exited = false): void {
    if (this.closed || lane.gone) return
    lane.gone = true
    const i = this.lanes.indexOf(lane)
    if (i >= 0) this.lanes.splice(i, 1)
    const tasks = [...lane.running.values()]
    lane.running.clear()
    lane.long = 0
    if (lane.file !== undefined && !lane.ready) {
      // The bundle's code never loaded, so no task started there: start the next thread from the
      // compiled modules and give it these tasks (unless buffers of theirs went with them).
      failedBundles.add(lane.file)
      if (tasks.every((p) => !p.task.transfer?.length)) {
        this.queue.unshift(...tasks)
        this.pump()
        return
      }
    }
    // An idle thread that ended is only one lane fewer (the next task starts another).
    if (tasks.length === 0 && exited) return
    this.fatal = new InputError('E_WORKER', `a worker thread failed: ${err.message}`)
    for (const p of tasks) p.reject(this.fatal)
    for (const p of this.queue.splice(0)) p.reject(this.fatal)
  }
}

let shared: WorkerEngine | undefined

/**
 * The process's engine: one set of threads for everything a command does (a sign with a scan
 * hashes and scans on the same workers). Its idle workers never keep the process alive.
 */
export function sharedEngine(): WorkerEngine {
  shared ??= new WorkerEngine()
  return shared
}
