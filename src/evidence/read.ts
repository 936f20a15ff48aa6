/** Bounded reads of evidence and trust material (policy files, keys, CA certificates, trusted roots). */
import {closeSync, fstatSync, openSync, readSync, statSync} from 'node:fs'

import {InputError} from '../errors.js'

/** Reads at most `max` bytes; a larger file is refused without reading it all. */
export function readBoundedFile(file: string, max: number, code: string, what: string): Buffer {
  let fd: number
  try {
    // open() of a FIFO blocks until a writer appears: refuse anything but a regular file first
    if (!statSync(file).isFile()) throw new InputError(code, `${what} ${file} is not a regular file`)
    fd = openSync(file, 'r')
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(code, `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new InputError(code, `${what} ${file} is not a regular file`)
    if (st.size > max) throw new InputError(code, `${what} ${file} is larger than ${max} bytes`)
    const buf = Buffer.alloc(st.size)
    let off = 0
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off)
      if (n === 0) break
      off += n
    }
    return buf.subarray(0, off)
  } finally {
    closeSync(fd)
  }
}

