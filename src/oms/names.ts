/**
 * Resource names and algorithm names of the OMS manifest: validation (a name must never let a
 * verifier open a file outside the model), shard naming and shard ranges.
 */
import {InputError, UsageError} from '../errors.js'
import type {HashAlgorithm} from './types.js'

/** model_signing's default shard size: 10^9 bytes, not 2^30. */
export const DEFAULT_SHARD_SIZE = 1_000_000_000

/**
 * Throws E_UNSAFE_RESOURCE_NAME unless `name` is `.` or a canonical relative POSIX path: not
 * absolute, no `..`, `.` or empty components (so no `./`, `//` or trailing `/`), no backslash
 * (a separator on Windows) and no NUL.
 */
export function assertSafeResourceName(name: string): void {
  const bad = (why: string) => new InputError('E_UNSAFE_RESOURCE_NAME', `unsafe resource name ${JSON.stringify(name)}: ${why}`)
  if (typeof name !== 'string' || name.length === 0) throw bad('empty')
  if (name === '.') return
  if (name.includes('\0')) throw bad('contains NUL')
  if (name.includes('\\')) throw bad('contains a backslash')
  if (name.startsWith('/')) throw bad('absolute path')
  for (const part of name.split('/')) {
    if (part === '..') throw bad('contains ..')
    if (part === '' || part === '.') throw bad('not a canonical relative path')
  }
}

export function isSafeResourceName(name: string): boolean {
  try {
    assertSafeResourceName(name)
    return true
  } catch {
    return false
  }
}

/** `<hash>-sharded-<N>`, the algorithm string the Python reference writes for shards. */
export function shardAlgorithm(hash: HashAlgorithm, shardSize: number): string {
  return `${hash}-sharded-${shardSize}`
}

export function isShardAlgorithm(algorithm: string): boolean {
  return /-sharded-\d+$/.test(algorithm)
}

export function shardName(path: string, start: number, end: number): string {
  return `${path}:${start}:${end}`
}

/**
 * Parses `path:start:end` from the last two `:`-separated parts (file names may contain `:`;
 * the OMS spec's rule). Offsets must be canonical decimals with start < end.
 */
export function parseShardName(name: string): {path: string; start: number; end: number} {
  const m = /^([^]*):(0|[1-9]\d{0,15}):(0|[1-9]\d{0,15})$/.exec(name)
  const start = m ? Number(m[2]) : NaN
  const end = m ? Number(m[3]) : NaN
  if (!m || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) {
    throw new InputError('E_BAD_SHARD_NAME', `invalid shard name ${JSON.stringify(name)} (expected path:start:end)`)
  }
  return {path: m[1], start, end}
}

/** Byte ranges of a file's shards: ⌈size/shardSize⌉ ranges, the last one shorter; none for an empty file. */
export function shardRanges(size: number, shardSize: number): Array<[number, number]> {
  assertShardSize(shardSize)
  const out: Array<[number, number]> = []
  for (let start = 0; start < size; start += shardSize) out.push([start, Math.min(start + shardSize, size)])
  return out
}

export function assertShardSize(n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError('E_BAD_SHARD_SIZE', `invalid shard size ${String(n)} (expected a positive integer)`)
  }
}
