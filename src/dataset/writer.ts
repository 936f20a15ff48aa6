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
import {MerkleBuilder, leafHash, rootOfRoots} from './merkle.js'
import {comparePaths} from './paths.js'
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

export class ShardWriter {
  private readonly shards: ShardInfo[] = []
  private readonly all = new MerkleBuilder()
  private readonly dirHash: Hash | undefined
  private shardTree = new MerkleBuilder()
  private lines: string[] = []
  /** dirHash1 input of the current shard, hashed once per shard. */
  private dirLines = ''
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
    // in-toto dirHash1 is defined over sha256sum lines, so only a sha256 manifest has one.
    this.dirHash = alg === 'sha256' ? createHash('sha256') : undefined
  }

  async add(e: DatasetEntry): Promise<void> {
    if (this.last !== undefined && comparePaths(this.last, e.path) >= 0) {
      throw new InputError(
        this.last === e.path ? 'E_DATASET_DUPLICATE_PATH' : 'E_DATASET_UNSORTED',
        this.last === e.path ? `duplicate path ${JSON.stringify(e.path)}` : `entries out of order at ${JSON.stringify(e.path)}`,
      )
    }
    this.last = e.path
    if (this.lines.length === 0) this.first = e.path
    const leaf = leafHash(e.path, e.size, Buffer.from(e.digest, 'hex'))
    this.shardTree.push(leaf)
    this.all.push(leaf)
    this.lines.push(entryLine(e, this.alg))
    if (this.dirHash) this.dirLines += `${e.digest}  ${e.path}\n`
    this.shardBytes += e.size
    this.files++
    this.bytes += e.size
    if (this.lines.length === this.shardEntries) await this.flush()
  }

  private async flush(): Promise<void> {
    if (this.lines.length === 0) return
    this.dirHash?.update(this.dirLines)
    this.dirLines = ''
    const index = this.shards.length
    const uri = shardUri(index)
    const body = await gzip(Buffer.from(this.lines.join(''), 'utf8'), {level: 6})
    await mkdir(path.join(this.outDir, 'shards'), {recursive: true})
    await writeFile(path.join(this.outDir, uri), body)
    this.shards.push({
      index,
      uri,
      sha256: createHash('sha256').update(body).digest('hex'),
      root: this.shardTree.root().toString('hex'),
      files: this.lines.length,
      bytes: this.shardBytes,
      firstPath: this.first,
      lastPath: this.last!,
    })
    this.lines = []
    this.shardTree = new MerkleBuilder()
    this.shardBytes = 0
  }

  async finish(): Promise<WrittenEntries> {
    await this.flush()
    const root = this.all.root().toString('hex')
    // Self-check of the property the format relies on: shard roots combine to the flat root.
    const combined = rootOfRoots(this.shards.map((s) => Buffer.from(s.root, 'hex'))).toString('hex')
    if (combined !== root) throw new Error('shard roots do not combine to the dataset root (shard size not a power of two?)')
    return {shards: this.shards, root, dirHash1: this.dirHash?.digest('hex'), files: this.files, bytes: this.bytes}
  }
}
