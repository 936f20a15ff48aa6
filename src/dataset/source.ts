/**
 * A dataset source — a directory, a .tar/.tar.gz, or a directory of tar shards — as one stream
 * of entries sorted by path bytes, hashed on all cores (directories) or as the archive streams
 * past (tars). Also where `--partition I/N` picks its deterministic slice.
 */
import {createHash} from 'node:crypto'
import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import {InputError, UsageError} from '../errors.js'
import {escapeName} from '../util/escape.js'
import type {Progress} from '../util/progress.js'
import {BATCH_FILES, batchFiles, FileHashPool, type HashedBatch, hashBatchesInOrder, type PathBatch} from './file-hasher.js'
import {ProblemList} from './problems.js'
import {MAX_TAR_DIRECTORIES} from './limits.js'
import {EntrySorter} from './sorter.js'
import {isGzipFile, readTar, type MemberKind} from './tar.js'
import type {DatasetEntry, DatasetHashAlgorithm, PartitionInfo, SourceFormat} from './types.js'
import {datasetRoot, walkSorted, type WalkedFile} from './walk.js'

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
  /** Verify: files larger than this (the whole signed dataset) are listed with their size but not read. */
  maxFileBytes?: number
  /**
   * Directories: have the hash workers make each batch's shard lines (and dirHash1 lines, for
   * a sha256 manifest being written) and fold its Merkle leaves into subtrees, in batches of at most
   * `batchFiles` (a power of two; a manifest's shards must hold a multiple of it).
   */
  lines?: boolean
  dirLines?: boolean
  tree?: boolean
  batchFiles?: number
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

/** A batch of entries in order with their sizes and raw digests (32 bytes each), see HashedBatch. */
export type EntryBatch = HashedBatch

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
    throw new UsageError(
      'E_DATASET_PARTITION_UNSUPPORTED',
      'a single tar archive is read as one stream and cannot be partitioned; partition a directory of tar shards instead',
    )
  }
  let files: string[]
  if (format === 'tar') files = [p]
  else {
    files = (await listTarShards(p)).map((n) => path.join(p, n))
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
  // Worker threads boot while the main thread starts walking the tree.
  const pool = new FileHashPool(opts.workers).warm()
  const size = opts.batchFiles ?? BATCH_FILES
  if (!Number.isSafeInteger(size) || size < 1 || (size & (size - 1)) !== 0) throw new Error(`batch size ${size} is not a power of two`)
  let root: string
  try {
    root = await datasetRoot(p)
  } catch (err) {
    await pool.close()
    throw err
  }
  const walkOpts = {allowLinks: opts.allowLinks, select: opts.select, label: p}
  let partition: PartitionInfo | undefined
  let files: Iterator<WalkedFile>
  if (opts.partition) {
    // A partition is a slice of the whole listing: list everything first.
    let all: WalkedFile[]
    try {
      all = [...walkSorted(root, walkOpts)]
    } catch (err) {
      await pool.close()
      throw err
    }
    const [a, b] = partitionRange(all.length, opts.partition.index, opts.partition.count)
    partition = {...opts.partition, unit: 'file', units: all.length, listingDigest: listingDigest(all.map((f) => f.path))}
    files = all.slice(a, b)[Symbol.iterator]()
    opts.progress?.setTotal(b - a)
  } else {
    // Files come out of the walk in path order, so hashing starts with the first directory.
    files = walkSorted(root, walkOpts)
  }
  async function* batches(): AsyncGenerator<EntryBatch> {
    const todo: Iterable<PathBatch> = batchFiles(files, size)
    try {
      yield* hashBatchesInOrder(root, todo, opts.algorithm, {
        pool,
        onBatch: (n) => opts.progress?.advance(n),
        maxFileBytes: opts.maxFileBytes,
        lines: opts.lines,
        dirLines: opts.dirLines,
        tree: opts.tree,
        // Nothing after a directory's last batch hashes: its workers end then, not at exit.
        releaseWorkers: true,
      })
    } catch (err) {
      // The walk refuses unsafe entries all at once at its end; that answer outranks a file
      // that failed to hash meanwhile (as when the whole tree was listed before hashing).
      for (let r = files.next(); !r.done; r = files.next()) {}
      throw err
    }
  }
  async function* entries(): AsyncGenerator<DatasetEntry> {
    for await (const b of batches()) {
      const hex = b.digests.toString('hex')
      for (let j = 0; j < b.count; j++) yield {path: b.paths[j], size: b.sizes[j], digest: hex.slice(j * 64, j * 64 + 64)}
    }
  }
  return {format: 'dir', partition, skipped: [], entries: entries(), batches: batches()}
}

