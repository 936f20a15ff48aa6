/**
 * A worker_threads pool for hashing. Node's hash update runs synchronously on the calling thread,
 * so one thread can use one core: parallel hashing of files and shards needs worker threads.
 *
 * Workers start lazily (up to `size`) and stay alive until close(); an idle worker is unref'd so a
 * forgotten pool never keeps the process alive. Work is sent as batches of tasks (one message and
 * one reply per batch).
 */
import os from 'node:os'
import {Worker} from 'node:worker_threads'

import {InputError, UsageError} from '../errors.js'
import type {HashResult, HashTask} from './file.js'
import {reviveError, type BatchReply, type BatchRequest, type TaskOutcome} from './protocol.js'

export interface HashPoolOptions {
  /** Number of worker threads; default os.availableParallelism(). */
  size?: number
}

interface Job {
  id: number
  tasks: HashTask[]
  onProgress?: (bytes: number) => void
  resolve: (outcomes: TaskOutcome[]) => void
  reject: (err: Error) => void
}

interface Slot {
  worker: Worker
  job?: Job
}

/** Upper bound on workers, whatever the caller or the machine says. */
export const MAX_POOL_SIZE = 64

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(MAX_POOL_SIZE, os.availableParallelism()))
}

/**
 * The worker module beside this one: `worker.js` when compiled (dist/src/hashing). When this module
 * runs from sources through tsx, Node (20) does not apply the parent's `--import tsx` hooks to
 * worker threads, so a small bootstrap registers tsx inside the worker and then imports worker.ts.
 */
function createWorker(): Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here))
  const tsxApi = import.meta.resolve('tsx/esm/api')
  const target = new URL('./worker.ts', here).href
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}) })`
  return new Worker(boot, {eval: true})
}

export class HashPool {
  readonly size: number
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private nextId = 1
  private closed = false
  private fatal?: Error

  constructor(opts: HashPoolOptions = {}) {
    const size = opts.size ?? defaultPoolSize()
    if (!Number.isInteger(size) || size < 1) throw new UsageError('E_BAD_WORKERS', `invalid worker count ${size}`)
    this.size = Math.min(size, MAX_POOL_SIZE)
  }

  /** Hashes a batch of tasks on one worker; results in task order. Rejects on the first failed task. */
  async run(tasks: HashTask[], onProgress?: (bytes: number) => void): Promise<HashResult[]> {
    const outcomes = await this.runOutcomes(tasks, onProgress)
    return outcomes.map((o) => {
      if (!o.ok) throw reviveError(o.error)
      return {digest: Buffer.from(o.digest.buffer, o.digest.byteOffset, o.digest.byteLength), size: o.size}
    })
  }

  /** Like run(), but reports each task's success or failure instead of rejecting. */
  runOutcomes(tasks: HashTask[], onProgress?: (bytes: number) => void): Promise<TaskOutcome[]> {
    if (this.closed) return Promise.reject(new Error('hash pool is closed'))
    if (this.fatal) return Promise.reject(this.fatal)
    return new Promise((resolve, reject) => {
      this.queue.push({id: this.nextId++, tasks, onProgress, resolve, reject})
      this.pump()
    })
  }

  /** Stops every worker; pending jobs are rejected. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const err = new Error('hash pool closed')
    for (const job of this.queue.splice(0)) job.reject(err)
    for (const s of this.slots) s.job?.reject(err)
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
    this.slots.length = 0
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job)
      if (!slot && this.slots.length < this.size) slot = this.spawn()
      if (!slot) return
      const job = this.queue.shift()!
      slot.job = job
      slot.worker.ref()
      slot.worker.postMessage({id: job.id, tasks: job.tasks} satisfies BatchRequest)
    }
  }

  private spawn(): Slot {
    const worker = createWorker()
    const slot: Slot = {worker}
    worker.on('message', (msg: BatchReply) => {
      const job = slot.job
      if (!job || job.id !== msg.id) return
      if (msg.bytes > 0) job.onProgress?.(msg.bytes)
      if (msg.type === 'done') {
        slot.job = undefined
        worker.unref()
        job.resolve(msg.outcomes)
        this.pump()
      }
    })
    const die = (err: Error) => {
      this.fatal = new InputError('E_WORKER', `hash worker failed: ${err.message}`)
      const i = this.slots.indexOf(slot)
      if (i >= 0) this.slots.splice(i, 1)
      slot.job?.reject(this.fatal)
      for (const job of this.queue.splice(0)) job.reject(this.fatal)
    }
    worker.on('error', die)
    worker.on('exit', (code) => {
      if (!this.closed && slot.job) die(new Error(`exited with code ${code}`))
    })
    this.slots.push(slot)
    return slot
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
