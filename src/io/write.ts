/** Writing results so that a crash or a full disk never leaves a truncated file behind. */
import {randomBytes} from 'node:crypto'
import {renameSync, rmSync, writeFileSync} from 'node:fs'

import {InputError} from '../errors.js'

/** Write-then-rename in the same directory (rename is atomic there); the temp file is exclusive. */
export function writeAtomically(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  try {
    writeFileSync(tmp, data, {flag: 'wx'})
    renameSync(tmp, file)
  } catch (err) {
    rmSync(tmp, {force: true})
    throw new InputError('E_IO', `cannot write ${file}: ${(err as Error).message}`, undefined, {cause: err})
  }
}
