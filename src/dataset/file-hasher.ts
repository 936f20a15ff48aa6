/**
 * Hashes the files of a directory listing on all cores, results in listing order. Dataset files
 * are mostly small, so the per-file cost decides: batches of paths go to the worker engine
 * (src/workers), whose lanes hash them with four system calls per file (hash-worker.ts), and a
 * bounded number of batches is in flight so that millions of files never become millions of
 * pending promises.
 */
import {InputError, isErrorCode} from '../errors.js'
import {MAX_WORKERS as ENGINE_MAX_WORKERS, sharedEngine, WorkerEngine} from '../workers/engine.js'
import {datasetBatchHandler, type HashBatchRequest} from './hash-worker.js'
import type {DatasetHashAlgorithm} from './types.js'

/** Files per task. */
export const BATCH_FILES = 512
export const MAX_WORKERS = ENGINE_MAX_WORKERS

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

/** The dataset face of the worker engine: the process's engine, or one of `size` lanes of its own. */
export class FileHashPool {
  readonly engine: WorkerEngine
  private readonly owned: boolean
  private nextId = 1

  constructor(size?: number) {
    this.owned = size !== undefined
    this.engine = size === undefined ? sharedEngine() : new WorkerEngine({workers: Math.max(1, Math.min(MAX_WORKERS, size))})
  }

  get size(): number {
    return this.engine.parallelism
  }

  /** Starts the workers now, so that their start-up overlaps whatever comes before the first batch (the directory walk). */
  warm(): this {
    this.engine.warm()
    return this
  }

  /** Hashes one batch; rejects with the first failing file's error. */
  async hashBatch(root: string, paths: string[], follow: Uint8Array, alg: DatasetHashAlgorithm): Promise<FileDigest[]> {
    const r = await this.hashBatchRaw(root, paths, follow, alg)
    const out: FileDigest[] = new Array(paths.length)
    const hex = r.digests.toString('hex')
    for (let i = 0; i < paths.length; i++) out[i] = {size: r.sizes[i], digest: hex.slice(i * 64, i * 64 + 64)}
    return out
  }

  /** Like hashBatch, as the raw arrays (32 digest bytes per file): no object per file. */
  async hashBatchRaw(root: string, paths: string[], follow: Uint8Array, alg: DatasetHashAlgorithm): Promise<RawBatch> {
    return this.run(this.task(root, paths, follow, alg), paths.length)
  }

  task(root: string, paths: string[], follow: Uint8Array, alg: DatasetHashAlgorithm, maxBytes?: number) {
    const payload: HashBatchRequest = {id: this.nextId++, alg, root, names: paths.join('\n'), follow, ...(maxBytes === undefined ? {} : {maxBytes})}
    // The main thread walks, sorts and writes the manifest meanwhile: worker threads only.
    return {handler: datasetBatchHandler, payload, mainLane: false}
  }

  private async run(task: ReturnType<FileHashPool['task']>, count: number): Promise<RawBatch> {
    return toRaw(await this.engine.run(task), count)
  }

  /** Stops the pool's own engine (the process's engine stays up, its idle workers unref'd). */
  async close(): Promise<void> {
    if (this.owned) await this.engine.close()
  }
}

function toRaw(reply: Awaited<ReturnType<typeof datasetBatchHandler.fn>>['value'], count: number): RawBatch {
  if (!reply.ok) throw new InputError(isErrorCode(reply.code) ? reply.code : 'E_INTERNAL', reply.message)
  return {count, digests: Buffer.from(reply.digests.buffer, reply.digests.byteOffset, reply.digests.byteLength), sizes: reply.sizes}
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
  opts: {workers?: number; onBatch?: (files: number) => void; pool?: FileHashPool; maxFileBytes?: number} = {},
): AsyncGenerator<RawBatch> {
  const pool = opts.pool ?? new FileHashPool(opts.workers)
  // File counts of the batches in flight, oldest first.
  const counts: number[] = []
  function* tasks() {
    for (let next = 0; next < count; ) {
      const start = next
      const end = Math.min(count, start + BATCH_FILES)
      next = end
      const f = new Uint8Array(end - start)
      const batch: string[] = new Array(end - start)
      for (let i = start; i < end; i++) {
        f[i - start] = follow(i) ? 1 : 0
        batch[i - start] = pathAt(i)
      }
      counts.push(end - start)
      yield pool.task(root, batch, f, alg, opts.maxFileBytes)
    }
  }
  try {
    for await (const reply of pool.engine.ordered(tasks())) {
      const batch = toRaw(reply, counts.shift()!)
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
