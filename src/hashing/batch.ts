/**
 * Hashing many files or ranges: picks inline hashing or the worker engine, packs small tasks into
 * batches (one worker round trip per batch, not per file) and bounds the work in flight so that
 * millions of tasks never become millions of pending messages.
 */
import {sharedEngine, type WorkerEngine} from '../workers/engine.js'
import {reviveError} from '../workers/protocol.js'
import type {HashAlgorithm} from './algorithms.js'
import {hashTask, type HashResult, type HashTask} from './file.js'
import {HashPool} from './pool.js'
import {hashBatchHandler, type TaskOutcome} from './worker.js'

/** Below this many bytes in total (and INLINE_MAX_TASKS tasks), starting workers costs more than it saves. */
export const INLINE_MAX_BYTES = 32 << 20
export const INLINE_MAX_TASKS = 64
/** A batch sent to one worker holds at most this many bytes or tasks. */
export const BATCH_MAX_BYTES = 16 << 20
export const BATCH_MAX_TASKS = 512
/**
 * A big task is sent to a lane only when it is idle (engine Task.long) if it is at least this
 * large, or if there are few big tasks (at most LONG_MAX_COUNT per lane). Waiting for an idle lane
 * costs a worker the main lane's dispatch delay (~1 ms) per task; queueing costs the job up to a
 * task's time at the end (8 × 256 MiB on 2 lanes: the main lane idled for two files' time).
 */
export const LONG_MIN_BYTES = 64 << 20
export const LONG_MAX_COUNT = 4
/** Weight given to a whole-file task whose size is not known yet. */
const UNKNOWN_SIZE_WEIGHT = 64 << 10

export interface HashManyOptions {
  /** A pool to use (not closed here); otherwise the process's engine, or (with `workers`) a pool for this call. */
  pool?: HashPool
  /** Lanes when this call makes its own pool; 1 or less hashes inline on this thread. */
  workers?: number
  /** Force hashing on the calling thread. */
  inline?: boolean
  onProgress?: (bytes: number) => void
}

function weight(t: HashTask): number {
  const start = t.start ?? 0
  const end = t.end ?? t.expectedSize
  return end === undefined ? UNKNOWN_SIZE_WEIGHT : Math.max(0, end - start)
}

/** Hashes every task; results in task order. Throws the error of the first failing task (by index). */
export async function hashMany(tasks: HashTask[], opts: HashManyOptions = {}): Promise<HashResult[]> {
  const workers = opts.pool?.size ?? opts.workers ?? sharedEngine().parallelism
  let total = 0
  for (const t of tasks) total += weight(t)
  const inline = opts.inline === true || (!opts.pool && workers <= 1) || tasks.length <= 1 || (total <= INLINE_MAX_BYTES && tasks.length <= INLINE_MAX_TASKS)
  if (inline) {
    // One stream at a time on this thread: the other cores are free to read ahead.
    const out: HashResult[] = []
    for (const t of tasks) out.push(await hashTask({...t, readAhead: t.readAhead ?? true}, {onProgress: opts.onProgress}))
    return out
  }
  if (opts.pool) return runOnEngine(opts.pool.engine, tasks, opts.onProgress)
  if (opts.workers === undefined) return runOnEngine(sharedEngine(), tasks, opts.onProgress)
  const pool = new HashPool({size: workers})
  try {
    return await runOnEngine(pool.engine, tasks, opts.onProgress)
  } finally {
    await pool.close()
  }
}

/** Splits task indices into batches: large tasks alone (largest first, for balance), small ones packed. */
export function planBatches(tasks: HashTask[]): number[][] {
  const big: number[] = []
  const batches: number[][] = []
  let cur: number[] = []
  let curBytes = 0
  for (let i = 0; i < tasks.length; i++) {
    const w = weight(tasks[i])
    if (w >= BATCH_MAX_BYTES) {
      big.push(i)
      continue
    }
    if (cur.length > 0 && (curBytes + w > BATCH_MAX_BYTES || cur.length >= BATCH_MAX_TASKS)) {
      batches.push(cur)
      cur = []
      curBytes = 0
    }
    cur.push(i)
    curBytes += w
  }
  if (cur.length > 0) batches.push(cur)
  big.sort((a, b) => weight(tasks[b]) - weight(tasks[a]))
  return [...big.map((i) => [i]), ...batches]
}

/** Whether a task of `bytes` (one of `bigCount` big tasks on `lanes` lanes) waits for an idle lane (engine Task.long). */
export function isLongTask(bytes: number, bigCount: number, lanes: number): boolean {
  return bytes >= BATCH_MAX_BYTES && (bytes >= LONG_MIN_BYTES || bigCount <= LONG_MAX_COUNT * lanes)
}

/** Runs the batches on the engine; stops starting batches at the first failed task. */
async function runOnEngine(engine: WorkerEngine, tasks: HashTask[], onProgress?: (bytes: number) => void): Promise<HashResult[]> {
  const batches = planBatches(tasks)
  // Big tasks run alone, and the longest go only to idle lanes (isLongTask). When there are at
  // least as many big tasks as lanes, every core is hashing and each lane reads in its own
  // thread; with fewer, a core is free and the lanes read ahead on it.
  let big = 0
  for (const b of batches) if (b.length === 1 && weight(tasks[b[0]]) >= BATCH_MAX_BYTES) big++
  const readAhead = big < engine.parallelism
  const results: HashResult[] = new Array(tasks.length)
  let failedAt = -1
  let failure: Error | undefined
  const record = (batch: number[], outcomes: TaskOutcome[]) => {
    outcomes.forEach((o, k) => {
      const i = batch[k]
      if (o.ok) {
        results[i] = {digest: Buffer.from(o.digest.buffer, o.digest.byteOffset, o.digest.byteLength), size: o.size}
      } else if (failedAt < 0 || i < failedAt) {
        failedAt = i
        failure = reviveError(o.error)
      }
    })
  }
  const stream = batches.map((b) => {
    const long = b.length === 1 && isLongTask(weight(tasks[b[0]]), big, engine.parallelism)
    return {handler: hashBatchHandler, payload: b.map((i) => ({...tasks[i], readAhead: tasks[i].readAhead ?? readAhead})), long}
  })
  // Threads this call will use start now, before the main lane takes its first task: a thread
  // takes ~25-40 ms to start, and a first task started on this thread first (hashing a few MiB
  // before it yields) would start them that much later.
  engine.warm(Math.min(batches.length, engine.workers) - (engine.mainLane ? 1 : 0))
  let n = 0
  for await (const outcomes of engine.ordered(stream, {onProgress})) {
    record(batches[n++], outcomes)
    if (failure) break
  }
  if (failure) throw failure
  return results
}

/** Hashes whole files (e.g. the files of a dataset) through the pool, small files batched. */
export async function hashFiles(paths: string[], alg: HashAlgorithm, opts: HashManyOptions & {noFollow?: boolean} = {}): Promise<HashResult[]> {
  return hashMany(
    paths.map((path) => ({path, alg, noFollow: opts.noFollow})),
    opts,
  )
}
