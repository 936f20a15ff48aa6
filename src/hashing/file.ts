/**
 * Streaming hashing of a file or a byte range of it, in constant memory. Two ways to read a large
 * range, chosen by the caller (HashTask.readAhead) from how many cores the hashing leaves free:
 *
 * - Read-ahead (one hash stream, a core to spare): fs.read into three reused 4 MiB buffers — while
 *   this thread digests one chunk, the next reads (the copies out of the page cache) run on the
 *   libuv pool, i.e. on the other core, so the hashing thread only hashes. This is what a single SHA-256
 *   stream can gain over `openssl dgst`, which reads and hashes on one thread. 4 MiB rather than
 *   1 MiB: a quarter of the event-loop round trips (measured: 2.5 % less CPU on the hashing thread
 *   for a 2 GiB file, 1.21 s vs 1.25 s; 8 MiB gained nothing more).
 * - In-thread (every core hashing): readSync of 1 MiB into one buffer, then hash it. The bytes are
 *   still in this core's cache when they are hashed; handing each chunk from a pool thread to the
 *   hashing thread costs cache misses and wake-ups on a machine with no core to spare (measured on
 *   a 2 GiB file: 1.56 s of process CPU in-thread vs 1.67–1.85 s with read-ahead). It yields to
 *   the event loop every few chunks, so that the main thread, when it is a lane, still hands tasks
 *   to the workers.
 *
 * Small ranges take a synchronous path (one readSync) because for millions of small files the
 * thread-pool round trips, not the hashing, are the cost.
 *
 * A file whose size or modification time changes while it is hashed is an error (E_FILE_CHANGED):
 * the digest would describe bytes that no longer exist (or never existed together).
 */
import fs from 'node:fs'
import {isMainThread} from 'node:worker_threads'

import {InputError, ModelsealError} from '../errors.js'
import {createHasher, type HashAlgorithm, type Hasher} from './algorithms.js'

/** Bytes per in-thread read (and the buffer of small ranges). 1 MiB matches the Python reference. */
export const READ_CHUNK_SIZE = 1 << 20
/** Bytes per read with read-ahead. */
export const READ_AHEAD_CHUNK_SIZE = 4 << 20
/**
 * Buffers per read-ahead stream: one being hashed, two being read. Two reads ahead rather than one
 * keep the hashing going when a pool thread is slow to be scheduled (2 GiB, loaded machine, 14
 * interleaved rounds: 1.41–1.48 s vs 1.48–1.57 s with one; three ahead was no better).
 */
export const READ_AHEAD_DEPTH = 3
/** Ranges up to this size are read with one synchronous read. */
export const SMALL_RANGE_SIZE = 1 << 20
/**
 * In-thread reads on the main thread: let the event loop run after this many bytes (~2 ms of
 * hashing), so that a worker that finished its task gets the next one without waiting long.
 */
const YIELD_EVERY = 4 << 20
const MAX_IDLE_BUFFERS = 8

export interface HashTask {
  /** File to read. */
  path: string
  alg: HashAlgorithm
  /** First byte (inclusive); default 0. */
  start?: number
  /** End (exclusive); default: the file size when it is opened. */
  end?: number
  /** The size the file had when it was enumerated: a different size at open is E_FILE_CHANGED. */
  expectedSize?: number
  /** Refuse to open the path if it is (now) a symlink: closes the enumerate→open race. */
  noFollow?: boolean
  /**
   * Large ranges: read ahead on the libuv pool (default; best when a core is free for the copies)
   * or read in this thread (best when every core is hashing). Same bytes, same digest.
   */
  readAhead?: boolean
}

export interface HashResult {
  digest: Buffer
  /** Size of the file when it was opened (and, as checked, when hashing ended). */
  size: number
}

export interface HashTaskOptions {
  /** Called with the number of bytes after each chunk is hashed. */
  onProgress?: (bytes: number) => void
}

