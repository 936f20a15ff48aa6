/**
 * Opening a file the caller expects to be a regular file, without the traps of a plain open():
 * a FIFO would block open() until a writer appears, a device could stream forever, and a symlink
 * could lead outside the directory the user named. O_NONBLOCK makes open() return at once for a
 * FIFO, O_NOFOLLOW refuses a symlink in the last component, and the type is checked on the open
 * descriptor (fstat), so a file swapped between a stat and the open is still caught.
 */
import {closeSync, constants, fstatSync, openSync, type Stats} from 'node:fs'

import {type ErrorCode, InputError} from '../errors.js'

// Windows has neither flag; there a FIFO cannot appear in a directory and symlinks need privileges.
const O_NONBLOCK = constants.O_NONBLOCK ?? 0
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0

export interface OpenRegularOptions {
  /** Follow a symlink in the last component (a path the user named). Default false: refuse it. */
  followSymlinks?: boolean
  /** Error code for every refusal (default E_IO). */
  code?: ErrorCode
  /** Noun for messages, e.g. `signature` → "signature x.sig is not a regular file". */
  what?: string
}

export interface OpenedFile {
  fd: number
  stat: Stats
}

function label(path: string, what?: string): string {
  return what ? `${what} ${path}` : path
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  return e?.message ?? String(err)
}

/** Opens `path` read-only; throws InputError unless it is a regular file. The caller closes `fd`. */
export function openRegularFile(path: string, opts: OpenRegularOptions = {}): OpenedFile {
  const code = opts.code ?? 'E_IO'
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | O_NONBLOCK | (opts.followSymlinks ? 0 : O_NOFOLLOW))
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code
    if (errno === 'ELOOP' && !opts.followSymlinks) throw new InputError(code, `${label(path, opts.what)} is a symlink (not followed)`)
    if (errno === 'EISDIR') throw new InputError(code, `${label(path, opts.what)} is not a regular file`)
    throw new InputError(code, `cannot read ${label(path, opts.what)}: ${reason(err)}`, undefined, {cause: err})
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw new InputError(code, `${label(path, opts.what)} is not a regular file`)
    return {fd, stat}
  } catch (err) {
    closeSync(fd)
    if (err instanceof InputError) throw err
    throw new InputError(code, `cannot read ${label(path, opts.what)}: ${reason(err)}`, undefined, {cause: err})
  }
}
