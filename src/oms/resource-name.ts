/**
 * OMS resource names — the one definition the signer and the verifier share (model_signing's
 * `_ManifestKey`): a file `path` (`.` for a single-file model) or a shard `path:start:end`.
 * parse / format / compare / validate live here, with the resource cap, shard geometry and the
 * root digest, so that whatever the signer writes the verifier reads back identically and
 * whatever the verifier refuses the signer never produces. The rules are in docs/architecture.md
 * ("Resource names").
 */
import {createHash} from 'node:crypto'

import {InputError, UsageError} from '../errors.js'
import type {HashAlgorithm, ResourceDescriptor, SerializationMethod} from './types.js'

/** model_signing's default shard size: 10^9 bytes, not 2^30. */
export const DEFAULT_SHARD_SIZE = 1_000_000_000

/**
 * Resources (files × shards) in one manifest, for signer and verifier alike. A bundle is at most
 * 64 MiB and each resource costs over 100 bytes of it, so no verifiable bundle lists more.
 */
export const MAX_RESOURCES = 1_000_000

export interface FileKey {
  kind: 'file'
  path: string
}

export interface ShardKey {
  kind: 'shard'
  path: string
  start: number
  end: number
}

export type ResourceKey = FileKey | ShardKey

/**
 * Why `path` may not name a file of the model, or undefined when it may. Accepted: `.` or a
 * canonical relative POSIX path — not absolute (no leading `/`, no drive `C:` or `C:/`), no `..`,
 * `.` or empty component (so no `./`, `//` or trailing `/`), no backslash (a Windows separator),
 * no NUL, and valid Unicode (a lone surrogate has no UTF-8 form, so two names could hash alike).
 */
export function unsafePathReason(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'empty'
  if (path === '.') return undefined
  if (path.includes('\0')) return 'contains NUL'
  if (path.includes('\\')) return 'contains a backslash'
  if (path.startsWith('/') || /^[A-Za-z]:(\/|$)/.test(path)) return 'absolute path'
  if (/\p{Cs}/u.test(path)) return 'not valid Unicode'
  for (const part of path.split('/')) {
    if (part === '..') return 'contains ..'
    if (part === '' || part === '.') return 'not a canonical relative path'
  }
  return undefined
}

/** Throws E_UNSAFE_RESOURCE_NAME unless `unsafePathReason(name)` accepts it. */
export function assertSafeResourceName(name: string): void {
  const why = unsafePathReason(name)
  if (why) throw new InputError('E_UNSAFE_RESOURCE_NAME', `unsafe resource name ${JSON.stringify(String(name).slice(0, 200))}: ${why}`)
}

export function isSafeResourceName(name: string): boolean {
  return unsafePathReason(name) === undefined
}

// Offsets are canonical decimals: "0" or no leading zero, so every shard has exactly one name.
const SHARD_NAME_RE = /^([^]*):(0|[1-9]\d{0,15}):(0|[1-9]\d{0,15})$/

/**
 * Parses `path:start:end` from the last two `:`-separated parts (file names may contain `:`,
 * the OMS rule). Offsets must be canonical safe integers with start < end; the path must be safe.
 */
export function parseShardName(name: string): ShardKey {
  const m = typeof name === 'string' ? SHARD_NAME_RE.exec(name) : null
  const start = m ? Number(m[2]) : Number.NaN
  const end = m ? Number(m[3]) : Number.NaN
  if (!m || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) {
    throw new InputError('E_BAD_SHARD_NAME', `invalid shard name ${JSON.stringify(String(name).slice(0, 200))} (expected path:start:end)`)
  }
  assertSafeResourceName(m[1])
  return {kind: 'shard', path: m[1], start, end}
}

/** The key a resource name stands for under `method`; throws InputError for any unsafe or non-canonical name. */
export function parseResourceName(name: string, method: SerializationMethod): ResourceKey {
  if (method === 'shards') return parseShardName(name)
  assertSafeResourceName(name)
  return {kind: 'file', path: name}
}

/** The inverse of parseResourceName: `parseResourceName(formatResourceName(k), kind) ≡ k`. */
export function formatResourceName(key: ResourceKey): string {
  return key.kind === 'shard' ? `${key.path}:${key.start}:${key.end}` : key.path
}

