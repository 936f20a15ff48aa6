/**
 * Loads and validates a dataset manifest header (manifest.json or a signed predicate). Every
 * field is checked for type, range and consistency, because the header decides which bytes are
 * trusted: anything unexpected is an InputError (exit 3), never a guess.
 */
import {stat} from 'node:fs/promises'
import path from 'node:path'

import {InputError} from '../errors.js'
import {readBoundedFile} from '../io/index.js'
import {parseBoundedJson} from './json-guard.js'
import {MAX_FILE_SIZE, MAX_HEADER_BYTES, MAX_PARTITIONS, MAX_SHARD_ENTRIES, MAX_SHARDS} from './limits.js'
import {rootOfRoots} from './merkle.js'
import {comparePaths, pathProblem} from './paths.js'
import {shardUri} from './writer.js'
import {
  DATASET_HASH_ALGORITHMS,
  LEAF_FORMAT,
  MANIFEST_VERSION,
  type DatasetHeader,
  type DatasetHashAlgorithm,
  type PartitionInfo,
  type ShardInfo,
  type SourceFormat,
} from './types.js'

const HEX64 = /^[0-9a-f]{64}$/
const MALFORMED = 'E_DATASET_MANIFEST_MALFORMED'

export interface LoadedManifest {
  header: DatasetHeader
  /** Directory holding manifest.json and shards/. */
  dir: string
  headerPath: string
  /** The raw manifest.json text (what `dataset sign` signs, after validation). */
  text: string
}

/** Accepts the manifest directory or its manifest.json. */
export async function loadManifest(p: string): Promise<LoadedManifest> {
  let headerPath = p
  const st = await stat(p).catch((err) => {
    throw new InputError('E_DATASET_MANIFEST_UNREADABLE', `cannot read manifest ${p}: ${(err as Error).message}`)
  })
  if (st.isDirectory()) headerPath = path.join(p, 'manifest.json')
  const hst = await stat(headerPath).catch(() => undefined)
  if (!hst?.isFile()) throw new InputError('E_DATASET_MANIFEST_UNREADABLE', `no manifest.json at ${headerPath}`)
  if (hst.size > MAX_HEADER_BYTES) throw new InputError(MALFORMED, `${headerPath} is larger than ${MAX_HEADER_BYTES} bytes`)
  // Inside a manifest directory, manifest.json is not read through a symlink (it would lead
  // outside the directory); a manifest.json the user named may be one.
  const text = readBoundedFile(headerPath, {
    maxBytes: MAX_HEADER_BYTES,
    followSymlinks: !st.isDirectory(),
    code: 'E_DATASET_MANIFEST_UNREADABLE',
    what: 'manifest',
  }).toString('utf8')
  const header = validateHeader(parseBoundedJson(text, headerPath), headerPath)
  return {header, dir: path.dirname(headerPath), headerPath, text}
}

function fail(where: string, msg: string): never {
  throw new InputError(MALFORMED, `${where}: ${msg}`)
}

function obj(v: unknown, where: string, keys: {req: string[]; opt?: string[]}): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'expected an object')
  const o = v as Record<string, unknown>
  const allowed = new Set([...keys.req, ...(keys.opt ?? [])])
  for (const k of Object.keys(o)) if (!allowed.has(k)) fail(where, `unknown field "${k}"`)
  for (const k of keys.req) if (!(k in o)) fail(where, `missing field "${k}"`)
  return o
}

function str(v: unknown, where: string, max = 4096): string {
  if (typeof v !== 'string' || v.length > max) fail(where, `expected a string of at most ${max} characters`)
  return v
}

function int(v: unknown, where: string, max: number, min = 0): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(where, `expected an integer in [${min}, ${max}]`)
  return v
}

function hex64(v: unknown, where: string): string {
  if (typeof v !== 'string' || !HEX64.test(v)) fail(where, 'expected 64 lowercase hex digits')
  return v
}

function canonicalPath(v: unknown, where: string): string {
  const p = str(v, where)
  const why = pathProblem(p)
  if (why) fail(where, why)
  return p
}

