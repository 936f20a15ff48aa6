/**
 * Writes sorted entries as gzip-compressed JSONL shards and computes everything the header
 * commits to: per-shard digest and root, the dataset root, counts and dirHash1. Memory is one
 * shard (≤ 2^18 lines) at a time; entries arrive as a stream.
 */
import {createHash, type Hash} from 'node:crypto'
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import {gzip as gzipCb} from 'node:zlib'

import {InputError} from '../errors.js'
import {MerkleBuilder, leafHashAt, leafHashHex, rootOfRoots} from './merkle.js'
import {comparePaths} from './paths.js'
import type {EntryBatch} from './source.js'
import type {DatasetEntry, DatasetHashAlgorithm, ShardInfo} from './types.js'

const gzip = promisify(gzipCb)

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

/** One JSONL line; key order is part of the format (path, size, algorithm). */
export function entryLine(e: DatasetEntry, alg: DatasetHashAlgorithm): string {
  return `{"path":${JSON.stringify(e.path)},"size":${e.size},"${alg}":"${e.digest}"}\n`
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

  /** The bytes so far (a view, valid until the next append after clear()). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len)
  }

  clear(): void {
    this.len = 0
  }
}

export class ShardWriter {
  private readonly shards: ShardInfo[] = []
  private readonly dirHash: Hash | undefined
  private shardTree = new MerkleBuilder()
  /**
   * The current shard's JSONL text and dirHash1 input, encoded as they come into reused buffers:
   * a string per line kept until the shard is full would survive young-generation collections
   * and be copied by each of them (most of the writer's cost at 100k+ files).
   */
  private readonly text = new TextBuffer()
  private readonly dirText = new TextBuffer()
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
    this.put(e.path, e.size, e.digest, leafHashHex(e.path, e.size, e.digest))
    if (this.count === this.shardEntries) await this.flush()
  }

  /** A batch of entries with raw digests (directory sources): no object per entry. */
  async addBatch(b: EntryBatch): Promise<void> {
    const hex = b.digests.toString('hex')
    // Lines are gathered per batch and encoded once: one buffer write per batch, not two per entry.
    let text = ''
    let dir = ''
    for (let j = 0; j < b.count; j++) {
      const p = b.paths[b.start + j]
      const size = b.sizes[j]
      const digest = hex.slice(j * 64, j * 64 + 64)
      this.order(p)
      if (this.count === 0) this.first = p
      this.count++
      this.shardTree.push(leafHashAt(p, size, b.digests, j * 32, 32))
      text += `{"path":${JSON.stringify(p)},"size":${size},"${this.alg}":"${digest}"}\n`
      if (this.dirHash) dir += `${digest}  ${p}\n`
      this.shardBytes += size
      this.files++
      this.bytes += size
      if (this.count === this.shardEntries) {
        this.text.append(text)
        this.dirText.append(dir)
        text = dir = ''
        await this.flush()
      }
    }
    this.text.append(text)
    this.dirText.append(dir)
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

  private put(p: string, size: number, digest: string, leaf: string): void {
    if (this.count === 0) this.first = p
    this.count++
    this.shardTree.push(leaf)
    this.text.append(`{"path":${JSON.stringify(p)},"size":${size},"${this.alg}":"${digest}"}\n`)
    if (this.dirHash) this.dirText.append(`${digest}  ${p}\n`)
    this.shardBytes += size
    this.files++
    this.bytes += size
  }

  private async flush(): Promise<void> {
    if (this.count === 0) return
    this.dirHash?.update(this.dirText.bytes())
    this.dirText.clear()
    const index = this.shards.length
    const uri = shardUri(index)
    const body = await gzip(this.text.bytes(), {level: 6})
    this.text.clear()
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
    // Shards hold a power-of-two number of entries (checked in the constructor), so the shard
    // roots combine to exactly the flat RFC 6962 root over all leaves: no second tree per leaf.
    const root = rootOfRoots(this.shards.map((s) => Buffer.from(s.root, 'hex'))).toString('hex')
    return {shards: this.shards, root, dirHash1: this.dirHash?.digest('hex'), files: this.files, bytes: this.bytes}
  }
}
