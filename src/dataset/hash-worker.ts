/**
 * Task handler of the worker engine (src/workers) for the dataset fast path: hashes batches of
 * whole files synchronously (a worker thread has nothing else to do) with the fewest system calls
 * per file — open (no-follow, non-blocking), read, close (and a read that finds the end where the
 * file system may return short reads); see sha256File for when an fstat is still made — and
 * answers with one transferable message per batch. For a manifest it also makes the batch's share of the output
 * (shard lines, dirHash1 lines, Merkle leaves folded into subtrees), so that every per-file step
 * runs on all cores and the main thread only joins batches.
 */
import {createHash, hash as oneShot} from 'node:crypto'
import fs from 'node:fs'
import {sep} from 'node:path'

import {createHasher, type Hasher} from '../hashing/algorithms.js'
import {defineHandler, type HandlerContext, type HandlerResult} from '../workers/engine.js'
import {dirHashLine, entryLine} from './entry-lines.js'
import {leafHashAt, MerkleBuilder} from './merkle.js'
import type {DatasetHashAlgorithm} from './types.js'

export interface HashBatchRequest {
  id: number
  alg: DatasetHashAlgorithm
  /** Directory the names are relative to. */
  root: string
  /** '/'-separated paths on disk relative to root, joined by '\n' (one string clones far cheaper than an array). */
  names: string
  /** The canonical (NFC) paths, joined the same way, when some differ from the names on disk. */
  paths?: string
  /** 1 = the path is an allowed symlink (open following it); absent = none is. */
  follow?: Uint8Array
  /**
   * Every file is on a file system whose reads return everything up to the end of the file
   * (walk.ts wholeReads): a short read is then the end, without a read to confirm it.
   */
  wholeReads?: boolean
  /**
   * Verify only: a file larger than this cannot be a file of the signed dataset (it is larger than
   * the whole dataset), so it is not read — its digest stays all zeros and the size tells why — and a
   * sparse 15 TiB file costs one fstat instead of hours.
   */
  maxBytes?: number
  /** Also make the shard lines of the batch, UTF-8. */
  lines?: boolean
  /** And its dirHash1 lines (sha256 manifests). */
  dirLines?: boolean
  /**
   * Also fold the batch's Merkle leaves into perfect subtrees. The caller starts batches at
   * multiples of a power of two at least as large as any batch, so the subtrees drop into its
   * tree as they are.
   */
  tree?: boolean
}

export interface BatchSubtrees {
  /** Leaves under each subtree, largest first. */
  sizes: number[]
  /** 32 bytes per subtree. */
  hashes: Uint8Array
}

export type HashBatchReply =
  | {id: number; ok: true; digests: Uint8Array; sizes: Float64Array; text?: Uint8Array; dir?: Uint8Array; tree?: BatchSubtrees}
  | {id: number; ok: false; index: number; code: string; message: string}

const CHUNK = 1 << 20
const buf = Buffer.allocUnsafe(CHUNK)
const BASE_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0)
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0

/**
 * The system calls of this module, replaceable by tests (to play a file system that returns
 * short reads, or a file that changes between two calls).
 */
export const sys = {readSync: fs.readSync, fstatSync: fs.fstatSync}

class Failure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Opens without following a final symlink (unless allowed); the caller checks it is a regular file. */
function openForHashing(path: string, follow: boolean): number {
  let fd: number
  try {
    fd = fs.openSync(path, BASE_FLAGS | (follow ? 0 : NOFOLLOW))
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'ELOOP') throw new Failure('E_SYMLINK', `${path} is a symlink (not allowed here)`)
    throw new Failure('E_IO', `cannot read ${path}: ${e.message}`)
  }
  return fd
}

/** Feeds bytes [pos, size) of an open regular file to `hasher`; the bytes read (E_FILE_CHANGED when it ends early). */
function hashFrom(fd: number, path: string, size: number, pos: number, hasher: {update(b: Uint8Array): void}): number {
  while (pos < size) {
    const n = sys.readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos)
    if (n === 0) throw new Failure('E_FILE_CHANGED', `${path} changed while it was being hashed (shorter than its size ${size})`)
    hasher.update(buf.subarray(0, n))
    pos += n
  }
  return pos
}

function hashOne(path: string, follow: boolean, hasher: {update(b: Uint8Array): void}, maxBytes = Number.POSITIVE_INFINITY): number {
  const fd = openForHashing(path, follow)
  try {
    const st = sys.fstatSync(fd)
    if (!st.isFile()) throw new Failure('E_NOT_REGULAR_FILE', `${path} is not a regular file`)
    if (st.size > maxBytes) return -st.size - 1
    return hashFrom(fd, path, st.size, 0, hasher)
  } catch (err) {
    if (err instanceof Failure) throw err
    throw new Failure('E_IO', `cannot read ${path}: ${(err as Error).message}`)
  } finally {
    fs.closeSync(fd)
  }
}

