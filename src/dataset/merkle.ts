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
const leafView = new DataView(leafScratch.buffer, leafScratch.byteOffset, leafScratch.length)
// Views of the scratch buffer's first `end` bytes by `end`, made once each (a subarray per leaf is
// an object to make and collect; the lengths in use are few, and at most the buffer's length).
const leafViews: Buffer[] = []
const nodeScratch = Buffer.alloc(1 + 64)
nodeScratch[0] = 1

function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer')
}

// Tree hashes travel as 32-character latin1 strings inside this module: a Buffer result costs a
// fresh ArrayBuffer per hash (about 5× the hashing of a leaf, and work for the collector).
function sha256s(data: Uint8Array): string {
  return hash('sha256', data, 'binary')
}

/** Writes prefix, u32be(len(path)), path and u64be(size) to the scratch buffer; the offset after it, or -1 when it does not fit. */
function leafHead(path: string, size: number): number {
  let off = LEAF_PREFIX.length + 4
  const n = leafScratch.write(path, off, 'utf8')
  // write() stops short (at a character boundary) only when the path does not fit; then, or when
  // size and digest would not fit after it, the caller takes the slow path.
  if (off + n > leafScratch.length - 72) return -1
  leafView.setUint32(LEAF_PREFIX.length, n)
  off += n
  // Two 32-bit halves: a BigInt per leaf would be garbage for millions of leaves.
  leafView.setUint32(off, Math.floor(size / 0x1_0000_0000))
  leafView.setUint32(off + 4, size >>> 0)
  return off + 8
}

function leafSlow(path: string, size: number, digest: Buffer): Buffer {
  const p = Buffer.from(path, 'utf8')
  const lens = Buffer.alloc(12)
  lens.writeUInt32BE(p.length, 0)
  lens.writeBigUInt64BE(BigInt(size), 4)
  return sha256(Buffer.concat([LEAF_PREFIX, lens.subarray(0, 4), p, lens.subarray(4), digest]))
}

export function leafHash(path: string, size: number, digest: Buffer): Buffer {
  const off = digest.length <= 64 ? leafHead(path, size) : -1
  if (off < 0) return leafSlow(path, size, digest)
  digest.copy(leafScratch, off)
  return sha256(leafScratch.subarray(0, off + digest.length))
}

/** leafHash of the digest at `digests[off .. off+len)`, as a latin1 string (for MerkleBuilder). */
export function leafHashAt(path: string, size: number, digests: Buffer, off: number, len: number): string {
  const at = len <= 64 ? leafHead(path, size) : -1
  if (at < 0) return leafSlow(path, size, digests.subarray(off, off + len)).toString('latin1')
  // A plain loop: Buffer#copy costs more than copying 32 bytes.
  for (let k = 0; k < len; k++) leafScratch[at + k] = digests[off + k]
  const end = at + len
  leafViews[end] ??= leafScratch.subarray(0, end)
  return sha256s(leafViews[end])
}

/** leafHash of a hex digest, as a latin1 string (for MerkleBuilder). */
export function leafHashHex(path: string, size: number, hex: string): string {
  const at = hex.length <= 128 ? leafHead(path, size) : -1
  if (at < 0) return leafSlow(path, size, Buffer.from(hex, 'hex')).toString('latin1')
  const n = leafScratch.write(hex, at, 'hex')
  return sha256s(leafScratch.subarray(0, at + n))
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  left.copy(nodeScratch, 1)
  right.copy(nodeScratch, 33)
  return sha256(nodeScratch)
}

function nodeHashS(left: string, right: string): string {
  // 32 one-byte characters each; a loop beats Buffer#write's fixed cost at this size.
  for (let k = 0; k < 32; k++) {
    nodeScratch[1 + k] = left.charCodeAt(k)
    nodeScratch[33 + k] = right.charCodeAt(k)
  }
  return sha256s(nodeScratch)
}

/**
 * Incremental RFC 6962 root in O(log n) memory: keeps the perfect subtrees of the leaves seen
 * so far (sizes strictly decreasing powers of two) and folds them right to left at the end.
 */
export class MerkleBuilder {
  private readonly sizes: number[] = []
  private readonly hashes: string[] = []
  private n = 0

  get count(): number {
    return this.n
  }

  /** Adds an already-hashed leaf (or a perfect subtree root when `size` > 1); a string is the hash in latin1. */
  push(hash: Buffer | string, size = 1): void {
    let h = typeof hash === 'string' ? hash : hash.toString('latin1')
    let sz = size
    const {sizes, hashes} = this
    while (sizes.length > 0 && sizes[sizes.length - 1] === sz) {
      sizes.pop()
      h = nodeHashS(hashes.pop()!, h)
      sz *= 2
    }
    sizes.push(sz)
    hashes.push(h)
    this.n += size
  }

  /**
   * The perfect subtrees so far, largest first: pushed in this order into a builder that holds a
   * multiple of the largest size, they leave it as if every leaf had been pushed (how a worker
   * hands back the tree of a batch aligned to a power of two).
   */
  subtrees(): {sizes: number[]; hashes: Uint8Array} {
    const hashes = new Uint8Array(32 * this.hashes.length)
    for (let i = 0; i < this.hashes.length; i++) {
      const h = this.hashes[i]
      for (let k = 0; k < 32; k++) hashes[i * 32 + k] = h.charCodeAt(k)
    }
    return {sizes: [...this.sizes], hashes}
  }

  root(): Buffer {
    const {hashes} = this
    if (hashes.length === 0) return EMPTY_ROOT
    let acc = hashes[hashes.length - 1]
    for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHashS(hashes[i], acc)
    return Buffer.from(acc, 'latin1')
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
