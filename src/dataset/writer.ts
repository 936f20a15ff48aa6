/**
 * Writes sorted entries as gzip-compressed JSONL shards and computes everything the header
 * commits to: per-shard digest and root, the dataset root, counts and dirHash1. Memory is one
 * shard (≤ 2^18 lines) at a time; entries arrive as a stream, and each shard is compressed as it
 * fills (on zlib's thread), so only its last piece is left to compress when it is full.
 */
import {createHash, type Hash} from 'node:crypto'
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {createGzip, type Gzip} from 'node:zlib'

import {InputError} from '../errors.js'
import {entryLine} from './entry-lines.js'
import {MerkleBuilder, leafHashHex, rootOfRoots} from './merkle.js'
import {comparePaths} from './paths.js'
import type {EntryBatch} from './source.js'
import type {DatasetEntry, DatasetHashAlgorithm, ShardInfo} from './types.js'

/** Shard text handed to the compressor in pieces of about this size. */
const GZIP_PIECE = 256 * 1024
export interface WrittenEntries {
  shards: ShardInfo[]
  root: string
  dirHash1?: string
  files: number
  bytes: number
}

export function shardUri(index: number): string {
  return `shards/${String(index).padStart(5, '0')}.jsonl.gz`
}

/** A growable byte buffer that strings are appended to as UTF-8. */
class TextBuffer {
  private buf = Buffer.allocUnsafe(1 << 20)
  private len = 0

  append(s: string): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes.
    if (this.len + s.length * 3 > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + s.length * 3))
      this.buf.copy(bigger, 0, 0, this.len)
      this.buf = bigger
    }
    this.len += this.buf.write(s, this.len, 'utf8')
  }

  get length(): number {
    return this.len
  }

  /** The bytes so far (a view, valid until the next append after clear()). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len)
  }

  clear(): void {
    this.len = 0
  }
}

/** One shard's gzip stream: fed as text arrives, its output collected. */
class ShardCompressor {
  private readonly gz: Gzip = createGzip({level: 6})
  private readonly chunks: Buffer[] = []
  private readonly ended: Promise<void>
  private failed?: Error

  constructor() {
    this.gz.on('data', (c: Buffer) => this.chunks.push(c))
    this.ended = new Promise((resolve, reject) => {
      this.gz.once('end', resolve)
      this.gz.once('error', (err) => {
        this.failed = err
        reject(err)
      })
    })
    // Rejections are seen by finish(); none may go unhandled before that.
    this.ended.catch(() => {})
  }

  /** Compresses `bytes` (kept until then: the caller must not reuse them). */
  write(bytes: Uint8Array): void {
    if (this.failed) throw this.failed
    if (bytes.length > 0) this.gz.write(bytes)
  }

  async finish(): Promise<Buffer> {
    this.gz.end()
    await this.ended
    return Buffer.concat(this.chunks)
  }

  destroy(): void {
    this.gz.destroy()
  }
}

export class ShardWriter {
  private readonly shards: ShardInfo[] = []
  private readonly dirHash: Hash | undefined
  private shardTree = new MerkleBuilder()
  /**
   * Lines of entries added one at a time (tar sources) gather here and go to the compressor in
   * pieces; a batch (directory sources) arrives as one piece of text made by a worker thread.
   */
  private readonly text = new TextBuffer()
  private readonly dirText = new TextBuffer()
  private gz = new ShardCompressor()
  private count = 0
  private shardBytes = 0
  private first = ''
  private last: string | undefined
  private files = 0
  private bytes = 0

  constructor(
    private readonly outDir: string,
    private readonly alg: DatasetHashAlgorithm,
    private readonly shardEntries: number,
  ) {
    if (!Number.isSafeInteger(shardEntries) || shardEntries < 1 || (shardEntries & (shardEntries - 1)) !== 0) {
      throw new Error(`shard size ${shardEntries} is not a power of two (the shard roots would not combine to the dataset root)`)
    }
    // in-toto dirHash1 is defined over sha256sum lines, so only a sha256 manifest has one.
    this.dirHash = alg === 'sha256' ? createHash('sha256') : undefined
  }

