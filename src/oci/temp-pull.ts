/**
 * `scan`, `audit` and `policy check` of an `oci://` model: a verified pull into a private
 * temporary directory, the work, then removal — the commands never look at unverified bytes.
 */
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {pullModel, type PullOptions, type PullResult} from './pull.js'

export async function withVerifiedPull<T>(reference: string, opts: PullOptions, work: (dir: string, pulled: PullResult) => Promise<T>): Promise<T> {
  const base = await mkdtemp(path.join(tmpdir(), 'modelseal-oci-'))
  try {
    const dir = path.join(base, 'model')
    const pulled = await pullModel(reference, dir, opts)
    return await work(dir, pulled)
  } finally {
    await rm(base, {recursive: true, force: true})
  }
}
