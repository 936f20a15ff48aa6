/**
 * Model → OMS manifest: enumerate (like model_signing), hash every file or shard (worker pool),
 * sort into the reference's canonical order, compute the root digest.
 */
import path from 'node:path'

import {InputError, UsageError} from '../errors.js'
import type {HashAlgorithm} from '../hashing/algorithms.js'
import {isHashAlgorithm} from '../hashing/algorithms.js'
import {hashMany} from '../hashing/batch.js'
import type {HashTask} from '../hashing/file.js'
import type {HashPool} from '../hashing/pool.js'
import {createProgress} from '../util/progress.js'
import {enumerateModel} from './enumerate.js'
import {IgnoreMatcher, resolveIgnores} from './ignore.js'
import {assertShardSize, computeRootDigest, DEFAULT_SHARD_SIZE, MAX_RESOURCES, shardAlgorithm, shardName, shardRanges, sortResources} from './resource-name.js'
import type {Manifest, ResourceDescriptor, SerializationMethod, SerializationParams} from './types.js'
import {optionalObject, requirePath} from '../util/args.js'

export interface SerializeOptions {
  method: SerializationMethod
  hashType: HashAlgorithm
  /** Shards only; default 1000000000. */
  shardSize?: number
  /** User ignore paths, CLI semantics (relative to `cwd`, or absolute inside the model). */
  ignorePaths?: string[]
  /** Model-relative ignore paths (e.g. a signed predicate's `ignore_paths`). */
  recordedIgnorePaths?: string[]
  /** Ignore .git, .gitattributes, .github, .gitignore at the top level (default true). */
  ignoreGitPaths?: boolean
  allowSymlinks?: boolean
  /** The signature file; excluded (and recorded) when it lies inside the model. */
  signaturePath?: string
  /**
   * Hash only these model-relative file names ('.' for a single-file model), without walking the
   * model (--ignore-unsigned-files). In shards mode every shard of each named file is produced
   * (so a grown file shows up as extra shards of a signed file). Names that are not files here
   * are returned in `missing`.
   */
  onlyResources?: string[]
  /**
   * The Python reference silently hashes blake3 with `files` when asked for shards and cannot
   * verify blake3 shards; modelseal refuses the combination (E_BLAKE3_SHARDS) unless this is set,
   * e.g. to verify a bundle from another OMS implementation (the spec allows it).
   */
  allowBlake3Shards?: boolean
  cwd?: string
  /** Draw a progress bar on stderr when it is a TTY (default false). */
  progress?: boolean
  onProgress?: (bytes: number) => void
  /** Reuse a pool (left open); otherwise one is started for this call and shut down after it. */
  pool?: HashPool
  /** Worker threads when no pool is given (default: available cores). */
  workers?: number
  /**
   * Large files: read ahead on the libuv pool (true), read in the hashing thread (false), or
   * let the hashing decide from the free cores (default). `sign --scan-attestation` says false:
   * the scan takes the other core, so read-ahead copies would only compete with it.
   */
  readAhead?: boolean
  /**
   * Called with the listing (names and sizes) before anything is hashed; may throw, or return the
   * names not to hash. A verifier compares names and sizes here, so a huge extra or resized file is
   * reported without being read.
   */
  beforeHashing?: (files: readonly {name: string; size: number}[]) => ReadonlySet<string> | undefined
}

export interface SerializeResult {
  manifest: Manifest
  /** Symlinks leaving the model, dropped ignore paths, ...: for the caller to print. */
  warnings: string[]
  /** onlyResources mode: requested names that are missing (or not files) here. */
  missing: string[]
  /** Bytes hashed. */
  totalBytes: number
  /** Allowed symlinks to directories: not part of the manifest (a verifier reports them). */
  linkedDirectories: string[]
}

/** Name of the model as model_signing records it in the subject (informational). */
export function modelNameOf(modelPath: string): string {
  const base = path.basename(modelPath)
  if (base === '' || base === '.' || base === '..') return path.basename(path.resolve(modelPath))
  return base
}

