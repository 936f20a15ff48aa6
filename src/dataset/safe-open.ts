/** Opening dataset and manifest files without hanging on a FIFO or leaving through a symlink. */
import {constants} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'

import {InputError} from '../errors.js'

/**
 * Opens a file to read without blocking on a FIFO and without following a final symlink
 * (unless `follow`), then checks it is a regular file.
 */
export async function openRegularFile(file: string, follow: boolean): Promise<FileHandle> {
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (follow ? 0 : (constants.O_NOFOLLOW ?? 0))
  const fh = await open(file, flags).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.code === 'ELOOP' ? 'E_SYMLINK' : 'E_IO', err.code === 'ELOOP' ? `${file} is a symbolic link (not followed)` : `cannot read ${file}: ${err.message}`)
  })
  const st = await fh.stat()
  if (!st.isFile()) {
    await fh.close()
    throw new InputError('E_NOT_REGULAR_FILE', `${file} is not a regular file`)
  }
  return fh
}

