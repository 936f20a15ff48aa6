/**
 * `scan`, `audit` and `policy check` of an `oci://` model: a verified pull into a private
 * temporary directory, the work, then removal — the commands never look at unverified bytes.
 */
import {mkdir, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {fetchModelEvidence, pullModel, type FetchedEvidence, type PullOptions, type PullResult} from './pull.js'
import type {RegistryOptions} from './resolve.js'

export async function withVerifiedPull<T>(reference: string, opts: PullOptions, work: (dir: string, pulled: PullResult) => Promise<T>): Promise<T> {
  const base = await mkdtemp(path.join(tmpdir(), 'modelseal-oci-pull-'))
  try {
    const dir = path.join(base, 'model')
    const pulled = await pullModel(reference, dir, opts)
    return await work(dir, pulled)
  } finally {
    await rm(base, {recursive: true, force: true})
  }
}

/** audit / policy check: the digest-checked files and the attached signatures, in a temp dir. */
export async function withModelEvidence<T>(reference: string, opts: RegistryOptions, work: (e: FetchedEvidence) => Promise<T>): Promise<T> {
  const base = await mkdtemp(path.join(tmpdir(), 'modelseal-oci-pull-'))
  try {
    const sigDir = path.join(base, 'signatures')
    await mkdir(sigDir)
    const evidence = await fetchModelEvidence(reference, path.join(base, 'model'), sigDir, opts)
    return await work(evidence)
  } finally {
    await rm(base, {recursive: true, force: true})
  }
}
