/**
 * The dataset Merkle tree (RFC 6962 shape, domain-separated leaves):
 *   leaf = SHA-256(0x00 || "dsm1" || u32be(len(path)) || path || u64be(size) || digest)
 *   node = SHA-256(0x01 || left || right)
 * Binding path and size into each leaf makes renames, swaps and truncations change the root.
 * Shard roots are combined as nodes; because shards hold a power-of-two number of entries,
 * the two-level root equals the flat RFC 6962 root over all leaves.
 */
import {createHash, hash} from 'node:crypto'

import {LEAF_FORMAT} from './types.js'

const LEAF_PREFIX = Buffer.concat([Buffer.from([0]), Buffer.from(LEAF_FORMAT, 'ascii')])
/** RFC 6962: the hash of an empty tree is SHA-256 of the empty string. */
export const EMPTY_ROOT = createHash('sha256').digest()

// One-shot hashing of a reused scratch buffer: for millions of leaves, a Hash object and four
// update() calls per leaf cost more than the hashing itself (and feed the garbage collector).
const SCRATCH_PATH_BYTES = 4096 * 3
const leafScratch = Buffer.alloc(LEAF_PREFIX.length + 4 + SCRATCH_PATH_BYTES + 8 + 64)
LEAF_PREFIX.copy(leafScratch, 0)
const nodeScratch = Buffer.alloc(1 + 64)
nodeScratch[0] = 1

function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer')
}

export function leafHash(path: string, size: number, digest: Buffer): Buffer {
  let off = LEAF_PREFIX.length + 4
  const n = leafScratch.write(path, off, 'utf8')
  if (n !== Buffer.byteLength(path, 'utf8') || digest.length > 64) {
    const p = Buffer.from(path, 'utf8')
    const lens = Buffer.alloc(12)
    lens.writeUInt32BE(p.length, 0)
    lens.writeBigUInt64BE(BigInt(size), 4)
    return sha256(Buffer.concat([LEAF_PREFIX, lens.subarray(0, 4), p, lens.subarray(4), digest]))
  }
  leafScratch.writeUInt32BE(n, LEAF_PREFIX.length)
  off += n
  // Two 32-bit halves: a BigInt per leaf would be garbage for millions of leaves.
  leafScratch.writeUInt32BE(Math.floor(size / 0x1_0000_0000), off)
  leafScratch.writeUInt32BE(size >>> 0, off + 4)
  off += 8
  digest.copy(leafScratch, off)
  off += digest.length
  return sha256(leafScratch.subarray(0, off))
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  left.copy(nodeScratch, 1)
  right.copy(nodeScratch, 33)
  return sha256(nodeScratch)
}

/**
 * Incremental RFC 6962 root in O(log n) memory: keeps the perfect subtrees of the leaves seen
 * so far (sizes strictly decreasing powers of two) and folds them right to left at the end.
 */
export class MerkleBuilder {
  private readonly stack: {size: number; hash: Buffer}[] = []
  private n = 0

  get count(): number {
    return this.n
  }

  /** Adds an already-hashed leaf (or a perfect subtree root when `size` > 1). */
  push(hash: Buffer, size = 1): void {
    let cur = {size, hash}
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].size === cur.size) {
      const left = this.stack.pop()!
      cur = {size: left.size * 2, hash: nodeHash(left.hash, cur.hash)}
    }
    this.stack.push(cur)
    this.n += size
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT
    let acc = this.stack[this.stack.length - 1].hash
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i].hash, acc)
    return acc
  }
}

/** RFC 6962 MTH over node values that are already tree hashes (shard roots). */
export function rootOfRoots(roots: Buffer[]): Buffer {
  if (roots.length === 0) return EMPTY_ROOT
  if (roots.length === 1) return roots[0]
  let k = 1
  while (k * 2 < roots.length) k *= 2
  return nodeHash(rootOfRoots(roots.slice(0, k)), rootOfRoots(roots.slice(k)))
}
