/**
 * The two texts a manifest holds per file, in one place for the worker threads that make them
 * and the writer: the shard line (key order is part of the format: path, size, algorithm) and
 * the in-toto dirHash1 line (`sha256sum` output).
 */
import type {DatasetHashAlgorithm} from './types.js'

export function entryLine(path: string, size: number, alg: DatasetHashAlgorithm, hex: string): string {
  return `{"path":${jsonString(path)},"size":${size},"${alg}":"${hex}"}\n`
}

// What JSON.stringify would escape in a string: quote, backslash, control characters, lone surrogates.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

/** JSON.stringify(s), without its cost for the common path that needs no escaping. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`
}

export function dirHashLine(hex: string, path: string): string {
  return `${hex}  ${path}\n`
}