  async add(e: DatasetEntry): Promise<void> {
    this.order(e.path)
    if (this.count === 0) this.first = e.path
    this.count++
    this.shardTree.push(leafHashHex(e.path, e.size, e.digest))
    this.text.append(entryLine(e.path, e.size, this.alg, e.digest))
    if (this.dirHash) this.dirText.append(`${e.digest}  ${e.path}\n`)
    this.shardBytes += e.size
    this.files++
    this.bytes += e.size
    if (this.text.length >= GZIP_PIECE) this.pour()
    if (this.count === this.shardEntries) await this.flush()
  }

  /**
   * A batch of a directory source, its lines and Merkle subtrees made by the hash workers
   * (hash-worker.ts). It must not cross a shard boundary: batches hold at most a power of two
   * of entries no larger than a shard and start at multiples of it.
   */
  async addBatch(b: EntryBatch): Promise<void> {
    if (!b.text || !b.tree || (this.dirHash && !b.dir)) throw new Error('a batch for the shard writer needs its lines and subtrees')
    if (b.count === 0) return
    if (this.count + b.count > this.shardEntries) throw new Error('a batch crosses a shard boundary')
    for (let j = 0; j < b.count; j++) this.order(b.paths[j])
    if (this.count === 0) this.first = b.paths[0]
    this.pour()
    this.gz.write(b.text)
    if (b.dir) this.dirHash?.update(b.dir)
    for (let k = 0; k < b.tree.sizes.length; k++) this.shardTree.push(Buffer.from(b.tree.hashes.buffer, b.tree.hashes.byteOffset + k * 32, 32), b.tree.sizes[k])
    let sum = 0
    for (let j = 0; j < b.count; j++) sum += b.sizes[j]
    this.count += b.count
    this.shardBytes += sum
    this.files += b.count
    this.bytes += sum
    if (this.count === this.shardEntries) await this.flush()
  }

  private order(p: string): void {
    if (this.last !== undefined && comparePaths(this.last, p) >= 0) {
      throw new InputError(
        this.last === p ? 'E_DATASET_DUPLICATE_PATH' : 'E_DATASET_UNSORTED',
        this.last === p ? `duplicate path ${JSON.stringify(p)}` : `entries out of order at ${JSON.stringify(p)}`,
      )
    }
    this.last = p
  }

  /** Hands the lines gathered one at a time to the compressor, and their dirHash1 text to the hash. */
  private pour(): void {
    if (this.text.length > 0) {
      this.gz.write(Buffer.from(this.text.bytes()))
      this.text.clear()
    }
    if (this.dirText.length > 0) {
      this.dirHash?.update(this.dirText.bytes())
      this.dirText.clear()
    }
  }

  private async flush(): Promise<void> {
    if (this.count === 0) return
    this.pour()
    const index = this.shards.length
    const uri = shardUri(index)
    const gz = this.gz
    this.gz = new ShardCompressor()
    const body = await gz.finish()
    await mkdir(path.join(this.outDir, 'shards'), {recursive: true})
    await writeFile(path.join(this.outDir, uri), body)
    this.shards.push({
      index,
      uri,
      sha256: createHash('sha256').update(body).digest('hex'),
      root: this.shardTree.root().toString('hex'),
      files: this.count,
      bytes: this.shardBytes,
      firstPath: this.first,
      lastPath: this.last!,
    })
    this.count = 0
    this.shardTree = new MerkleBuilder()
    this.shardBytes = 0
  }

  async finish(): Promise<WrittenEntries> {
    await this.flush()
    this.gz.destroy()
    // Shards hold a power-of-two number of entries (checked in the constructor), so the shard
    // roots combine to exactly the flat RFC 6962 root over all leaves: no second tree per leaf.
    const root = rootOfRoots(this.shards.map((s) => Buffer.from(s.root, 'hex'))).toString('hex')
    return {shards: this.shards, root, dirHash1: this.dirHash?.digest('hex'), files: this.files, bytes: this.bytes}
  }

  /** Stops compressing (after a failure). */
  abort(): void {
    this.gz.destroy()
  }
}