function checkParams(opts: SerializeOptions): number | undefined {
  if (opts.method !== 'files' && opts.method !== 'shards') {
    throw new UsageError('E_BAD_METHOD', `unknown serialization method ${JSON.stringify(opts.method)} (expected files or shards)`)
  }
  if (!isHashAlgorithm(opts.hashType)) throw new UsageError('E_BAD_HASH', `unknown hash algorithm ${JSON.stringify(opts.hashType)}`)
  if (opts.method === 'files') {
    if (opts.shardSize !== undefined) throw new UsageError('E_BAD_SHARD_SIZE', 'a shard size only applies to --method shards')
    return undefined
  }
  if (opts.hashType === 'blake3' && !opts.allowBlake3Shards) {
    throw new UsageError(
      'E_BLAKE3_SHARDS',
      'blake3 with --method shards is not supported: model_signing cannot verify it (it silently hashes blake3 per file); use --method files',
    )
  }
  const shardSize = opts.shardSize ?? DEFAULT_SHARD_SIZE
  assertShardSize(shardSize)
  return shardSize
}

export async function serializeModel(modelPath: string, options?: Partial<SerializeOptions>): Promise<SerializeResult> {
  requirePath('digestModel', 'modelPath', modelPath)
  // model_signing's defaults: one digest per file, SHA-256.
  const opts: SerializeOptions = {
    ...optionalObject<Partial<SerializeOptions>>('digestModel', 'options', options),
    method: options?.method ?? 'files',
    hashType: options?.hashType ?? 'sha256',
  }
  const shardSize = checkParams(opts)
  const allowSymlinks = opts.allowSymlinks ?? false
  const ignores = resolveIgnores(modelPath, {
    ignorePaths: opts.ignorePaths,
    recordedIgnorePaths: opts.recordedIgnorePaths,
    ignoreGitPaths: opts.ignoreGitPaths ?? true,
    signaturePath: opts.signaturePath,
    cwd: opts.cwd,
  })
  const listing = enumerateModel(modelPath, {
    ignore: new IgnoreMatcher(ignores.paths),
    allowSymlinks,
    onlyFiles: opts.onlyResources,
  })

  if (listing.files.length > MAX_RESOURCES)
    throw new InputError('E_TOO_MANY_FILES', `the model has more than ${MAX_RESOURCES} files (the most a signature may list)`)
  const notToHash = opts.beforeHashing?.(listing.files)
  const names: string[] = []
  const tasks: HashTask[] = []
  let totalBytes = 0
  const algorithm = shardSize === undefined ? opts.hashType : shardAlgorithm(opts.hashType, shardSize)
  for (const f of listing.files) {
    if (notToHash?.has(f.name)) continue
    const base = {
      path: f.absPath,
      alg: opts.hashType,
      expectedSize: f.size,
      noFollow: !f.symlink,
      ...(opts.readAhead === undefined ? {} : {readAhead: opts.readAhead}),
    }
    if (shardSize === undefined) {
      names.push(f.name)
      tasks.push(base)
    } else {
      if (f.size / shardSize + tasks.length > MAX_RESOURCES) {
        throw new UsageError('E_TOO_MANY_RESOURCES', `more than ${MAX_RESOURCES} shards (the most a signature may list); use a larger --shard-size`)
      }
      for (const [start, end] of shardRanges(f.size, shardSize)) {
        names.push(shardName(f.name, start, end))
        tasks.push({...base, start, end})
      }
    }
    totalBytes += f.size
  }

  const bar = createProgress('hashing', {unit: 'bytes', enabled: opts.progress ? undefined : false})
  bar.setTotal(totalBytes)
  const onProgress = (n: number) => {
    bar.advance(n)
    opts.onProgress?.(n)
  }
  let results
  try {
    results = await hashMany(tasks, {pool: opts.pool, workers: opts.workers, onProgress})
  } finally {
    bar.done()
  }

  const unsorted: ResourceDescriptor[] = results.map((r, i) => ({name: names[i], algorithm, digest: r.digest.toString('hex')}))
  const resources = sortResources(unsorted, opts.method)
  const serialization: SerializationParams = {
    method: opts.method,
    hashType: opts.hashType,
    ...(shardSize === undefined ? {} : {shardSize}),
    allowSymlinks,
    ignorePaths: ignores.paths,
  }
  const manifest: Manifest = {
    modelName: modelNameOf(modelPath),
    serialization,
    resources,
    rootDigest: computeRootDigest(resources),
  }
  return {manifest, warnings: [...ignores.warnings, ...listing.warnings], missing: listing.missing, totalBytes, linkedDirectories: listing.linkedDirectories}
}

/** True when the manifest lists no resource: signing must refuse it (the OMS spec's rule). */
export function isEmptyManifest(m: Pick<Manifest, 'resources'>): boolean {
  return m.resources.length === 0
}

export {normalizeIgnorePaths, DEFAULT_GIT_IGNORES} from './ignore.js'