/** Where a positioned read refuses pipes, FIFOs, sockets and terminals (ESPIPE) and directories (EISDIR). */
const PREAD_REFUSES_NON_FILES = process.platform === 'linux' || process.platform === 'darwin'
/** Every read of a block device returns whole sectors (a multiple of 512 bytes). */
const SECTOR = 512

/**
 * SHA-256 of a file, written to `out` at `at`; its size, or -(size + 1) when it is larger than
 * `maxBytes` (then it is not hashed). A file that fits in the scratch buffer is read whole and
 * digested one-shot (a Hash object per file costs more than hashing a few kilobytes); a larger one
 * is streamed, from the buffer already read when the first read filled it.
 *
 * Most files take one read after the open and no fstat (in Node an fstat costs about as much as
 * a read: it makes a Stats object with four Dates), and a second read that finds the end of the
 * file right after what the first returned unless the file system is one whose reads return
 * whole files (`wholeReads`). That the bytes read are a whole regular file then rests on these,
 * and the fstat path below is taken whenever one of them does not settle it:
 * - the walk listed the name as a regular file (readdir's type, or lstat where it gives none);
 * - the open refuses a symlink swapped in since (O_NOFOLLOW: ELOOP; allowed links always take
 *   the fstat path);
 * - a positioned read refuses a FIFO, socket or terminal swapped in (ESPIPE) and a directory
 *   (EISDIR): any read error takes the fstat path, which names what the file is;
 * - a read that returns nothing (an empty file, /dev/null), fills the buffer (a larger file,
 *   /dev/zero, a disk) or returns whole sectors (a block device), or after which a second read
 *   finds more (a file that grew, a device that returns one record per read, a file system that
 *   returns short reads before the end) takes the fstat path and its size-driven reads;
 * - a file larger than `maxBytes` takes the fstat path (its size is reported, not its bytes).
 * What is left is a character device node swapped in between the walk and the open whose first
 * read is short and not whole sectors (and, where the end is confirmed, whose next read is
 * empty): making a device node takes CAP_MKNOD (FUSE mounts are nodev), which is enough to
 * rewrite the file itself.
 */
function sha256File(path: string, follow: boolean, wholeReads: boolean, maxBytes: number, out: Buffer, at: number): number {
  const fd = openForHashing(path, follow)
  try {
    let n = -1
    if (PREAD_REFUSES_NON_FILES && !follow) {
      try {
        n = sys.readSync(fd, buf, 0, CHUNK, 0)
      } catch {
        // the fstat path names what it is, or reports the read error
      }
      if (n > 0 && n < CHUNK && n <= maxBytes && n % SECTOR !== 0 && (wholeReads || sys.readSync(fd, buf, n, 1, n) === 0)) return digestBuffer(n, out, at)
    }
    const st = sys.fstatSync(fd)
    if (!st.isFile()) throw new Failure('E_NOT_REGULAR_FILE', `${path} is not a regular file`)
    if (st.size > maxBytes) return -st.size - 1
    if (st.size > CHUNK) {
      const h = createHash('sha256')
      let pos = 0
      if (n === CHUNK) {
        h.update(buf)
        pos = CHUNK
      }
      const size = hashFrom(fd, path, st.size, pos, h)
      h.digest().copy(out, at)
      return size
    }
    let pos = 0
    while (pos < st.size) {
      const n = sys.readSync(fd, buf, pos, st.size - pos, pos)
      if (n === 0) throw new Failure('E_FILE_CHANGED', `${path} changed while it was being hashed (shorter than its size ${st.size})`)
      pos += n
    }
    return digestBuffer(pos, out, at)
  } catch (err) {
    if (err instanceof Failure) throw err
    throw new Failure('E_IO', `cannot read ${path}: ${(err as Error).message}`)
  } finally {
    fs.closeSync(fd)
  }
}

/** One-shot SHA-256 of the scratch buffer's first `n` bytes, written to `out` at `at`; `n`. */
function digestBuffer(n: number, out: Buffer, at: number): number {
  // latin1 output: a string is far cheaper to make than a Buffer with its own ArrayBuffer (and a
  // plain Uint8Array view than Buffer#subarray).
  out.write(oneShot('sha256', new Uint8Array(buf.buffer, buf.byteOffset, n), 'binary'), at, 'latin1')
  return n
}

