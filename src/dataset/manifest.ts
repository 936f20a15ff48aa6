/** `dataset manifest`: hash a source into shards and a header (a partial one under --partition). */
import {mkdir, readdir, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {UsageError} from '../errors.js'
import type {Progress} from '../util/progress.js'
import {serializeHeader} from './header.js'
import {DEFAULT_SHARD_ENTRIES, MAX_PARTITIONS, MAX_SHARD_ENTRIES} from './limits.js'
import {BATCH_FILES} from './file-hasher.js'
import {openSource} from './source.js'
import {MANIFEST_VERSION, LEAF_FORMAT, type DatasetHashAlgorithm, type DatasetHeader, type SourceFormat} from './types.js'
import {ShardWriter} from './writer.js'

export interface CreateManifestOptions {
  output: string
  name?: string
  version?: string
  algorithm?: DatasetHashAlgorithm
  format?: SourceFormat | 'auto'
  allowLinks?: boolean
  partition?: {index: number; count: number}
  shardEntries?: number
  /** Replace an existing manifest in `output`. */
  force?: boolean
  progress?: Progress
  workers?: number
  /** Creation time recorded in the header (default: now, or SOURCE_DATE_EPOCH). */
  created?: Date
}

export interface CreatedManifest {
  header: DatasetHeader
  headerPath: string
  /** Link members skipped under --allow-links (tar sources). */
  skipped: string[]
}

/** Parses `I/N` (0-based I). */
export function parsePartition(s: string): {index: number; count: number} {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(s)
  const index = m ? Number(m[1]) : NaN
  const count = m ? Number(m[2]) : NaN
  if (!m || count < 1 || count > MAX_PARTITIONS || index >= count) {
    throw new UsageError('E_DATASET_BAD_PARTITION', `--partition must be I/N with 0 <= I < N <= ${MAX_PARTITIONS} (got "${s}")`)
  }
  return {index, count}
}

export function checkShardEntries(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SHARD_ENTRIES || (n & (n - 1)) !== 0) {
    throw new UsageError('E_DATASET_BAD_SHARD_SIZE', `shard size must be a power of two between 1 and ${MAX_SHARD_ENTRIES} (got ${n})`)
  }
  return n
}

export function creationTime(d?: Date): string {
  if (d) return d.toISOString()
  const epoch = process.env.SOURCE_DATE_EPOCH
  if (epoch && /^\d{1,12}$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString()
  return new Date().toISOString()
}

/** Makes sure `out` can take a manifest and is not inside the dataset it describes. */
export async function prepareOutput(out: string, force: boolean, source?: string): Promise<void> {
  const absOut = path.resolve(out)
  if (source) {
    const rel = path.relative(path.resolve(source), absOut)
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
      throw new UsageError('E_DATASET_OUTPUT_INSIDE', `--output ${out} is inside the dataset ${source}; the manifest would describe itself`)
    }
  }
  const st = await stat(absOut).catch(() => undefined)
  if (st && !st.isDirectory()) throw new UsageError('E_DATASET_OUTPUT_EXISTS', `--output ${out} exists and is not a directory`)
  if (st && (await readdir(absOut)).length > 0) {
    if (!force) throw new UsageError('E_DATASET_OUTPUT_EXISTS', `--output ${out} is not empty (use --force to replace the manifest in it)`)
    await rm(path.join(absOut, 'shards'), {recursive: true, force: true})
    await rm(path.join(absOut, 'manifest.json'), {force: true})
    await rm(path.join(absOut, 'manifest.sigstore.json'), {force: true})
  }
  await mkdir(absOut, {recursive: true})
}

export async function createManifest(source: string, opts: CreateManifestOptions): Promise<CreatedManifest> {
  const algorithm = opts.algorithm ?? 'sha256'
  const shardEntries = checkShardEntries(opts.shardEntries ?? DEFAULT_SHARD_ENTRIES)
  await prepareOutput(opts.output, opts.force ?? false, source)
  const src = await openSource(source, {
    format: opts.format,
    algorithm,
    allowLinks: opts.allowLinks,
    partition: opts.partition,
    progress: opts.progress,
    workers: opts.workers,
    // The hash workers make the shard lines and Merkle subtrees of each batch; a batch must
    // then fit in a shard (both are powers of two).
    lines: true,
    dirLines: algorithm === 'sha256',
    tree: true,
    batchFiles: Math.min(BATCH_FILES, shardEntries),
  })
  const writer = new ShardWriter(opts.output, algorithm, shardEntries)
  let w: Awaited<ReturnType<ShardWriter['finish']>>
  try {
    if (src.batches) for await (const b of src.batches) await writer.addBatch(b)
    else for await (const e of src.entries) await writer.add(e)
    w = await writer.finish()
  } catch (err) {
    // Files are hashed while the tree is walked, so shards may be written before a problem is
    // found: none is left behind without its header.
    writer.abort()
    await rm(path.join(opts.output, 'shards'), {recursive: true, force: true})
    throw err
  }
  opts.progress?.done()
  const header: DatasetHeader = {
    manifestVersion: MANIFEST_VERSION,
    dataset: {name: opts.name ?? defaultName(source), ...(opts.version ? {version: opts.version} : {})},
    created: creationTime(opts.created),
    hash: {file: algorithm, tree: 'sha256', leafFormat: LEAF_FORMAT},
    source: {format: src.format},
    stats: {files: w.files, bytes: w.bytes},
    shardEntries,
    root: w.root,
    ...(w.dirHash1 ? {dirHash1: w.dirHash1} : {}),
    shards: w.shards,
    ...(src.partition ? {partition: src.partition} : {}),
  }
  const headerPath = path.join(opts.output, 'manifest.json')
  await writeFile(headerPath, serializeHeader(header))
  return {header, headerPath, skipped: src.skipped}
}

function defaultName(source: string): string {
  return path.basename(path.resolve(source)).replace(/\.(tar|tar\.gz|tgz)$/, '') || 'dataset'
}