export function validateHeader(v: unknown, where = 'manifest header'): DatasetHeader {
  const o = obj(v, where, {
    req: ['manifestVersion', 'dataset', 'created', 'hash', 'source', 'stats', 'shardEntries', 'root', 'shards'],
    opt: ['dirHash1', 'partition'],
  })
  if (o.manifestVersion !== MANIFEST_VERSION) fail(where, `manifestVersion must be "${MANIFEST_VERSION}"`)
  const ds = obj(o.dataset, `${where}.dataset`, {req: ['name'], opt: ['version']})
  const dataset = {
    name: str(ds.name, `${where}.dataset.name`, 1024),
    ...(ds.version === undefined ? {} : {version: str(ds.version, `${where}.dataset.version`, 256)}),
  }
  const created = str(o.created, `${where}.created`, 64)
  const h = obj(o.hash, `${where}.hash`, {req: ['file', 'tree', 'leafFormat']})
  if (!DATASET_HASH_ALGORITHMS.includes(h.file as DatasetHashAlgorithm)) fail(`${where}.hash.file`, `must be one of ${DATASET_HASH_ALGORITHMS.join(', ')}`)
  if (h.tree !== 'sha256') fail(`${where}.hash.tree`, 'must be "sha256"')
  if (h.leafFormat !== LEAF_FORMAT) fail(`${where}.hash.leafFormat`, `must be "${LEAF_FORMAT}"`)
  const src = obj(o.source, `${where}.source`, {req: ['format']})
  if (!['dir', 'tar', 'tar-shards'].includes(src.format as string)) fail(`${where}.source.format`, 'must be dir, tar or tar-shards')
  const st = obj(o.stats, `${where}.stats`, {req: ['files', 'bytes']})
  const shardEntries = int(o.shardEntries, `${where}.shardEntries`, MAX_SHARD_ENTRIES, 1)
  if ((shardEntries & (shardEntries - 1)) !== 0) fail(`${where}.shardEntries`, 'must be a power of two')
  if (!Array.isArray(o.shards) || o.shards.length > MAX_SHARDS) fail(`${where}.shards`, `expected an array of at most ${MAX_SHARDS} shards`)
  const shards = o.shards.map((s, i) => validateShard(s, i, `${where}.shards[${i}]`, shardEntries))
  let files = 0
  let bytes = 0
  for (let i = 0; i < shards.length; i++) {
    const s = shards[i]
    if (i < shards.length - 1 && s.files !== shardEntries) fail(`${where}.shards[${i}]`, `every shard but the last must hold exactly ${shardEntries} files`)
    if (i > 0 && comparePaths(shards[i - 1].lastPath, s.firstPath) >= 0) fail(`${where}.shards[${i}]`, 'shards overlap or are out of order')
    files += s.files
    bytes += s.bytes
  }
  const stats = {files: int(st.files, `${where}.stats.files`, MAX_SHARDS * MAX_SHARD_ENTRIES), bytes: int(st.bytes, `${where}.stats.bytes`, MAX_FILE_SIZE)}
  if (stats.files !== files) fail(`${where}.stats.files`, `says ${stats.files} but the shards hold ${files}`)
  if (stats.bytes !== bytes) fail(`${where}.stats.bytes`, `says ${stats.bytes} but the shards hold ${bytes}`)
  const root = hex64(o.root, `${where}.root`)
  if (rootOfRoots(shards.map((s) => Buffer.from(s.root, 'hex'))).toString('hex') !== root) fail(`${where}.root`, 'does not match the shard roots')
  const header: DatasetHeader = {
    manifestVersion: MANIFEST_VERSION,
    dataset,
    created,
    hash: {file: h.file as DatasetHashAlgorithm, tree: 'sha256', leafFormat: LEAF_FORMAT},
    source: {format: src.format as SourceFormat},
    stats,
    shardEntries,
    root,
    shards,
  }
  if (o.dirHash1 !== undefined) header.dirHash1 = hex64(o.dirHash1, `${where}.dirHash1`)
  if (o.partition !== undefined) header.partition = validatePartition(o.partition, `${where}.partition`)
  return header
}

function validateShard(v: unknown, i: number, where: string, shardEntries: number): ShardInfo {
  const o = obj(v, where, {req: ['index', 'uri', 'sha256', 'root', 'files', 'bytes', 'firstPath', 'lastPath']})
  if (o.index !== i) fail(where, `index must be ${i}`)
  // The shard location is fixed by its index: a header can never point outside its directory.
  if (o.uri !== shardUri(i)) fail(where, `uri must be "${shardUri(i)}"`)
  const s: ShardInfo = {
    index: i,
    uri: shardUri(i),
    sha256: hex64(o.sha256, `${where}.sha256`),
    root: hex64(o.root, `${where}.root`),
    files: int(o.files, `${where}.files`, shardEntries, 1),
    bytes: int(o.bytes, `${where}.bytes`, MAX_FILE_SIZE),
    firstPath: canonicalPath(o.firstPath, `${where}.firstPath`),
    lastPath: canonicalPath(o.lastPath, `${where}.lastPath`),
  }
  if (comparePaths(s.firstPath, s.lastPath) > 0 || (s.files === 1) !== (s.firstPath === s.lastPath)) fail(where, 'firstPath/lastPath inconsistent')
  return s
}

function validatePartition(v: unknown, where: string): PartitionInfo {
  const o = obj(v, where, {req: ['index', 'count', 'unit', 'units', 'listingDigest']})
  const count = int(o.count, `${where}.count`, MAX_PARTITIONS, 1)
  if (o.unit !== 'file' && o.unit !== 'tar-shard') fail(`${where}.unit`, 'must be "file" or "tar-shard"')
  return {
    index: int(o.index, `${where}.index`, count - 1),
    count,
    unit: o.unit,
    units: int(o.units, `${where}.units`, Number.MAX_SAFE_INTEGER),
    listingDigest: hex64(o.listingDigest, `${where}.listingDigest`),
  }
}

/** The header as written to manifest.json: stable key order, two-space indent. */
export function serializeHeader(h: DatasetHeader): string {
  return `${JSON.stringify(h, null, 2)}\n`
}
