/**
 * Bounded reads: a file larger than the caller's limit is refused from its size alone, before a
 * byte is read, and a file that grows while it is read is cut at the limit and refused too.
 */
import {closeSync, readSync} from 'node:fs'

import {type ErrorCode, InputError} from '../errors.js'
import {openRegularFile, type OpenRegularOptions} from './open.js'

export interface BoundedReadOptions extends OpenRegularOptions {
  /** Largest accepted size in bytes. */
  maxBytes: number
  /** Error code when the file is too large (default: `code`, else E_FILE_TOO_LARGE). */
  tooLargeCode?: ErrorCode
}

function tooLarge(path: string, size: number, opts: BoundedReadOptions): InputError {
  const code = opts.tooLargeCode ?? opts.code ?? 'E_FILE_TOO_LARGE'
  const label = opts.what ? `${opts.what} ${path}` : path
  return new InputError(code, `${label} is ${size} bytes, larger than the limit of ${opts.maxBytes} bytes`)
}

/**
 * Reads a whole regular file of at most `maxBytes`. Symlinks are followed only when
 * `followSymlinks` is set (paths the user named: keys, bundles, policies).
 */
export function readBoundedFile(path: string, opts: BoundedReadOptions): Buffer {
  const {fd, stat} = openRegularFile(path, opts)
  try {
    if (stat.size > opts.maxBytes) throw tooLarge(path, stat.size, opts)
    // One byte of room past the stat size tells a file that grew from one that did not.
    const buf = Buffer.alloc(Math.min(stat.size, opts.maxBytes) + 1)
    let off = 0
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off)
      if (n === 0) break
      off += n
    }
    if (off > opts.maxBytes) throw tooLarge(path, off, opts)
    return buf.subarray(0, off)
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(opts.code ?? 'E_IO', `cannot read ${opts.what ? `${opts.what} ${path}` : path}: ${(err as Error).message}`, undefined, {
      cause: err,
    })
  } finally {
    closeSync(fd)
  }
}

/** The first `len` bytes of a regular file (fewer for a shorter file) and its size, for format detection. */
export function readFileHead(path: string, len: number, opts: OpenRegularOptions = {}): {head: Buffer; size: number} {
  const {fd, stat} = openRegularFile(path, opts)
  try {
    const head = Buffer.alloc(Math.min(len, stat.size))
    let n = 0
    while (n < head.length) {
      const r = readSync(fd, head, n, head.length - n, n)
      if (r === 0) break
      n += r
    }
    return {head: head.subarray(0, n), size: stat.size}
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(opts.code ?? 'E_IO', `cannot read ${path}: ${(err as Error).message}`, undefined, {cause: err})
  } finally {
    closeSync(fd)
  }
}
