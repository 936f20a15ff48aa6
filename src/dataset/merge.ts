/**
 * `dataset merge`: combines the partial manifests of `--partition 0/N … N-1/N` into the manifest
 * a single run would have written — same entries, same shards, same root. Partials are checked
 * first: one of each index, the same dataset, algorithm and shard size, and the same listing
 * (so a dataset that changed between workers is caught, not silently merged).
 */
import path from 'node:path'
import {createHash} from 'node:crypto'
import {writeFile} from 'node:fs/promises'

import {InputError, UsageError} from '../errors.js'
import {loadManifest, serializeHeader, type LoadedManifest} from './header.js'
import {prepareOutput, creationTime} from './manifest.js'
import {comparePaths} from './paths.js'
import {manifestEntries} from './reader.js'
import {mergeSorted} from './sorter.js'
import {partitionRange} from './source.js'
import type {DatasetHeader} from './types.js'
import {ShardWriter} from './writer.js'

export interface MergeOptions {
  output: string
  force?: boolean
  created?: Date
}

function mismatch(msg: string): never {
  throw new InputError('E_DATASET_MERGE_MISMATCH', msg)
}

export async function mergeManifests(inputs: string[], opts: MergeOptions): Promise<{header: DatasetHeader; headerPath: string}> {
  if (inputs.length === 0) throw new UsageError('E_USAGE', 'no partial manifests given')
  const parts: LoadedManifest[] = []
  for (const p of inputs) parts.push(await loadManifest(p))
  const first = parts[0].header
  if (!first.partition) mismatch(`${inputs[0]} is not a partial manifest (no partition)`)
  const n = first.partition.count
  const seen = new Array<boolean>(n).fill(false)
  for (let i = 0; i < parts.length; i++) {
    const h = parts[i].header
    const where = inputs[i]
    if (!h.partition) mismatch(`${where} is not a partial manifest (no partition)`)
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
    if (h.partition.count !== n || h.partition.unit !== first.partition.unit || h.partition.units !== first.partition.units)
      mismatch(`${where}: partition ${h.partition.index}/${h.partition.count} does not belong with ${inputs[0]}`)
    if (h.partition.listingDigest !== first.partition.listingDigest)
      mismatch(`${where}: listed a different dataset than ${inputs[0]} (the dataset changed between workers?)`)
    if (!same(h.dataset, first.dataset) || !same(h.hash, first.hash) || h.shardEntries !== first.shardEntries || h.source.format !== first.source.format) {
      mismatch(`${where}: dataset name/version, hash algorithm, shard size or source format differ from ${inputs[0]}`)
    }
    if (seen[h.partition.index]) mismatch(`partition ${h.partition.index}/${n} given twice`)
    seen[h.partition.index] = true
  }
  const missing = seen.flatMap((s, i) => (s ? [] : [i]))
  if (missing.length > 0) mismatch(`missing partition${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')} of ${n}`)
  const totalFiles = parts.reduce((a, p) => a + p.header.stats.files, 0)
  if (first.partition.unit === 'file' && totalFiles !== first.partition.units)
    mismatch(`the partials hold ${totalFiles} files but the dataset listing has ${first.partition.units}`)

  await prepareOutput(opts.output, opts.force ?? false)
  const writer = new ShardWriter(opts.output, first.hash.file, first.shardEntries)
  // Partials of a directory are contiguous path ranges, partials of tar shards interleave:
  // a k-way merge handles both, and the writer refuses any path seen twice.
  // Bind every partial to the listing it claims (a copied listingDigest is not enough): for a
  // directory, partial I holds exactly the paths [floor(I·n/N), floor((I+1)·n/N)) of the listing
  // and the merged paths hash to the listingDigest; for tar shards the listing names shards, not
  // files, so only the counts and the digest equality above bind them.
  if (first.partition.unit === 'file') {
    for (let i = 0; i < parts.length; i++) {
      const h = parts[i].header
      const [a, b] = partitionRange(first.partition.units, h.partition!.index, n)
      if (h.stats.files !== b - a) mismatch(`${inputs[i]}: partition ${h.partition!.index}/${n} holds ${h.stats.files} files, its listing range holds ${b - a}`)
    }
  }
  const listing = createHash('sha256')
  const streams = parts.map((p) => manifestEntries(p.dir, p.header))
  for await (const e of mergeSorted(streams, (a, b) => comparePaths(a.path, b.path))) {
    listing.update(`${e.path}\n`)
    await writer.add(e)
  }
  if (first.partition.unit === 'file' && listing.digest('hex') !== first.partition.listingDigest) {
    mismatch("the partials' files are not the listing their listingDigest names (partials of another dataset?)")
  }
  const w = await writer.finish()
  const header: DatasetHeader = {
    manifestVersion: first.manifestVersion,
    dataset: first.dataset,
    created: creationTime(opts.created),
    hash: first.hash,
    source: first.source,
    stats: {files: w.files, bytes: w.bytes},
    shardEntries: first.shardEntries,
    root: w.root,
    ...(w.dirHash1 ? {dirHash1: w.dirHash1} : {}),
    shards: w.shards,
  }
  const headerPath = path.join(opts.output, 'manifest.json')
  await writeFile(headerPath, serializeHeader(header))
  return {header, headerPath}
}