// runBatch is cut into small functions, each with one loop: V8 compiles a hot loop on its own
// (on-stack replacement) besides its function, and a whole batch function compiled twice cost
// each worker ~0.1 s of background compile CPU.
async function runBatch(req: HashBatchRequest): Promise<HashBatchReply> {
  const names = req.names.split('\n')
  const prefix = req.root.endsWith(sep) ? req.root : req.root + sep
  const digests = new Uint8Array(names.length * 32)
  const out = Buffer.from(digests.buffer, 0, digests.byteLength)
  const sizes = new Float64Array(names.length)
  const failed = req.alg === 'sha256' ? hashSha256(req, names, prefix, out, sizes) : await hashOther(req, names, prefix, digests, sizes)
  if (failed) return failed
  const reply: HashBatchReply = {id: req.id, ok: true, digests, sizes}
  if (req.lines || req.tree) {
    const paths = req.paths === undefined ? names : req.paths.split('\n')
    if (req.lines) {
      const hex = out.toString('hex')
      // TextEncoder gives each text its own ArrayBuffer (Buffer.from may hand out a slice of a shared pool), so it can move.
      reply.text = encoder.encode(batchLines(paths, sizes, req.alg, hex))
      if (req.dirLines) reply.dir = encoder.encode(batchDirLines(paths, hex))
    }
    if (req.tree) reply.tree = batchTree(paths, sizes, out)
  }
  return reply
}

function failure(req: HashBatchRequest, i: number, err: unknown): HashBatchReply {
  const f = err instanceof Failure ? err : new Failure('E_IO', (err as Error).message)
  return {id: req.id, ok: false, index: i, code: f.code, message: f.message}
}

function hashSha256(req: HashBatchRequest, names: string[], prefix: string, out: Buffer, sizes: Float64Array): HashBatchReply | undefined {
  const whole = req.wholeReads === true
  const maxBytes = req.maxBytes ?? Number.POSITIVE_INFINITY
  const follow = req.follow
  for (let i = 0; i < names.length; i++) {
    try {
      const p = prefix + (sep === '/' ? names[i] : names[i].split('/').join(sep))
      const n = sha256File(p, follow?.[i] === 1, whole, maxBytes, out, i * 32)
      sizes[i] = n < 0 ? -n - 1 : n // too large to be signed: not read, digest left all zeros
    } catch (err) {
      return failure(req, i, err)
    }
  }
  return undefined
}

async function hashOther(
  req: HashBatchRequest,
  names: string[],
  prefix: string,
  digests: Uint8Array,
  sizes: Float64Array,
): Promise<HashBatchReply | undefined> {
  for (let i = 0; i < names.length; i++) {
    try {
      const p = prefix + (sep === '/' ? names[i] : names[i].split('/').join(sep))
      const h: Hasher = await createHasher(req.alg)
      const size = hashOne(p, req.follow?.[i] === 1, h, req.maxBytes)
      if (size < 0) {
        sizes[i] = -size - 1 // too large to be signed: not read, digest left all zeros
        continue
      }
      sizes[i] = size
      digests.set(h.digest(), i * 32)
    } catch (err) {
      return failure(req, i, err)
    }
  }
  return undefined
}

function batchLines(paths: string[], sizes: Float64Array, alg: DatasetHashAlgorithm, hex: string): string {
  let text = ''
  for (let i = 0; i < paths.length; i++) text += entryLine(paths[i], sizes[i], alg, hex.slice(i * 64, i * 64 + 64))
  return text
}

function batchDirLines(paths: string[], hex: string): string {
  let dir = ''
  for (let i = 0; i < paths.length; i++) dir += dirHashLine(hex.slice(i * 64, i * 64 + 64), paths[i])
  return dir
}

function batchTree(paths: string[], sizes: Float64Array, out: Buffer) {
  const tree = new MerkleBuilder()
  for (let i = 0; i < paths.length; i++) tree.push(leafHashAt(paths[i], sizes[i], out, i * 32, 32))
  return tree.subtrees()
}

const encoder = new TextEncoder()

export async function handle(req: HashBatchRequest, ctx: HandlerContext): Promise<HandlerResult<HashBatchReply>> {
  const reply = await runBatch(req)
  if (reply.ok) ctx.progress(reply.sizes.reduce((a, b) => a + b, 0))
  const transfer: ArrayBuffer[] = []
  if (reply.ok) {
    transfer.push(reply.digests.buffer as ArrayBuffer, reply.sizes.buffer as ArrayBuffer)
    for (const b of [reply.text, reply.dir, reply.tree?.hashes]) if (b) transfer.push(b.buffer as ArrayBuffer)
  }
  return {value: reply, transfer}
}

export const datasetBatchHandler = defineHandler(import.meta.url, handle)