/**
 * The tar shards of a directory, in byte order of their names. Every entry must be a regular
 * file named *.tar, *.tar.gz or *.tgz: a symlink, a subdirectory or any other name is refused,
 * not skipped, so that nothing in the directory goes unread.
 */
export async function listTarShards(dir: string): Promise<string[]> {
  const problems = new ProblemList()
  const names: string[] = []
  const ents = await readdir(dir, {withFileTypes: true}).catch((err) => {
    throw new InputError('E_IO', `cannot list ${dir}: ${(err as Error).message}`)
  })
  for (const e of ents) {
    if (e.isSymbolicLink()) problems.add(e.name, 'symbolic link (shards are not followed)')
    else if (e.isDirectory()) problems.add(e.name, 'subdirectory in a directory of tar shards')
    else if (!e.isFile()) problems.add(e.name, 'not a regular file (device, FIFO or socket)')
    else if (!TAR_SHARD_NAME.test(e.name)) problems.add(e.name, 'not a tar shard (only *.tar, *.tar.gz and *.tgz are read)')
    else names.push(e.name)
  }
  problems.throwIfAny(dir)
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

/**
 * Name collisions an extractor would resolve by overwriting: the same path twice, a file and a
 * directory or link of the same name, a file or link that another member needs as a directory.
 * Directory and link names and every member's parent directories are kept in memory (far fewer
 * than files); the files themselves are checked as they come out of the sorter.
 */
class NameCollisions {
  private readonly nonFiles = new Map<string, MemberKind>()
  private readonly parents = new Set<string>()

  constructor(private readonly problems: ProblemList) {}

  add(name: string, kind: MemberKind): void {
    for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
      const dir = name.slice(0, i)
      if (this.parents.has(dir)) break
      this.parents.add(dir)
    }
    if (this.parents.size + this.nonFiles.size > MAX_TAR_DIRECTORIES) {
      throw new InputError('E_DATASET_TOO_MANY_FILES', `more than ${MAX_TAR_DIRECTORIES} directories and links in the tar archives`)
    }
    if (kind === 'file') return
    const before = this.nonFiles.get(name)
    if (before !== undefined) this.problems.add(name, `${kind} member with the same name as an earlier ${before} member (an extractor keeps only one)`)
    else this.nonFiles.set(name, kind)
  }

  /** Problems that need the whole archive: links that are parents of other members. */
  finish(): void {
    for (const [name, kind] of this.nonFiles)
      if (kind === 'link' && this.parents.has(name)) this.problems.add(name, 'link member used as the parent directory of other members')
  }

  fileProblem(p: string): string | undefined {
    const other = this.nonFiles.get(p)
    if (other) return `file member with the same name as a ${other} member (an extractor keeps only one)`
    if (this.parents.has(p)) return 'file member that other members need as a directory'
    return undefined
  }
}

async function* tarEntries(files: string[], opts: SourceOptions, skipped: string[]): AsyncGenerator<DatasetEntry> {
  const sorter = new EntrySorter()
  const problems = new ProblemList()
  const names = new NameCollisions(problems)
  const label = files.length === 1 ? path.basename(files[0]) : 'tar shards'
  try {
    for (const file of files) {
      await readTar(file, {
        algorithm: opts.algorithm,
        allowLinks: opts.allowLinks,
        select: opts.select,
        problems,
        skipped,
        label: path.basename(file),
        followFinalLink: files.length === 1,
        onName: (name, kind) => names.add(name, kind),
        onMember: async (m) => {
          opts.progress?.advance(1)
          await sorter.add(m)
        },
      })
    }
    names.finish()
    problems.throwIfAny(label)
    // The sorted pass finds duplicate files and files that collide with directories or links
    // (a consumer sees an error before the stream ends, never a clean end).
    let prev: string | undefined
    for await (const e of sorter.sorted()) {
      const why = e.path === prev ? 'duplicate member (a later member would overwrite the earlier one on extraction)' : names.fileProblem(e.path)
      if (why) throw new InputError('E_DATASET_UNSAFE_ENTRY', `${label}: "${escapeName(e.path)}": ${why}`, {problems: [{path: e.path, reason: why}], count: 1})
      prev = e.path
      yield e
    }
  } finally {
    await sorter.cleanup()
  }
}

export {isGzipFile}
