/**
 * Task handler of the worker engine (src/workers) for the dataset fast path: hashes batches of
 * whole files synchronously (a worker thread has nothing else to do) with the fewest system calls
 * per file — open (no-follow, non-blocking), fstat, read, close — and answers with one
 * transferable message per batch.
 */
import {createHash, hash as oneShot} from 'node:crypto'
import fs from 'node:fs'
import {sep} from 'node:path'

import {createHasher, type HashAlgorithm, type Hasher} from '../hashing/algorithms.js'
import {defineHandler, type HandlerContext, type HandlerResult} from '../workers/engine.js'

export interface HashBatchRequest {
  id: number
  alg: HashAlgorithm
  /** Directory the names are relative to. */
  root: string
  /** '/'-separated paths relative to root, joined by '\n' (one string clones far cheaper than an array). */
  names: string
  /** 1 = the path is an allowed symlink (open following it). */
  follow: Uint8Array
  /**
   * Verify only: a file larger than this cannot be a file of the signed dataset (it is larger than
   * the whole dataset), so it is not read — its digest stays all zeros and the size tells why — and a
   * sparse 15 TiB file costs one fstat instead of hours.
   */
  maxBytes?: number
}

export type HashBatchReply =
  | {id: number; ok: true; digests: Uint8Array; sizes: Float64Array}
  | {id: number; ok: false; index: number; code: string; message: string}

const CHUNK = 1 << 20
const buf = Buffer.allocUnsafe(CHUNK)
const BASE_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0)
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0

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

function hashOne(path: string, follow: boolean, hasher: {update(b: Uint8Array): void}, maxBytes = Number.POSITIVE_INFINITY): number {
  const fd = openForHashing(path, follow)
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new Failure('E_NOT_REGULAR_FILE', `${path} is not a regular file`)
    if (st.size > maxBytes) return -st.size - 1
    let pos = 0
    while (pos < st.size) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, st.size - pos), pos)
      if (n === 0) throw new Failure('E_FILE_CHANGED', `${path} changed while it was being hashed (shorter than its size ${st.size})`)
      hasher.update(buf.subarray(0, n))
      pos += n
    }
    return pos
  } catch (err) {
    if (err instanceof Failure) throw err
    throw new Failure('E_IO', `cannot read ${path}: ${(err as Error).message}`)
  } finally {
    fs.closeSync(fd)
  }
}

/** Reads a whole file that fits in the scratch buffer; its size, or -1 when it is larger (then `hashOne`). */
function readSmall(path: string, follow: boolean, maxBytes = Number.POSITIVE_INFINITY): number {
  const fd = openForHashing(path, follow)
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new Failure('E_NOT_REGULAR_FILE', `${path} is not a regular file`)
    if (st.size > maxBytes) return -st.size - 1
    if (st.size > CHUNK) return -1
    let pos = 0
    while (pos < st.size) {
      const n = fs.readSync(fd, buf, pos, st.size - pos, pos)
      if (n === 0) throw new Failure('E_FILE_CHANGED', `${path} changed while it was being hashed (shorter than its size ${st.size})`)
      pos += n
    }
    return pos
  } catch (err) {
    if (err instanceof Failure) throw err
    throw new Failure('E_IO', `cannot read ${path}: ${(err as Error).message}`)
  } finally {
    fs.closeSync(fd)
  }
}

async function runBatch(req: HashBatchRequest): Promise<HashBatchReply> {
  const paths = req.names.split('\n')
  const prefix = req.root.endsWith(sep) ? req.root : req.root + sep
  const digests = new Uint8Array(paths.length * 32)
  const out = Buffer.from(digests.buffer, 0, digests.byteLength)
  const sizes = new Float64Array(paths.length)
  for (let i = 0; i < paths.length; i++) {
    try {
      const p = prefix + (sep === '/' ? paths[i] : paths[i].split('/').join(sep))
      const follow = req.follow[i] === 1
      // sha256 of a small file: one read into the scratch buffer and a one-shot digest — a Hash
      // object per file costs more than hashing a few kilobytes.
      const n = req.alg === 'sha256' ? readSmall(p, follow, req.maxBytes) : -1
      if (n < -1) {
        sizes[i] = -n - 1 // too large to be signed: not read, digest left all zeros
        continue
      }
      if (n >= 0) {
        sizes[i] = n
        // latin1 output: a string is far cheaper to make than a Buffer with its own ArrayBuffer.
        out.write(oneShot('sha256', buf.subarray(0, n), 'binary'), i * 32, 'latin1')
        continue
      }
      const h: Hasher | ReturnType<typeof createHash> = req.alg === 'sha256' ? createHash('sha256') : await createHasher(req.alg)
      const size = hashOne(p, follow, h, req.maxBytes)
      if (size < 0) {
        sizes[i] = -size - 1 // too large to be signed: not read, digest left all zeros
        continue
      }
      sizes[i] = size
      digests.set(h.digest(), i * 32)
    } catch (err) {
      const f = err instanceof Failure ? err : new Failure('E_IO', (err as Error).message)
      return {id: req.id, ok: false, index: i, code: f.code, message: f.message}
    }
  }
  return {id: req.id, ok: true, digests, sizes}
}

export async function handle(req: HashBatchRequest, ctx: HandlerContext): Promise<HandlerResult<HashBatchReply>> {
  const reply = await runBatch(req)
  if (reply.ok) ctx.progress(reply.sizes.reduce((a, b) => a + b, 0))
  return {value: reply, transfer: reply.ok ? [reply.digests.buffer as ArrayBuffer, reply.sizes.buffer as ArrayBuffer] : []}
}

export const datasetBatchHandler = defineHandler(import.meta.url, handle)
