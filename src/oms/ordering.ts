/**
 * The Python reference's resource order: path components compared as UTF-8 bytes (a shorter
 * prefix first), then shard start and end as numbers. This is not string order: `a/b.bin` sorts
 * before `a-c` because the directory `a` is compared as a whole component. JS `<` compares UTF-16
 * code units and misorders astral characters, so keys are compared as bytes.
 */
import type {ResourceDescriptor} from './types.js'
import {isShardAlgorithm, parseShardName} from './names.js'

/**
 * Sort key of a path: its UTF-8 bytes with every `/` replaced by 0x00. Names never contain NUL,
 * so 0x00 sorts below every byte that can follow, which makes byte order of the keys equal to
 * component-wise order of the paths.
 */
export function pathSortKey(path: string): Buffer {
  const b = Buffer.from(path, 'utf8')
  for (let i = 0; i < b.length; i++) if (b[i] === 0x2f) b[i] = 0
  return b
}

export function comparePaths(a: string, b: string): number {
  return Buffer.compare(pathSortKey(a), pathSortKey(b))
}

interface Keyed<T> {
  item: T
  key: Buffer
  start: number
  end: number
}

/**
 * Sorts resources into canonical order. A resource is a shard when its algorithm is
 * `<hash>-sharded-<N>` or when `method` says so; shards sort by (path, start, end).
 */
export function sortResources<T extends ResourceDescriptor>(resources: readonly T[], method?: 'files' | 'shards'): T[] {
  const keyed: Keyed<T>[] = resources.map((r) => {
    const shard = method === 'shards' || (method === undefined && isShardAlgorithm(r.algorithm))
    if (!shard) return {item: r, key: pathSortKey(r.name), start: 0, end: 0}
    const s = parseShardName(r.name)
    return {item: r, key: pathSortKey(s.path), start: s.start, end: s.end}
  })
  keyed.sort((x, y) => Buffer.compare(x.key, y.key) || x.start - y.start || x.end - y.end)
  return keyed.map((k) => k.item)
}
