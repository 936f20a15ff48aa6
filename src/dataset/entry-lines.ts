/**
 * The two texts a manifest holds per file, in one place for the worker threads that make them
 * and the writer: the shard line (key order is part of the format: path, size, algorithm) and
 * the in-toto dirHash1 line (`sha256sum` output).
 */
import type {DatasetHashAlgorithm} from './types.js'

export function entryLine(path: string, size: number, alg: DatasetHashAlgorithm, hex: string): string {
  return `{"path":${JSON.stringify(path)},"size":${size},"${alg}":"${hex}"}\n`
}

export function dirHashLine(hex: string, path: string): string {
  return `${hex}  ${path}\n`
}
