/** Which files a partial verification looks at: `--paths GLOB` and `--sample RATE --seed S`. */
import {createHash} from 'node:crypto'

import picomatch from 'picomatch'

import {UsageError} from '../errors.js'

const SAMPLE_DOMAIN = 'modelseal-dataset-sample-v1\0'
const TWO_48 = 2 ** 48

/**
 * A file is in the sample iff the first 48 bits of SHA-256(domain || seed || 0x00 || path),
 * read as a fraction of 2^48, are below the rate. Deterministic for a seed, independent of the
 * order files are read in, and the same for the manifest and the files on disk, so a sampled
 * file that was added or removed is noticed too.
 */
export function samplePredicate(rate: number, seed: string): (path: string) => boolean {
  if (!(rate > 0 && rate <= 1)) throw new UsageError('E_DATASET_BAD_SAMPLE', `--sample must be a rate in (0, 1] (got ${rate})`)
  const prefix = Buffer.from(`${SAMPLE_DOMAIN}${seed}\0`, 'utf8')
  return (p) => createHash('sha256').update(prefix).update(p, 'utf8').digest().readUIntBE(0, 6) / TWO_48 < rate
}

export function globPredicate(globs: string[]): (path: string) => boolean {
  if (globs.length === 0) throw new UsageError('E_USAGE', '--paths needs a glob')
  const m = picomatch(globs, {dot: true, strictSlashes: true})
  return (p) => m(p)
}