export function shardName(path: string, start: number, end: number): string {
  return formatResourceName({kind: 'shard', path, start, end})
}

/** `<hash>-sharded-<N>`, the algorithm string the Python reference writes for shards. */
export function shardAlgorithm(hash: HashAlgorithm, shardSize: number): string {
  return `${hash}-sharded-${shardSize}`
}

export function isShardAlgorithm(algorithm: string): boolean {
  return /-sharded-\d+$/.test(algorithm)
}

export function assertShardSize(n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError('E_BAD_SHARD_SIZE', `invalid shard size ${String(n)} (expected a positive integer)`)
  }
}

/** Byte ranges of a file's shards: ⌈size/shardSize⌉ ranges, the last one shorter; none for an empty file. */
export function shardRanges(size: number, shardSize: number): Array<[number, number]> {
  assertShardSize(shardSize)
  const out: Array<[number, number]> = []
  for (let start = 0; start < size; start += shardSize) out.push([start, Math.min(start + shardSize, size)])
  return out
}

/**
 * Sort key of a path: its UTF-8 bytes with every `/` replaced by 0x00. Names never contain NUL,
 * so 0x00 sorts below every byte that can follow, which makes byte order of the keys equal to
 * component-wise order of the paths — the Python reference's order (`a/b.bin` before `a-c`).
 * JS `<` compares UTF-16 code units and misorders astral characters, so keys are bytes.
 */
export function pathSortKey(path: string): Buffer {
  const b = Buffer.from(path, 'utf8')
  for (let i = 0; i < b.length; i++) if (b[i] === 0x2f) b[i] = 0
  return b
}

export function comparePaths(a: string, b: string): number {
  return Buffer.compare(pathSortKey(a), pathSortKey(b))
}

/** Canonical order of keys: path component-wise as UTF-8 bytes, then shard start and end. */
export function compareResourceKeys(a: ResourceKey, b: ResourceKey): number {
  const byPath = comparePaths(a.path, b.path)
  if (byPath !== 0) return byPath
  const [as, ae] = a.kind === 'shard' ? [a.start, a.end] : [0, 0]
  const [bs, be] = b.kind === 'shard' ? [b.start, b.end] : [0, 0]
  return as - bs || ae - be
}

/**
 * Sorts resources into canonical order (compareResourceKeys, with each path's key computed once).
 * A resource is a shard when `method` says so, or, without `method`, when its algorithm is
 * `<hash>-sharded-<N>`.
 */
export function sortResources<T extends ResourceDescriptor>(resources: readonly T[], method?: SerializationMethod): T[] {
  const keyed = resources.map((r) => {
    const shard = method === 'shards' || (method === undefined && isShardAlgorithm(r.algorithm))
    if (!shard) return {item: r, key: pathSortKey(r.name), start: 0, end: 0}
    const s = parseShardName(r.name)
    return {item: r, key: pathSortKey(s.path), start: s.start, end: s.end}
  })
  keyed.sort((x, y) => Buffer.compare(x.key, y.key) || x.start - y.start || x.end - y.end)
  return keyed.map((k) => k.item)
}

/** Lowercase hex of exactly `bytes` bytes (any case accepted), or undefined when malformed. */
export function canonicalDigestHex(v: unknown, bytes?: number): string | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(v)) return undefined
  if (bytes !== undefined && v.length !== bytes * 2) return undefined
  return v.toLowerCase()
}

/**
 * The subject digest: SHA-256 over the raw digest bytes of the resources, in the order given
 * (canonical order when signing, payload order when verifying). Names and algorithms are not
 * hashed. Hex must be well-formed: Buffer.from(hex) would silently stop at the first bad digit.
 */
export function computeRootDigest(resources: readonly Pick<ResourceDescriptor, 'digest'>[]): string {
  const h = createHash('sha256')
  for (const r of resources) {
    const hex = canonicalDigestHex(r.digest)
    if (hex === undefined) throw new InputError('E_BAD_DIGEST', `malformed digest ${JSON.stringify(String(r.digest).slice(0, 200))}`)
    h.update(Buffer.from(hex, 'hex'))
  }
  return h.digest('hex')
}
