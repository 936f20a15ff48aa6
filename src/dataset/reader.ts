/**
 * Reads the entries of a manifest's shards in order, checking each shard against the header
 * (compressed digest, line syntax, path rules, order, counts, bytes, Merkle root). A shard whose
 * digest differs from the header is a verification failure (tampering); a shard that matches
 * its digest but is malformed, or is missing, is an InputError.
 */
import {createHash} from 'node:crypto'
import {open} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import {gunzip as gunzipCb} from 'node:zlib'

import {InputError, VerificationError} from '../errors.js'
import {MAX_LINE_BYTES, MAX_SHARD_COMPRESSED_BYTES} from './limits.js'
import {MerkleBuilder, leafHashHex} from './merkle.js'
import {comparePaths, pathProblem} from './paths.js'
import type {DatasetEntry, DatasetHeader, ShardInfo} from './types.js'

const gunzip = promisify(gunzipCb)
const HEX64 = /^[0-9a-f]{64}$/
const MALFORMED = 'E_DATASET_MANIFEST_MALFORMED'

/** Reads a shard file (bounded) and checks its SHA-256 against the header. */
export async function readShardFile(dir: string, shard: ShardInfo): Promise<Buffer> {
  const file = path.join(dir, shard.uri)
  const fh = await open(file, 'r').catch((err) => {
    throw new InputError('E_DATASET_SHARD_MISSING', `cannot read shard ${shard.uri}: ${(err as Error).message}`)
  })
  try {
    const st = await fh.stat()
    if (!st.isFile() || st.size > MAX_SHARD_COMPRESSED_BYTES) throw new InputError(MALFORMED, `shard ${shard.uri} is not a file or larger than ${MAX_SHARD_COMPRESSED_BYTES} bytes`)
    const body = await fh.readFile()
    const digest = createHash('sha256').update(body).digest('hex')
    if (digest !== shard.sha256) {
      throw new VerificationError('E_DATASET_SHARD_DIGEST', `shard ${shard.uri}: SHA-256 ${digest} does not match the manifest header (${shard.sha256})`)
    }
    return body
  } finally {
    await fh.close()
  }
}

/** Decompresses and parses one shard; validates everything the header says about it. */
export async function parseShard(body: Buffer, shard: ShardInfo, header: DatasetHeader): Promise<DatasetEntry[]> {
  const where = `shard ${shard.uri}`
  // The header bounds the line count, and lines are bounded, so the output is bounded too.
  const maxOut = shard.files * MAX_LINE_BYTES
  let text: string
  try {
    text = (await gunzip(body, {maxOutputLength: Math.max(maxOut, 1)})).toString('utf8')
  } catch (err) {
    throw new InputError(MALFORMED, `${where}: cannot decompress (${(err as Error).message})`)
  }
  if (!text.endsWith('\n')) throw new InputError(MALFORMED, `${where}: truncated (no final newline)`)
  const lines = text.slice(0, -1).split('\n')
  if (lines.length !== shard.files) throw new InputError(MALFORMED, `${where}: holds ${lines.length} lines, header says ${shard.files}`)
  const alg = header.hash.file
  const tree = new MerkleBuilder()
  const out: DatasetEntry[] = []
  let bytes = 0
  let prev: string | undefined
  for (let i = 0; i < lines.length; i++) {
    const e = parseEntryLine(lines[i], alg, `${where} line ${i + 1}`)
    if (prev !== undefined && comparePaths(prev, e.path) >= 0) throw new InputError(MALFORMED, `${where} line ${i + 1}: paths not strictly sorted`)
    prev = e.path
    bytes += e.size
    tree.push(leafHashHex(e.path, e.size, e.digest))
    out.push(e)
  }
  if (out[0].path !== shard.firstPath || prev !== shard.lastPath) throw new InputError(MALFORMED, `${where}: first/last path differ from the header`)
  if (bytes !== shard.bytes) throw new InputError(MALFORMED, `${where}: files total ${bytes} bytes, header says ${shard.bytes}`)
  if (tree.root().toString('hex') !== shard.root) throw new InputError(MALFORMED, `${where}: Merkle root differs from the header`)
  return out
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
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) throw new InputError(MALFORMED, `${where}: size must be a non-negative integer`)
  const digest = o[alg]
  if (typeof digest !== 'string' || !HEX64.test(digest)) throw new InputError(MALFORMED, `${where}: ${alg} must be 64 lowercase hex digits`)
  return {path: o.path, size: o.size, digest}
}

/**
 * All entries of a manifest in order, one shard in memory at a time. Order across shards is
 * checked as well, so a consumer can merge-join against another sorted stream.
 */
export async function* manifestEntries(dir: string, header: DatasetHeader): AsyncGenerator<DatasetEntry> {
  let prev: string | undefined
  for (const shard of header.shards) {
    const entries = await parseShard(await readShardFile(dir, shard), shard, header)
    if (prev !== undefined && comparePaths(prev, entries[0].path) >= 0) throw new InputError(MALFORMED, `shard ${shard.uri}: overlaps the previous shard`)
    prev = entries[entries.length - 1].path
    yield* entries
  }
}

/** Checks every shard (digest, syntax, order, root) without touching the data: `--mode metadata`. */
export async function checkShards(dir: string, header: DatasetHeader): Promise<number> {
  let n = 0
  for await (const _ of manifestEntries(dir, header)) n++
  return n
}