const idleBuffers: Buffer[] = []
const idleAheadBuffers: Buffer[] = []
function takeBuffer(): Buffer {
  return idleBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK_SIZE)
}
function giveBuffer(b: Buffer): void {
  if (idleBuffers.length < MAX_IDLE_BUFFERS) idleBuffers.push(b)
}
function takeAheadBuffer(): Buffer {
  return idleAheadBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_AHEAD_CHUNK_SIZE)
}
function giveAheadBuffer(b: Buffer): void {
  // One stream's worth; several streams rarely run on one thread at once.
  if (idleAheadBuffers.length < READ_AHEAD_DEPTH) idleAheadBuffers.push(b)
}
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

function fileChanged(path: string, why: string): InputError {
  return new InputError('E_FILE_CHANGED', `${path} changed while it was being hashed (${why})`)
}

/** Wraps a system error with the path, as an input error (exit 3). */
export function ioError(path: string, err: unknown): ModelsealError {
  if (err instanceof ModelsealError) return err
  const e = err as {code?: string; message?: string}
  if (e?.code === 'ELOOP') return new InputError('E_SYMLINK', `${path} is a symlink (not allowed here)`)
  return new InputError('E_IO', `cannot read ${path}: ${e?.message ?? String(err)}`)
}

function readAsync(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n)))
  })
}

function validateRange(task: HashTask): void {
  const {start, end} = task
  if (start !== undefined && (!Number.isSafeInteger(start) || start < 0)) {
    throw new InputError('E_BAD_RANGE', `invalid start offset ${start} for ${task.path}`)
  }
  if (end !== undefined && (!Number.isSafeInteger(end) || end < (start ?? 0))) {
    throw new InputError('E_BAD_RANGE', `invalid end offset ${end} for ${task.path}`)
  }
}

/** Hashes one task (a whole file or a range of it) on the calling thread. */
export async function hashTask(task: HashTask, opts: HashTaskOptions = {}): Promise<HashResult> {
  validateRange(task)
  // O_NONBLOCK: a file swapped for a FIFO after listing must not hang the open (fstat refuses it).
  const flags = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (task.noFollow ? fs.constants.O_NOFOLLOW : 0)
  let fd: number
  try {
    fd = fs.openSync(task.path, flags)
  } catch (err) {
    throw ioError(task.path, err)
  }
  try {
    const before = fs.fstatSync(fd, {bigint: true})
    if (!before.isFile()) throw new InputError('E_NOT_REGULAR_FILE', `${task.path} is not a regular file`)
    const size = Number(before.size)
    if (task.expectedSize !== undefined && size !== task.expectedSize) {
      throw fileChanged(task.path, `size ${task.expectedSize} when listed, ${size} when opened`)
    }
    const start = task.start ?? 0
    const end = task.end ?? size
    if (end > size || start > size) throw fileChanged(task.path, `range ${start}..${end} is beyond its size ${size}`)
    const hasher = await createHasher(task.alg)
    if (end - start <= SMALL_RANGE_SIZE) {
      hashSmallRange(fd, task.path, start, end, hasher)
      opts.onProgress?.(end - start)
    } else if (task.readAhead === false) {
      await hashRangeInThread(fd, task.path, start, end, hasher, opts.onProgress)
    } else {
      await hashLargeRange(fd, task.path, start, end, hasher, opts.onProgress)
    }
    const after = fs.fstatSync(fd, {bigint: true})
    if (after.size !== before.size) throw fileChanged(task.path, `size ${before.size} → ${after.size}`)
    if (after.mtimeNs !== before.mtimeNs) throw fileChanged(task.path, 'modification time changed')
    return {digest: hasher.digest(), size}
  } catch (err) {
    throw ioError(task.path, err)
  } finally {
    fs.closeSync(fd)
  }
}

function hashSmallRange(fd: number, path: string, start: number, end: number, hasher: Hasher): void {
  if (end === start) return
  const buf = takeBuffer()
  try {
    let pos = start
    while (pos < end) {
      const n = fs.readSync(fd, buf, 0, end - pos, pos)
      if (n === 0) throw fileChanged(path, `unexpected end of file at ${pos}`)
      hasher.update(buf.subarray(0, n))
      pos += n
    }
  } finally {
    giveBuffer(buf)
  }
}

