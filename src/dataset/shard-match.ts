/**
 * Full verification of a directory against its manifest, shard by shard, without parsing the
 * manifest when nothing changed. The hash workers make each batch's shard lines exactly as
 * `dataset manifest` writes them (hash-worker.ts), so a shard whose decompressed text equals the
 * lines of the files at the same positions — and whose header fields (count, bytes, first and
 * last path, Merkle root) equal theirs — lists exactly those files: every entry matched, and the
 * shard is well-formed because the text is the writer's own. At the first shard that differs in
 * any way, the rest is compared the exact way: every remaining shard parsed and checked
 * (reader.ts) and merge-joined with the remaining files (diff.ts), so a change is reported as
 * precisely as before and a malformed shard is still refused.
 */
import {promisify} from 'node:util'
import {gunzip as gunzipCb} from 'node:zlib'

import {type DiffResult, diffEntries} from './diff.js'
import type {HashedBatch} from './file-hasher.js'
import {MerkleBuilder} from './merkle.js'
import {MAX_LINE_BYTES} from './limits.js'
import {parseShard, readShardFile} from './reader.js'
import type {DatasetEntry, DatasetHeader, ShardInfo} from './types.js'

const gunzip = promisify(gunzipCb)

export interface DirectoryCheck {
  diff: DiffResult
  /** Root of the files found (all of them, in order). */
  actualRoot: string
}

/**
 * Compares the batches of a directory source (made with `lines` and `tree`, in batches of a
 * power of two no larger than the manifest's shards) with the manifest's entries.
 */
export async function diffDirectory(dir: string, header: DatasetHeader, batches: AsyncIterable<HashedBatch>, listLimit: number): Promise<DirectoryCheck> {
  const it = batches[Symbol.asyncIterator]()
  const actualTree = new MerkleBuilder()
  const next = async (): Promise<HashedBatch | undefined> => {
    const r = await it.next()
    if (r.done) return undefined
    const t = r.value.tree
    if (!t) throw new Error('a batch without its Merkle subtrees')
    for (let k = 0; k < t.sizes.length; k++) actualTree.push(subtreeHash(t, k), t.sizes[k])
    return r.value
  }
  try {
    let matched = 0
    let from = header.shards.length
    const held: HashedBatch[] = []
    for (let i = 0; i < header.shards.length; i++) {
      const shard = header.shards[i]
      // The shard is read and decompressed (on zlib's thread) while its files are hashed, so
      // that after the last batch only the comparison is left.
      const early = readAhead(dir, shard)
      let n = 0
      while (n < shard.files) {
        const b = await next()
        if (!b) break
        held.push(b)
        n += b.count
      }
      if (n !== shard.files || !(await sameShard(shard, held, early))) {
        from = i
        break
      }
      matched += n
      held.length = 0
    }
    if (from === header.shards.length) {
      const b = await next()
      if (!b) return {diff: allMatched(matched), actualRoot: actualTree.root().toString('hex')}
      held.push(b)
    }
    // Something differs from shard `from` on: the exact comparison, from there.
    async function* expected(): AsyncGenerator<DatasetEntry> {
      for (let i = from; i < header.shards.length; i++) yield* parseShard(await readShardFile(dir, header.shards[i]), header.shards[i], header)
    }
    async function* actual(): AsyncGenerator<DatasetEntry> {
      for (const b of held) yield* entriesOf(b)
      for (let b = await next(); b; b = await next()) yield* entriesOf(b)
    }
    const diff = await diffEntries(expected(), actual(), listLimit)
    diff.matched += matched
    diff.expectedFiles += matched
    diff.actualFiles += matched
    return {diff, actualRoot: actualTree.root().toString('hex')}
  } finally {
    // Stops hashing when the comparison ends early (a malformed shard): nothing keeps running.
    await it.return?.()
  }
}

function subtreeHash(t: NonNullable<HashedBatch['tree']>, k: number): Buffer {
  return Buffer.from(t.hashes.buffer, t.hashes.byteOffset + k * 32, 32)
}

/** Decompressed text read ahead of a shard's batches: at most this much, whatever the shard says (tests lower it). */
export const readAheadLimit = {bytes: 64 * 1024 * 1024}

interface ReadAhead {
  /** The shard as read (SHA-256 checked against the header): rejects as readShardFile does. */
  body: Promise<Buffer>
  /** Its text, or undefined if it did not decompress within the bound. */
  text: Promise<Buffer | undefined>
}

function readAhead(dir: string, shard: ShardInfo): ReadAhead {
  const body = readShardFile(dir, shard)
  const cap = Math.max(1, Math.min(readAheadLimit.bytes, shard.files * MAX_LINE_BYTES))
  const text = body.then(
    (b) => gunzip(b, {maxOutputLength: cap}).catch(() => undefined),
    () => undefined,
  )
  // Its error is taken (and thrown) only where the shard would have been read anyway.
  body.catch(() => {})
  return {body, text}
}

/** Whether `batches` (exactly shard.files files) are what the shard lists, field by field and byte for byte. */
async function sameShard(shard: ShardInfo, batches: HashedBatch[], early: ReadAhead): Promise<boolean> {
  const last = batches[batches.length - 1]
  if (batches[0].paths[0] !== shard.firstPath || last.paths[last.count - 1] !== shard.lastPath) return false
  const tree = new MerkleBuilder()
  let bytes = 0
  let textBytes = 0
  for (const b of batches) {
    if (!b.text || !b.tree) return false
    for (let k = 0; k < b.tree.sizes.length; k++) tree.push(subtreeHash(b.tree, k), b.tree.sizes[k])
    for (let j = 0; j < b.count; j++) bytes += b.sizes[j]
    textBytes += b.text.length
  }
  if (bytes !== shard.bytes || tree.root().toString('hex') !== shard.root) return false
  // The shard's SHA-256 is checked against the header as it is read.
  const body = await early.body
  // Read ahead within its bound, or (larger than that, or not gzip) decompressed again here, as
  // long as the lines it must equal: either way a text of any other length is no match.
  let text = await early.text
  if (text === undefined) {
    try {
      text = await gunzip(body, {maxOutputLength: Math.max(1, textBytes)})
    } catch {
      return false
    }
  }
  if (text.length !== textBytes) return false
  let off = 0
  for (const b of batches) {
    const piece = b.text!
    if (Buffer.compare(piece, text.subarray(off, off + piece.length)) !== 0) return false
    off += piece.length
  }
  return true
}

function* entriesOf(b: HashedBatch): Generator<DatasetEntry> {
  const hex = b.digests.toString('hex')
  for (let j = 0; j < b.count; j++) yield {path: b.paths[j], size: b.sizes[j], digest: hex.slice(j * 64, j * 64 + 64)}
}

function allMatched(n: number): DiffResult {
  return {
    matched: n,
    added: {count: 0, paths: []},
    removed: {count: 0, paths: []},
    modified: {count: 0, items: []},
    renamed: {count: 0, items: []},
    renameDetectionComplete: true,
    expectedFiles: n,
    actualFiles: n,
  }
}
