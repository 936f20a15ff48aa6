/**
 * Reads the entries of a manifest's shards in order, checking each shard against the header
 * (compressed digest, line syntax, path rules, order, counts, bytes, Merkle root). A shard whose
 * digest differs from the header is a verification failure (tampering); a shard that matches
 * its digest but is malformed, or is missing, is an InputError.
 */
import {createHash} from 'node:crypto'
import {closeSync, existsSync, readFileSync} from 'node:fs'
import {lstat} from 'node:fs/promises'
import path from 'node:path'
import {StringDecoder} from 'node:string_decoder'
import {createGunzip} from 'node:zlib'

import {InputError, VerificationError} from '../errors.js'
import {openRegularFile} from '../io/index.js'
import {MAX_LINE_BYTES, MAX_SHARD_COMPRESSED_BYTES} from './limits.js'
import {MerkleBuilder, leafHashHex} from './merkle.js'
import {comparePaths, pathProblem} from './paths.js'
import type {DatasetEntry, DatasetHeader, ShardInfo} from './types.js'

const HEX64 = /^[0-9a-f]{64}$/
const MALFORMED = 'E_DATASET_MANIFEST_MALFORMED'

/**
 * Reads a shard file (bounded, opened without following a symlink or blocking on a FIFO, inside
 * a `shards` directory that is not itself a link) and checks its SHA-256 against the header.
 */
export async function readShardFile(dir: string, shard: ShardInfo): Promise<Buffer> {
  const shardsDir = path.join(dir, path.dirname(shard.uri))
  const dst = await lstat(shardsDir).catch(() => undefined)
  if (dst && !dst.isDirectory()) throw new InputError(MALFORMED, `${shardsDir} is not a directory (a symbolic link is not followed)`)
  const file = path.join(dir, shard.uri)
  let fd: number
  let size: number
  try {
    ;({
      fd,
      stat: {size},
    } = openRegularFile(file, {what: 'shard'}))
  } catch (err) {
    const missing = existsSync(file) ? MALFORMED : 'E_DATASET_SHARD_MISSING'
    throw new InputError(missing, `cannot read shard ${shard.uri}: ${(err as Error).message}`)
  }
  try {
    if (size > MAX_SHARD_COMPRESSED_BYTES) throw new InputError(MALFORMED, `shard ${shard.uri} is larger than ${MAX_SHARD_COMPRESSED_BYTES} bytes`)
    const body = readFileSync(fd)
    const digest = createHash('sha256').update(body).digest('hex')
    if (digest !== shard.sha256) {
      throw new VerificationError('E_DATASET_SHARD_DIGEST', `shard ${shard.uri}: SHA-256 ${digest} does not match the manifest header (${shard.sha256})`)
    }
    return body
  } finally {
    closeSync(fd)
  }
}

/**
 * Decompresses and parses one shard as a stream, validating everything the header says about
 * it. Decompression stops at the first line too many or too long, so a small shard that expands
 * to gigabytes costs at most one line of memory (the header bounds the line count).
 */
export async function* parseShard(body: Buffer, shard: ShardInfo, header: DatasetHeader): AsyncGenerator<DatasetEntry> {
  const where = `shard ${shard.uri}`
  const alg = header.hash.file
  const tree = new MerkleBuilder()
  let bytes = 0
  let lines = 0
  let prev: string | undefined
  let partial = ''
  const gunzip = createGunzip({chunkSize: 64 * 1024})
  const utf8 = new StringDecoder('utf8')
  gunzip.end(body)
  const take = (line: string): DatasetEntry => {
    if (++lines > shard.files) throw new InputError(MALFORMED, `${where}: holds more than the ${shard.files} lines the header says`)
    const e = parseEntryLine(line, alg, `${where} line ${lines}`)
    if (lines === 1 && e.path !== shard.firstPath) throw new InputError(MALFORMED, `${where}: first path differs from the header`)
    if (prev !== undefined && comparePaths(prev, e.path) >= 0) throw new InputError(MALFORMED, `${where} line ${lines}: paths not strictly sorted`)
    prev = e.path
    bytes += e.size
    tree.push(leafHashHex(e.path, e.size, e.digest))
    return e
  }
  try {
    for await (const chunk of gunzip) {
      const text = partial + utf8.write(chunk as Buffer)
      const parts = text.split('\n')
      partial = parts.pop()!
      if (partial.length > MAX_LINE_BYTES) throw new InputError(MALFORMED, `${where} line ${lines + 1}: line longer than ${MAX_LINE_BYTES} characters`)
      for (const l of parts) yield take(l)
    }
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(MALFORMED, `${where}: cannot decompress (${(err as Error).message})`)
  } finally {
    gunzip.destroy()
  }
  if (partial + utf8.end() !== '') throw new InputError(MALFORMED, `${where}: truncated (no final newline)`)
  if (lines !== shard.files) throw new InputError(MALFORMED, `${where}: holds ${lines} lines, header says ${shard.files}`)
  if (prev !== shard.lastPath) throw new InputError(MALFORMED, `${where}: last path differs from the header`)
  if (bytes !== shard.bytes) throw new InputError(MALFORMED, `${where}: files total ${bytes} bytes, header says ${shard.bytes}`)
  if (tree.root().toString('hex') !== shard.root) throw new InputError(MALFORMED, `${where}: Merkle root differs from the header`)
}

export function parseEntryLine(line: string, alg: string, where: string): DatasetEntry {
  if (line.length > MAX_LINE_BYTES) throw new InputError(MALFORMED, `${where}: line longer than ${MAX_LINE_BYTES} characters`)
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch {
    throw new InputError(MALFORMED, `${where}: not valid JSON`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(MALFORMED, `${where}: expected an object`)
  const o = v as Record<string, unknown>
  const keys = Object.keys(o)
  if (keys.length !== 3 || typeof o.path !== 'string' || !(alg in o)) throw new InputError(MALFORMED, `${where}: expected exactly path, size and ${alg}`)
  const why = pathProblem(o.path)
  if (why) throw new InputError(MALFORMED, `${where}: ${why}`)
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0)
    throw new InputError(MALFORMED, `${where}: size must be a non-negative integer`)
  const digest = o[alg]
  if (typeof digest !== 'string' || !HEX64.test(digest)) throw new InputError(MALFORMED, `${where}: ${alg} must be 64 lowercase hex digits`)
  return {path: o.path, size: o.size, digest}
}

/**
 * All entries of a manifest in order, one shard in memory at a time. Order across shards is
 * checked as well, so a consumer can merge-join against another sorted stream.
 */
export async function* manifestEntries(dir: string, header: DatasetHeader): AsyncGenerator<DatasetEntry> {
  // Shards do not overlap: the header says so (checked when it was loaded) and each shard's
  // first and last paths are checked against it.
  for (const shard of header.shards) yield* parseShard(await readShardFile(dir, shard), shard, header)
}

/** Checks every shard (digest, syntax, order, root) without touching the data: `--mode metadata`. */
export async function checkShards(dir: string, header: DatasetHeader): Promise<number> {
  let n = 0
  for await (const _ of manifestEntries(dir, header)) n++
  return n
}

/**
 * Checks only every shard's SHA-256 against the header (a shard that differs is tampering, and
 * is reported before any file is read); the entries are checked when they are compared.
 */
export async function checkShardDigests(dir: string, header: DatasetHeader): Promise<void> {
  for (const shard of header.shards) await readShardFile(dir, shard)
}
