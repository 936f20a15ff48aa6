/**
 * The one worker engine of the library: file hashing (src/hashing), dataset hashing (src/dataset)
 * and weight scans (src/scan/weights) all run their parallel work here. Node's hashing and the
 * weight statistics run synchronously on the calling thread, so using every core needs threads.
 *
 * - One bootstrap: every worker runs worker.ts, which imports a task's *handler module* (named by
 *   URL in the task) on first use. A handler module exports `handle(payload, ctx)` and describes
 *   itself with defineHandler(import.meta.url, handle); the engine knows nothing of hashing or
 *   scanning, and those modules depend on it, not the reverse.
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
import os from 'node:os'
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
}

/** Counters for tests and benchmarks (no timing). */
export interface EngineStats {
  workersStarted: number
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
}

export function defaultWorkerCount(): number {
  const env = Number(process.env.MODELSEAL_WORKERS)
  const lanes = Number.isInteger(env) && env > 0 ? env : os.availableParallelism()
  return Math.max(1, Math.min(MAX_WORKERS, lanes))
}

/**
 * The worker module beside this one. From TypeScript sources, Node (20) does not apply the parent's
 * `--import tsx` hooks to worker threads, so a small bootstrap registers tsx in the worker first.
 */
function startWorker(): Worker {
  const here = import.meta.url
  // Workers inherit the process's Node options. Only --input-type (a `node -e` script) must be
  // dropped, and only then is a list given: an explicit list may hold no process-wide option, and
  // Node 24's test runner starts each test file with dozens of them (inherited, they are fine).
  const execArgv = process.execArgv.some((a) => a.startsWith('--input-type'))
    ? process.execArgv.filter((a) => !a.startsWith('--input-type') && process.allowedNodeEnvironmentFlags.has(a.split('=')[0]))
    : undefined
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), execArgv ? {execArgv} : {})
  const tsxApi = import.meta.resolve('tsx/esm/api')
  const target = new URL('./worker.ts', here).href
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}) })`, {eval: true, execArgv})
}

export class WorkerEngine {
  readonly workers: number
  readonly mainLane: boolean
  readonly stats: EngineStats = {workersStarted: 0, tasksRun: 0, tasksOnMainLane: 0, peakPending: 0}
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
  }

  /** Lanes that run tasks at once. */
  get parallelism(): number {
    return Math.max(1, this.workers)
  }

  /** Starts every worker now, so that their start-up overlaps whatever comes before the first task. */
  warm(): this {
    while (!this.closed && this.lanes.length < this.workers) this.spawn()
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
  }

  private spawn(): Lane {
    const worker = startWorker()
    this.stats.workersStarted++
    const lane: Lane = {worker, running: new Map(), long: 0}
    worker.on('message', (msg: TaskReply) => {
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
    const die = (err: Error) => {
      // A released lane (releaseIdle) is no longer the engine's: its end is no failure.
      if (this.closed || !this.lanes.includes(lane)) return
      this.fatal = new InputError('E_WORKER', `a worker thread failed: ${err.message}`)
      const i = this.lanes.indexOf(lane)
      if (i >= 0) this.lanes.splice(i, 1)
      for (const p of lane.running.values()) p.reject(this.fatal)
      lane.running.clear()
      for (const p of this.queue.splice(0)) p.reject(this.fatal)
    }
    worker.on('error', die)
    worker.on('exit', (code) => {
      if (lane.running.size > 0) die(new Error(`exited with code ${code}`))
    })
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref()
    this.lanes.push(lane)
    return lane
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
