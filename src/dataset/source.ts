/**
 * A dataset source — a directory, a .tar/.tar.gz, or a directory of tar shards — as one stream
 * of entries sorted by path bytes, hashed on all cores (directories) or as the archive streams
 * past (tars). Also where `--partition I/N` picks its deterministic slice.
 */
import {createHash} from 'node:crypto'
import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import {InputError, UsageError} from '../errors.js'
import type {Progress} from '../util/progress.js'
import {FileHashPool, hashBatchesInOrder} from './file-hasher.js'
import {ProblemList} from './problems.js'
import {EntrySorter} from './sorter.js'
import {isGzipFile, readTar} from './tar.js'
import type {DatasetEntry, DatasetHashAlgorithm, PartitionInfo, SourceFormat} from './types.js'
import {walkDirectory} from './walk.js'

const TAR_SHARD_NAME = /\.(tar|tar\.gz|tgz)$/

export interface SourceOptions {
  format?: SourceFormat | 'auto'
  algorithm: DatasetHashAlgorithm
  allowLinks?: boolean
  /** Only these paths are listed and hashed (verify --paths / --sample). */
  select?: (path: string) => boolean
  partition?: {index: number; count: number}
  progress?: Progress
  /** Hash worker threads; default: one per core. */
  workers?: number
}

export interface OpenedSource {
  format: SourceFormat
  partition?: PartitionInfo
  /** Link members skipped in tars under --allow-links. */
  skipped: string[]
  entries: AsyncGenerator<DatasetEntry>
  /**
   * The same entries a batch at a time (directories only; consume either this or `entries`):
   * no object or promise per file, which is most of the cost for millions of small files.
   */
  batches?: AsyncGenerator<EntryBatch>
}

/** Entries `paths[start .. start+count)` with their sizes and raw digests (32 bytes each). */
export interface EntryBatch {
  paths: readonly string[]
  start: number
  count: number
  sizes: Float64Array
  digests: Buffer
}

export async function detectFormat(p: string): Promise<SourceFormat> {
  const st = await stat(p).catch((err) => {
    throw new InputError('E_IO', `cannot read ${p}: ${(err as Error).message}`)
  })
  if (st.isFile()) return 'tar'
  if (!st.isDirectory()) throw new InputError('E_IO', `${p} is neither a file nor a directory`)
  const ents = await readdir(p, {withFileTypes: true})
  const shards = ents.length > 0 && ents.every((e) => e.isFile() && TAR_SHARD_NAME.test(e.name))
  return shards ? 'tar-shards' : 'dir'
}

/** [start, end) of partition `index` of `units` items split into `count` contiguous ranges. */
export function partitionRange(units: number, index: number, count: number): [number, number] {
  return [Math.floor((index * units) / count), Math.floor(((index + 1) * units) / count)]
}

function listingDigest(lines: Iterable<string>): string {
  const h = createHash('sha256')
  for (const l of lines) h.update(`${l}\n`)
  return h.digest('hex')
}

export async function openSource(p: string, opts: SourceOptions): Promise<OpenedSource> {
  const format = !opts.format || opts.format === 'auto' ? await detectFormat(p) : opts.format
  if (format === 'dir') return openDirectory(p, opts)
  if (opts.partition && format === 'tar') {
    throw new UsageError('E_DATASET_PARTITION_UNSUPPORTED', 'a single tar archive is read as one stream and cannot be partitioned; partition a directory of tar shards instead')
  }
  let files: string[]
  if (format === 'tar') files = [p]
  else {
    const names = (await readdir(p, {withFileTypes: true})).filter((e) => e.isFile() && TAR_SHARD_NAME.test(e.name)).map((e) => e.name)
    names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    files = names.map((n) => path.join(p, n))
  }
  let partition: PartitionInfo | undefined
  if (opts.partition) {
    const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size))
    const [a, b] = partitionRange(files.length, opts.partition.index, opts.partition.count)
    partition = {
      ...opts.partition,
      unit: 'tar-shard',
      units: files.length,
      listingDigest: listingDigest(files.map((f, i) => `${path.basename(f)}\t${sizes[i]}`)),
    }
    files = files.slice(a, b)
  }
  const skipped: string[] = []
  return {format, partition, skipped, entries: tarEntries(files, opts, skipped)}
}

async function openDirectory(p: string, opts: SourceOptions): Promise<OpenedSource> {
  // Worker threads boot while the main thread walks the tree.
  const pool = new FileHashPool(opts.workers).warm()
  let listing: Awaited<ReturnType<typeof walkDirectory>>
  try {
    listing = await walkDirectory(p, {allowLinks: opts.allowLinks, select: opts.select})
  } catch (err) {
    await pool.close()
    throw err
  }
  let paths = listing.paths
  let partition: PartitionInfo | undefined
  if (opts.partition) {
    const [a, b] = partitionRange(paths.length, opts.partition.index, opts.partition.count)
    partition = {...opts.partition, unit: 'file', units: paths.length, listingDigest: listingDigest(paths)}
    paths = paths.slice(a, b)
  }
  const {diskNames, links} = listing
  async function* batches(): AsyncGenerator<EntryBatch> {
    opts.progress?.setTotal(paths.length)
    let start = 0
    for await (const b of hashBatchesInOrder(
      listing.root,
      paths.length,
      diskNames.size === 0 ? (k) => paths[k] : (k) => diskNames.get(paths[k]) ?? paths[k],
      links.size === 0 ? () => false : (k) => links.has(paths[k]),
      opts.algorithm,
      {pool, onBatch: (n) => opts.progress?.advance(n)},
    )) {
      yield {paths, start, count: b.count, sizes: b.sizes, digests: b.digests}
      start += b.count
    }
  }
  async function* entries(): AsyncGenerator<DatasetEntry> {
    for await (const b of batches()) {
      const hex = b.digests.toString('hex')
      for (let j = 0; j < b.count; j++) yield {path: b.paths[b.start + j], size: b.sizes[j], digest: hex.slice(j * 64, j * 64 + 64)}
    }
  }
  return {format: 'dir', partition, skipped: [], entries: entries(), batches: batches()}
}

async function* tarEntries(files: string[], opts: SourceOptions, skipped: string[]): AsyncGenerator<DatasetEntry> {
  const sorter = new EntrySorter()
  const problems = new ProblemList()
  try {
    for (const file of files) {
      const label = path.basename(file)
      await readTar(file, {
        algorithm: opts.algorithm,
        allowLinks: opts.allowLinks,
        select: opts.select,
        problems,
        skipped,
        label,
        onMember: async (m) => {
          opts.progress?.advance(1)
          await sorter.add(m)
        },
      })
    }
    problems.throwIfAny(files.length === 1 ? path.basename(files[0]) : 'tar shards')
    let prev: string | undefined
    for await (const e of sorter.sorted()) {
      if (e.path === prev) throw new InputError('E_DATASET_UNSAFE_ENTRY', `duplicate member ${JSON.stringify(e.path)} (a path may appear only once in a dataset)`, {problems: [{path: e.path, reason: 'duplicate'}], count: 1})
      prev = e.path
      yield e
    }
  } finally {
    await sorter.cleanup()
  }
}

export {isGzipFile}
