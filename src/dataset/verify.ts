/**
 * `dataset verify`: checks the signature over the header, every shard against the header, and
 * then (unless --mode metadata) the files themselves against the entries. The report says how
 * much was checked (`coverage`) and whether the header was signed, so that a sample, a glob or
 * an unsigned manifest can never pass for a full verification.
 */
import {UsageError, VerificationError} from '../errors.js'
import type {SignerIdentity, VerifierSpec} from '../signing/types.js'
import type {Progress} from '../util/progress.js'
import {diffEntries, type DiffResult} from './diff.js'
import {loadManifest} from './header.js'
import {DEFAULT_LIST_LIMIT} from './limits.js'
import {MerkleBuilder, leafHashHex} from './merkle.js'
import {checkShardDigests, checkShards, manifestEntries} from './reader.js'
import {diffDirectory} from './shard-match.js'
import {BATCH_FILES} from './file-hasher.js'
import {globPredicate, samplePredicate} from './select.js'
import {detectFormat, openSource} from './source.js'
import {datasetUri, verifyManifestSignature} from './statement.js'
import type {DatasetEntry, DatasetHeader, SourceFormat} from './types.js'

export interface VerifyDatasetOptions {
  manifest: string
  /** Bundle path (default: manifest.sigstore.json beside manifest.json). */
  signature?: string
  /** How to verify the signature; undefined = --unsigned (integrity only). */
  verifier?: VerifierSpec
  mode?: 'full' | 'metadata'
  paths?: string[]
  sample?: {rate: number; seed: string}
  format?: SourceFormat | 'auto'
  allowLinks?: boolean
  listLimit?: number
  progress?: Progress
  workers?: number
  /**
   * A --paths/--sample selection that matches no file checks nothing, which is a failure
   * unless this is set (e.g. a sample rate that may legitimately miss a small dataset).
   */
  allowEmptySelection?: boolean
}

export type VerifyResult = 'verified' | 'partial' | 'unsigned' | 'failed'

export interface DatasetVerifyReport {
  dataset: {name: string; version?: string}
  uri: string
  root: string
  algorithm: string
  files: number
  bytes: number
  signature: {status: 'verified' | 'unsigned'; signer?: SignerIdentity; warnings?: string[]}
  mode: 'full' | 'metadata' | 'paths' | 'sample'
  coverage: 'full' | 'partial' | 'metadata'
  selection?: {paths?: string[]; sample?: {rate: number; seed: string}}
  manifest: {shards: number; shardsChecked: boolean; problems: string[]}
  checked?: {expected: number; actual: number; matched: number}
  changes?: Pick<DiffResult, 'added' | 'removed' | 'modified' | 'renamed'>
  renameDetectionComplete?: boolean
  /** Root recomputed from the files (full mode only). */
  actualRoot?: string
  /** Tar link members skipped under --allow-links. */
  skippedLinks?: string[]
  /** Why the result is `failed` when no file differs (e.g. a selection that matched nothing). */
  failures?: string[]
  ok: boolean
  result: VerifyResult
}

