/**
 * Streaming hashing of a file or a byte range of it, in constant memory.
 *
 * Reads go through an fd with fs.read into two reused buffers: while the hasher digests one chunk
 * (synchronously, on this thread), the next read is already running on the libuv pool, so I/O and
 * hashing overlap. Small ranges take a synchronous path (one readSync) because for millions of
 * small files the thread-pool round trips, not the hashing, are the cost.
 *
 * A file whose size or modification time changes while it is hashed is an error (E_FILE_CHANGED):
 * the digest would describe bytes that no longer exist (or never existed together).
 */
import fs from 'node:fs'

import {InputError, ModelsealError} from '../errors.js'
import {createHasher, type HashAlgorithm, type Hasher} from './algorithms.js'

/** Bytes per read. 1 MiB matches the Python reference and keeps both buffers in L2/L3. */
export const READ_CHUNK_SIZE = 1 << 20
/** Ranges up to this size are read with one synchronous read. */
export const SMALL_RANGE_SIZE = 1 << 20
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
function takeBuffer(): Buffer {
  return idleBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK_SIZE)
}
function giveBuffer(b: Buffer): void {
  if (idleBuffers.length < MAX_IDLE_BUFFERS) idleBuffers.push(b)
}

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

async function hashLargeRange(fd: number, path: string, start: number, end: number, hasher: Hasher, onProgress?: (bytes: number) => void): Promise<void> {
  let front = takeBuffer()
  let back = takeBuffer()
  let pos = start
  let pending: Promise<number> | undefined = readAsync(fd, front, Math.min(READ_CHUNK_SIZE, end - pos), pos)
  try {
    while (pending) {
      const n = await pending
      pending = undefined
      if (n === 0) throw fileChanged(path, `unexpected end of file at ${pos}`)
      const filled = front
      pos += n
      if (pos < end) {
        // Start the next read into the other buffer before hashing this one.
        front = back
        back = filled
        pending = readAsync(fd, front, Math.min(READ_CHUNK_SIZE, end - pos), pos)
      }
      hasher.update(filled.subarray(0, n))
      onProgress?.(n)
    }
  } finally {
    // Never release a buffer (or let the caller close the fd) under a read still in flight.
    if (pending) await pending.catch(() => 0)
    giveBuffer(front)
    giveBuffer(back)
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