/** Reads and hashes on this thread, one reused buffer (see the top of this file for when). */
async function hashRangeInThread(fd: number, path: string, start: number, end: number, hasher: Hasher, onProgress?: (bytes: number) => void): Promise<void> {
  const buf = takeBuffer()
  try {
    let pos = start
    let sinceYield = 0
    while (pos < end) {
      const n = fs.readSync(fd, buf, 0, Math.min(READ_CHUNK_SIZE, end - pos), pos)
      if (n === 0) throw fileChanged(path, `unexpected end of file at ${pos}`)
      hasher.update(n === buf.length ? buf : buf.subarray(0, n))
      pos += n
      onProgress?.(n)
      sinceYield += n
      if (sinceYield >= YIELD_EVERY && pos < end && isMainThread) {
        sinceYield = 0
        await yieldToLoop()
      }
    }
  } finally {
    giveBuffer(buf)
  }
}

interface ReadAhead {
  buf: Buffer
  at: number
  len: number
  done: Promise<number>
}

/**
 * Reads ahead on the libuv pool (READ_AHEAD_DEPTH − 1 reads in flight) while this thread hashes.
 * More than one read ahead lets the hashing go on when a pool thread is slow to be scheduled.
 */
async function hashLargeRange(fd: number, path: string, start: number, end: number, hasher: Hasher, onProgress?: (bytes: number) => void): Promise<void> {
  const free: Buffer[] = []
  for (let i = 0; i < READ_AHEAD_DEPTH; i++) free.push(takeAheadBuffer())
  const inFlight: ReadAhead[] = []
  let next = start
  const issue = () => {
    while (free.length > 0 && next < end) {
      const buf = free.pop()!
      const len = Math.min(READ_AHEAD_CHUNK_SIZE, end - next)
      const done = readAsync(fd, buf, len, next)
      // Handled when awaited in order; until then a failure must not count as unhandled.
      done.catch(() => {})
      inFlight.push({buf, at: next, len, done})
      next += len
    }
  }
  try {
    issue()
    while (inFlight.length > 0) {
      const r = inFlight.shift()!
      let n: number
      try {
        n = await r.done
      } catch (err) {
        free.push(r.buf)
        throw err
      }
      if (n === 0) {
        free.push(r.buf)
        throw fileChanged(path, `unexpected end of file at ${r.at}`)
      }
      if (n < r.len) {
        // A short read: what was read beyond it is at the wrong offsets; read again from here.
        for (const x of inFlight.splice(0)) {
          await x.done.catch(() => 0)
          free.push(x.buf)
        }
        next = r.at + n
      }
      // Start the next reads into the free buffers before hashing this one.
      issue()
      hasher.update(r.buf.subarray(0, n))
      free.push(r.buf)
      onProgress?.(n)
    }
  } finally {
    // Never release a buffer (or let the caller close the fd) under a read still in flight.
    for (const x of inFlight.splice(0)) {
      await x.done.catch(() => 0)
      free.push(x.buf)
    }
    for (const b of free) giveAheadBuffer(b)
  }
}

/** Digest of bytes [start, end) of a file. */
export async function hashFileRange(
  path: string,
  start: number,
  end: number,
  alg: HashAlgorithm,
  opts: HashTaskOptions & {expectedSize?: number; noFollow?: boolean} = {},
): Promise<Buffer> {
  const r = await hashTask({path, start, end, alg, expectedSize: opts.expectedSize, noFollow: opts.noFollow}, opts)
  return r.digest
}

/** Digest of a whole file. */
export async function hashFile(path: string, alg: HashAlgorithm, opts: HashTaskOptions & {expectedSize?: number; noFollow?: boolean} = {}): Promise<Buffer> {
  const r = await hashTask({path, alg, expectedSize: opts.expectedSize, noFollow: opts.noFollow}, opts)
  return r.digest
}
