/**
 * Hashes the files of a directory on all cores, results in listing order. Dataset files are
 * mostly small, so the per-file cost decides: batches of paths go to the worker engine
 * (src/workers), whose lanes hash them with four system calls per file (hash-worker.ts) and,
 * for a manifest, also make the batch's shard lines and Merkle subtrees; a bounded number of
 * batches is in flight so that millions of files never become millions of pending promises.
 */
import {InputError, isErrorCode} from '../errors.js'
import {MAX_WORKERS as ENGINE_MAX_WORKERS, sharedEngine, WorkerEngine} from '../workers/engine.js'
import {type BatchSubtrees, datasetBatchHandler, type HashBatchRequest} from './hash-worker.js'
import type {DatasetHashAlgorithm} from './types.js'
import type {WalkedFile} from './walk.js'

/** Files per task (a power of two: batches then start at multiples of it, see HashBatchRequest.tree). */
export const BATCH_FILES = 512
export const MAX_WORKERS = ENGINE_MAX_WORKERS
/**
 * Batches in flight per lane. Results are taken in order, so a lane that stalls (a thread
 * descheduled on a busy machine, the main thread walking a large directory) holds up the others
 * once the window is full; a few batches each (a few hundred kB in all) keep them going meanwhile.
 */
const IN_FLIGHT_PER_LANE = 4
/**
 * Worker threads only, one per core: the main thread walks the tree, joins the batches and
 * feeds the shard compressor meanwhile. Measured against making the main thread one of the two
 * lanes (10 interleaved pairs, 100k files, busy 2-vCPU machine): 3-6 % more CPU, but lower wall
 * time in 9 of 10 pairs — the main thread's own work never holds up a lane.
 */
const MAIN_LANE = false

/** Paths to hash, canonical, with their names on disk where those differ and the allowed symlinks. */
export interface PathBatch {
  paths: string[]
  disk?: string[]
  follow?: Uint8Array
  /** Every file is on a file system that returns whole reads (walk.ts wholeReads). */
  wholeReads?: boolean
}

/** A hashed batch: sizes and raw digests (32 bytes per file), and what was asked for besides. */
export interface HashedBatch {
  paths: string[]
  count: number
  sizes: Float64Array
  digests: Buffer
  /** Shard lines (UTF-8) of the batch. */
  text?: Uint8Array
  /** dirHash1 lines (UTF-8; sha256 only). */
  dir?: Uint8Array
  /** The batch's Merkle leaves folded into perfect subtrees. */
  tree?: BatchSubtrees
}

export interface HashOptions {
  workers?: number
  onBatch?: (files: number) => void
  pool?: FileHashPool
  /** Files larger than this are not read (verify: larger than the whole signed dataset). */
  maxFileBytes?: number
  /** Make shard lines (manifests, verify), and dirHash1 lines (sha256 manifests). */
  lines?: boolean
  dirLines?: boolean
  /** Fold Merkle leaves into subtrees; the batches must then start at multiples of a power of two at least as large as any batch. */
  tree?: boolean
  /** End the pool's idle workers once the last batch is in (the caller needs no more hashing). */
  releaseWorkers?: boolean
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

  /** Starts the worker threads now, so that their start-up overlaps the first directories of the walk. */
  warm(): this {
    this.engine.warm()
    return this
  }

  task(root: string, batch: PathBatch, alg: DatasetHashAlgorithm, opts: Pick<HashOptions, 'maxFileBytes' | 'lines' | 'dirLines' | 'tree'> = {}) {
    const payload: HashBatchRequest = {id: this.nextId++, alg, root, names: (batch.disk ?? batch.paths).join('\n')}
    if (batch.disk) payload.paths = batch.paths.join('\n')
    if (batch.follow) payload.follow = batch.follow
    if (batch.wholeReads) payload.wholeReads = true
    if (opts.maxFileBytes !== undefined) payload.maxBytes = opts.maxFileBytes
    if (opts.lines) payload.lines = true
    if (opts.lines && opts.dirLines) payload.dirLines = true
    if (opts.tree) payload.tree = true
    return {handler: datasetBatchHandler, payload, mainLane: MAIN_LANE}
  }

  /** Stops the pool's own engine (the process's engine stays up, its idle workers unref'd). */
  async close(): Promise<void> {
    if (this.owned) await this.engine.close()
  }
}

function toHashed(reply: Awaited<ReturnType<typeof datasetBatchHandler.fn>>['value'], paths: string[]): HashedBatch {
  if (!reply.ok) throw new InputError(isErrorCode(reply.code) ? reply.code : 'E_INTERNAL', reply.message)
  const b: HashedBatch = {
    paths,
    count: paths.length,
    digests: Buffer.from(reply.digests.buffer, reply.digests.byteOffset, reply.digests.byteLength),
    sizes: reply.sizes,
  }
  if (reply.text) b.text = reply.text
  if (reply.dir) b.dir = reply.dir
  if (reply.tree) b.tree = reply.tree
  return b
}

/**
 * Cuts a stream of walked files into batches of `size` (the last one shorter). The files are
 * pulled with next(), not for-of, so that closing the batches early leaves the walk open: the
 * caller may still drain it for the problems it reports at its end.
 */
export function* batchFiles(files: Iterator<WalkedFile>, size = BATCH_FILES): Generator<PathBatch, void, undefined> {
  let paths: string[] = []
  let disk: string[] | undefined
  let follow: Uint8Array | undefined
  let whole = true
  const batch = (): PathBatch => ({
    paths,
    ...(disk ? {disk} : {}),
    ...(follow ? {follow: follow.subarray(0, paths.length)} : {}),
    ...(whole ? {wholeReads: true} : {}),
  })
  for (;;) {
    const r = files.next()
    if (r.done) break
    const f = r.value
    const i = paths.length
    paths.push(f.path)
    if (f.disk !== undefined && !disk) disk = paths.slice(0, i)
    disk?.push(f.disk ?? f.path)
    if (f.link) (follow ??= new Uint8Array(size))[i] = 1
    if (f.shortReads) whole = false
    if (paths.length === size) {
      yield batch()
      paths = []
      disk = follow = undefined
      whole = true
    }
  }
  if (paths.length > 0) yield batch()
}

/**
 * Hashes the batches in order, up to two per worker in flight, and yields each as soon as it and
 * every batch before it are done. The pool is closed at the end (when it is the caller's own).
 */
export async function* hashBatchesInOrder(
  root: string,
  batches: Iterable<PathBatch>,
  alg: DatasetHashAlgorithm,
  opts: HashOptions = {},
): AsyncGenerator<HashedBatch> {
  const pool = opts.pool ?? new FileHashPool(opts.workers)
  // Paths of the batches in flight, oldest first.
  const inFlight: string[][] = []
  let allSent = false
  function* tasks() {
    for (const b of batches) {
      inFlight.push(b.paths)
      yield pool.task(root, b, alg, opts)
    }
    allSent = true
  }
  try {
    for await (const reply of pool.engine.ordered(tasks(), {inFlight: IN_FLIGHT_PER_LANE * pool.size})) {
      const batch = toHashed(reply, inFlight.shift()!)
      // The last batch is in: the workers end now, their teardown overlapping the caller's tail
      // (last shard, header) instead of following it at process exit.
      if (opts.releaseWorkers && allSent && inFlight.length === 0) pool.engine.releaseIdle()
      opts.onBatch?.(batch.count)
      yield batch
    }
  } finally {
    await pool.close()
  }
}
