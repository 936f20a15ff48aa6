/**
 * HashPool: the hashing face of the worker engine (src/workers/engine.ts). It owns no threads of
 * its own; it hands batches of hash tasks to an engine — its own, or the one it is given.
 */
import {InputError, UsageError} from '../errors.js'
import {defaultWorkerCount, MAX_WORKERS, WorkerEngine} from '../workers/engine.js'
import {reviveError} from '../workers/protocol.js'
import type {HashResult, HashTask} from './file.js'
import {hashBatchHandler, type TaskOutcome} from './worker.js'

export type {TaskOutcome} from './worker.js'

export interface HashPoolOptions {
  /** Lanes that hash at once (worker threads plus this thread); default os.availableParallelism(). */
  size?: number
  /** Run on this engine (not closed by close()) instead of an engine of its own. */
  engine?: WorkerEngine
}

/** Upper bound on lanes, whatever the caller or the machine says. */
export const MAX_POOL_SIZE = MAX_WORKERS

export function defaultPoolSize(): number {
  return defaultWorkerCount()
}

export class HashPool {
  readonly engine: WorkerEngine
  private readonly owned: boolean
  private closed = false

  constructor(opts: HashPoolOptions = {}) {
    if (opts.engine) {
      this.engine = opts.engine
      this.owned = false
    } else {
      const size = opts.size ?? defaultPoolSize()
      if (!Number.isInteger(size) || size < 1) throw new UsageError('E_BAD_WORKERS', `invalid worker count ${size}`)
      this.engine = new WorkerEngine({workers: Math.min(size, MAX_POOL_SIZE)})
      this.owned = true
    }
  }

  /** Lanes hashing at once. */
  get size(): number {
    return this.engine.parallelism
  }

  /** Hashes a batch of tasks on one lane; results in task order. Rejects on the first failed task. */
  async run(tasks: HashTask[], onProgress?: (bytes: number) => void): Promise<HashResult[]> {
    const outcomes = await this.runOutcomes(tasks, onProgress)
    return outcomes.map((o) => {
      if (!o.ok) throw reviveError(o.error)
      return {digest: Buffer.from(o.digest.buffer, o.digest.byteOffset, o.digest.byteLength), size: o.size}
    })
  }

  /** Like run(), but reports each task's success or failure instead of rejecting. */
  runOutcomes(tasks: HashTask[], onProgress?: (bytes: number) => void): Promise<TaskOutcome[]> {
    if (this.closed) return Promise.reject(new InputError('E_WORKER', 'hash pool is closed'))
    return this.engine.run({handler: hashBatchHandler, payload: tasks}, onProgress)
  }

  /** Stops the pool's own engine (an engine it was given stays up). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.owned) await this.engine.close()
  }
}

/** Runs fn with a fresh pool and always shuts the pool down afterwards. */
export async function withHashPool<T>(fn: (pool: HashPool) => Promise<T>, opts: HashPoolOptions = {}): Promise<T> {
  const pool = new HashPool(opts)
  try {
    return await fn(pool)
  } finally {
    await pool.close()
  }
}