export async function verifyDataset(datasetPath: string | undefined, opts: VerifyDatasetOptions): Promise<DatasetVerifyReport> {
  const mode = opts.mode ?? 'full'
  if (mode === 'metadata' && (opts.paths || opts.sample))
    throw new UsageError('E_USAGE', '--mode metadata checks no files: it cannot be combined with --paths or --sample')
  if (mode === 'full' && datasetPath === undefined) throw new UsageError('E_USAGE', 'verifying files needs the dataset PATH (or use --mode metadata)')
  let header: DatasetHeader
  let dir: string
  let signature: DatasetVerifyReport['signature']
  if (opts.verifier) {
    const v = await verifyManifestSignature(opts.manifest, opts.signature, opts.verifier)
    header = v.header
    dir = v.manifest.dir
    signature = {status: 'verified', signer: v.signer, ...(v.warnings.length ? {warnings: v.warnings} : {})}
  } else {
    const m = await loadManifest(opts.manifest)
    header = m.header
    dir = m.dir
    signature = {status: 'unsigned'}
  }
  if (header.partition) throw new UsageError('E_DATASET_PARTIAL', `${opts.manifest} is a partial manifest; verify the merged manifest (dataset merge)`)
  const listLimit = opts.listLimit ?? DEFAULT_LIST_LIMIT
  const selection = opts.paths || opts.sample ? {...(opts.paths ? {paths: opts.paths} : {}), ...(opts.sample ? {sample: opts.sample} : {})} : undefined
  const report: DatasetVerifyReport = {
    dataset: header.dataset,
    uri: datasetUri(header),
    root: header.root,
    algorithm: header.hash.file,
    files: header.stats.files,
    bytes: header.stats.bytes,
    signature,
    mode: mode === 'metadata' ? 'metadata' : opts.sample ? 'sample' : opts.paths ? 'paths' : 'full',
    coverage: mode === 'metadata' ? 'metadata' : selection ? 'partial' : 'full',
    ...(selection ? {selection} : {}),
    manifest: {shards: header.shards.length, shardsChecked: false, problems: []},
    ok: false,
    result: 'failed',
  }
  const preds = [opts.paths ? globPredicate(opts.paths) : undefined, opts.sample ? samplePredicate(opts.sample.rate, opts.sample.seed) : undefined].filter(
    (p) => p !== undefined,
  )
  const select = preds.length === 0 ? undefined : (p: string) => preds.every((f) => f(p))
  // (An unreadable PATH is reported after the shards, as before: a tampered manifest comes first.)
  const format: SourceFormat | Error | undefined =
    mode === 'metadata' ? undefined : await sourceFormatFor(datasetPath!, header, opts.format).catch((err: Error) => err)
  // Every file of a directory: compared shard by shard with the lines the hash workers make
  // (shard-match.ts), the entries parsed only where something differs.
  const byShard = mode === 'full' && !select && format === 'dir'
  try {
    if (byShard) await checkShardDigests(dir, header)
    else await checkShards(dir, header)
    report.manifest.shardsChecked = true
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err
    report.manifest.problems.push(err.message)
    return finish(report)
  }
  if (mode === 'metadata') return finish(report)

  if (format instanceof Error) throw format
  const src = await openSource(datasetPath!, {
    format,
    algorithm: header.hash.file,
    allowLinks: opts.allowLinks,
    select,
    progress: opts.progress,
    workers: opts.workers,
    // No file of the signed dataset is larger than all of it: a larger one is changed or added
    // without being read (a sparse 15 TiB file would otherwise be hashed for hours).
    maxFileBytes: header.stats.bytes,
    ...(byShard ? {lines: true, tree: true, batchFiles: Math.min(BATCH_FILES, header.shardEntries)} : {}),
  })
  let diff: DiffResult
  let actualRoot: string | undefined
  if (byShard && src.batches) {
    ;({diff, actualRoot} = await diffDirectory(dir, header, src.batches, listLimit))
  } else {
    const tree = select ? undefined : new MerkleBuilder()
    diff = await diffEntries(select ? filterEntries(manifestEntries(dir, header), select) : manifestEntries(dir, header), src.entries, listLimit, (e) =>
      tree?.push(leafHashHex(e.path, e.size, e.digest)),
    )
    actualRoot = tree?.root().toString('hex')
  }
  opts.progress?.done()
  report.checked = {expected: diff.expectedFiles, actual: diff.actualFiles, matched: diff.matched}
  report.changes = {added: diff.added, removed: diff.removed, modified: diff.modified, renamed: diff.renamed}
  report.renameDetectionComplete = diff.renameDetectionComplete
  if (actualRoot !== undefined) report.actualRoot = actualRoot
  if (src.skipped.length > 0) report.skippedLinks = src.skipped.slice(0, listLimit)
  if (select && diff.expectedFiles === 0 && diff.actualFiles === 0 && !opts.allowEmptySelection) {
    report.failures = [
      `no file matched the selection (${[opts.paths ? '--paths' : '', opts.sample ? '--sample' : ''].filter(Boolean).join(' and ')}): nothing was verified (use --allow-empty-selection if that is expected)`,
    ]
  }
  return finish(report)
}

async function* filterEntries(entries: AsyncGenerator<DatasetEntry>, select?: (p: string) => boolean): AsyncGenerator<DatasetEntry> {
  for await (const e of entries) if (!select || select(e.path)) yield e
}

/**
 * How to read PATH: as asked; else a file is a tar, and a directory is read the way the manifest
 * was made (a directory of tar shards stays one even if it now holds other files).
 */
async function sourceFormatFor(p: string, header: DatasetHeader, asked?: SourceFormat | 'auto'): Promise<SourceFormat> {
  if (asked && asked !== 'auto') return asked
  const detected = await detectFormat(p)
  if (detected === 'tar') return 'tar'
  return header.source.format === 'tar' ? detected : header.source.format
}

function finish(r: DatasetVerifyReport): DatasetVerifyReport {
  const c = r.changes
  const changed = c ? c.added.count + c.removed.count + c.modified.count + c.renamed.count : 0
  const ok =
    r.manifest.shardsChecked &&
    r.manifest.problems.length === 0 &&
    changed === 0 &&
    (r.actualRoot === undefined || r.actualRoot === r.root) &&
    !r.failures?.length
  const result: VerifyResult = !ok ? 'failed' : r.signature.status === 'unsigned' ? 'unsigned' : r.coverage !== 'full' ? 'partial' : 'verified'
  // ok and result last, whatever was filled in before.
  const {ok: _o, result: _r, ...rest} = r
  return {...rest, ok, result}
}
