/**
 * Hashes the files of a directory listing on all cores, results in listing order. Dataset files
 * are mostly small, so the per-file cost decides: batches of paths go to worker threads that
 * hash with four system calls per file (hash-worker.ts), and a bounded number of batches is in
 * flight so that millions of files never become millions of pending promises.
 */
import os from 'node:os'
import {Worker} from 'node:worker_threads'

import {InputError, isErrorCode} from '../errors.js'
import type {DatasetHashAlgorithm} from './types.js'
import type {HashBatchReply, HashBatchRequest} from './hash-worker.js'

/** Files per message to a worker. */
export const BATCH_FILES = 512
export const MAX_WORKERS = 64

export interface RawBatch {
  count: number
  /** 32 bytes per file. */
  digests: Buffer
  sizes: Float64Array
}

export interface FileDigest {
  size: number
  digest: string
}

function startWorker(): Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL('./hash-worker.js', here))
  // Running from sources through tsx: loader hooks of the main thread do not reach workers on
  // every Node version, so the worker registers tsx itself before importing the TypeScript.
  const api = import.meta.resolve('tsx/esm/api')
  const target = new URL('./hash-worker.ts', here).href
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(target)}) })`, {eval: true})
}

export class FileHashPool {
  readonly size: number
  private readonly idle: Worker[] = []
  private readonly all: Worker[] = []
  private readonly waiting: ((w: Worker) => void)[] = []
  private nextId = 1
  private dead?: Error

  constructor(size?: number) {
    const n = size ?? os.availableParallelism()
    this.size = Math.max(1, Math.min(MAX_WORKERS, n))
  }

  private spawn(): Worker {
    const worker = startWorker()
    worker.on('error', (err) => {
      this.dead = new InputError('E_WORKER', `a hash worker failed: ${err.message}`)
    })
    // Idle workers do not keep the process alive (a warmed pool whose source is never read must
    // not hang the CLI); hashBatchRaw refs a worker while it has a batch.
    worker.unref()
    this.all.push(worker)
    return worker
  }

  /** Starts all workers now, so that their start-up overlaps whatever comes before the first batch (the directory walk). */
  warm(): this {
    while (this.all.length < this.size) this.idle.push(this.spawn())
    return this
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop()
    if (w) return Promise.resolve(w)
    if (this.all.length < this.size) return Promise.resolve(this.spawn())
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  private release(w: Worker): void {
    const next = this.waiting.shift()
    if (next) next(w)
    else this.idle.push(w)
  }

  /** Hashes one batch on one worker; rejects with the first failing file's error. */
  async hashBatch(root: string, paths: string[], follow: Uint8Array, alg: DatasetHashAlgorithm): Promise<FileDigest[]> {
    const r = await this.hashBatchRaw(root, paths, follow, alg)
    const out: FileDigest[] = new Array(paths.length)
    const hex = r.digests.toString('hex')
    for (let i = 0; i < paths.length; i++) out[i] = {size: r.sizes[i], digest: hex.slice(i * 64, i * 64 + 64)}
    return out
  }

  /** Like hashBatch, as the worker's raw arrays (32 digest bytes per file): no object per file. */
  async hashBatchRaw(root: string, paths: string[], follow: Uint8Array, alg: DatasetHashAlgorithm): Promise<RawBatch> {
    if (this.dead) throw this.dead
    const w = await this.acquire()
    const id = this.nextId++
    try {
      const reply = await new Promise<HashBatchReply>((resolve, reject) => {
        const onMessage = (m: HashBatchReply) => {
          if (m.id !== id) return
          w.off('message', onMessage)
          w.off('exit', onExit)
          resolve(m)
        }
        const onExit = (code: number) => reject(this.dead ?? new InputError('E_WORKER', `a hash worker exited (code ${code})`))
        w.on('message', onMessage)
        w.once('exit', onExit)
        w.ref()
        w.postMessage({id, alg, root, names: paths.join('\n'), follow} satisfies HashBatchRequest)
      })
      if (!reply.ok) throw new InputError(isErrorCode(reply.code) ? reply.code : 'E_INTERNAL', reply.message)
      return {count: paths.length, digests: Buffer.from(reply.digests.buffer, reply.digests.byteOffset, reply.digests.byteLength), sizes: reply.sizes}
    } finally {
      w.unref()
      this.release(w)
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()))
    this.all.length = 0
    this.idle.length = 0
  }
}

/**
 * Digests of files 0..count-1 (`pathAt(i)`: '/'-separated, relative to root) in order, one raw
 * batch at a time. `follow(i)` says whether path i may be opened through a symlink.
 * Up to two batches per worker are in flight; batches are yielded as soon as they are in order.
 */
export async function* hashBatchesInOrder(
  root: string,
  count: number,
  pathAt: (i: number) => string,
  follow: (i: number) => boolean,
  alg: DatasetHashAlgorithm,
  opts: {workers?: number; onBatch?: (files: number) => void; pool?: FileHashPool} = {},
): AsyncGenerator<RawBatch> {
  const pool = opts.pool ?? new FileHashPool(opts.workers)
  if (count === 0) {
    await pool.close()
    return
  }
  const inFlight: Promise<RawBatch>[] = []
  let next = 0
  const submit = () => {
    const start = next
    const end = Math.min(count, start + BATCH_FILES)
    next = end
    const f = new Uint8Array(end - start)
    const batch: string[] = new Array(end - start)
    for (let i = start; i < end; i++) {
      f[i - start] = follow(i) ? 1 : 0
      batch[i - start] = pathAt(i)
    }
    const p = pool.hashBatchRaw(root, batch, f, alg)
    // Observed later in order; never an unhandled rejection if we stop early.
    p.catch(() => undefined)
    inFlight.push(p)
  }
  try {
    while (next < count && inFlight.length < pool.size * 2) submit()
    while (inFlight.length > 0) {
      const batch = await inFlight.shift()!
      if (next < count) submit()
      opts.onBatch?.(batch.count)
      yield batch
    }
  } finally {
    await pool.close()
  }
}

/** Per-file form of hashBatchesInOrder (which closes the pool when done). */
export async function* hashFilesInOrder(
  root: string,
  count: number,
  pathAt: (i: number) => string,
  follow: (i: number) => boolean,
  alg: DatasetHashAlgorithm,
  opts: {workers?: number; onBatch?: (files: number) => void} = {},
): AsyncGenerator<FileDigest> {
  for await (const b of hashBatchesInOrder(root, count, pathAt, follow, alg, opts)) {
    const hex = b.digests.toString('hex')
    for (let i = 0; i < b.count; i++) yield {size: b.sizes[i], digest: hex.slice(i * 64, i * 64 + 64)}
  }
}
