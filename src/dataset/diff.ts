/**
 * Compares two path-sorted entry streams — what the manifest lists and what is there — in one
 * merge-join pass, and classifies the differences as added, removed, modified or renamed
 * (a removed and an added file with the same size and digest). Lists are bounded; counts are not.
 */
import {MAX_RENAME_CANDIDATES} from './limits.js'
import {comparePaths} from './paths.js'
import type {DatasetEntry} from './types.js'

export interface FileState {
  size: number
  digest: string
}

export interface DiffResult {
  /** Files present on both sides with the same size and digest. */
  matched: number
  added: {count: number; paths: string[]}
  removed: {count: number; paths: string[]}
  modified: {count: number; items: {path: string; reason: 'size' | 'content'; expected: FileState; actual: FileState}[]}
  renamed: {count: number; items: {from: string; to: string}[]}
  /** False when there were more added/removed files than MAX_RENAME_CANDIDATES. */
  renameDetectionComplete: boolean
  expectedFiles: number
  actualFiles: number
}

export async function diffEntries(
  expected: AsyncIterable<DatasetEntry>,
  actual: AsyncIterable<DatasetEntry>,
  listLimit: number,
  onActual?: (e: DatasetEntry) => void,
): Promise<DiffResult> {
  const ei = expected[Symbol.asyncIterator]()
  const ai = actual[Symbol.asyncIterator]()
  const r: DiffResult = {
    matched: 0,
    added: {count: 0, paths: []},
    removed: {count: 0, paths: []},
    modified: {count: 0, items: []},
    renamed: {count: 0, items: []},
    renameDetectionComplete: true,
    expectedFiles: 0,
    actualFiles: 0,
  }
  const removed: DatasetEntry[] = []
  const added: DatasetEntry[] = []
  const keep = (list: DatasetEntry[], e: DatasetEntry) => {
    if (list.length < MAX_RENAME_CANDIDATES) list.push(e)
    else r.renameDetectionComplete = false
  }
  let e = await ei.next()
  let a = await ai.next()
  if (!a.done) onActual?.(a.value)
  while (!e.done || !a.done) {
    const c = e.done ? 1 : a.done ? -1 : comparePaths(e.value.path, a.value.path)
    if (c < 0) {
      keep(removed, e.value)
      r.expectedFiles++
      e = await ei.next()
      continue
    }
    if (c > 0) {
      keep(added, a.value)
      r.actualFiles++
    } else {
      r.expectedFiles++
      r.actualFiles++
      const x = e.value
      const y = a.value
      if (x.size === y.size && x.digest === y.digest) r.matched++
      else {
        r.modified.count++
        if (r.modified.items.length < listLimit) {
          r.modified.items.push({
            path: x.path,
            reason: x.size !== y.size ? 'size' : 'content',
            expected: {size: x.size, digest: x.digest},
            actual: {size: y.size, digest: y.digest},
          })
        }
      }
      e = await ei.next()
    }
    a = await ai.next()
    if (!a.done) onActual?.(a.value)
  }
  classify(r, removed, added, listLimit)
  return r
}

function classify(r: DiffResult, removed: DatasetEntry[], added: DatasetEntry[], listLimit: number): void {
  // Same bytes under a new name: a rename (several candidates pair up in path order).
  const byContent = new Map<string, DatasetEntry[]>()
  for (const x of removed) {
    const k = `${x.size}:${x.digest}`
    const l = byContent.get(k)
    if (l) l.push(x)
    else byContent.set(k, [x])
  }
  const renamedFrom = new Set<string>()
  for (const y of added) {
    const l = byContent.get(`${y.size}:${y.digest}`)
    const x = l?.shift()
    if (x) {
      renamedFrom.add(x.path)
      r.renamed.count++
      if (r.renamed.items.length < listLimit) r.renamed.items.push({from: x.path, to: y.path})
    } else {
      r.added.count++
      if (r.added.paths.length < listLimit) r.added.paths.push(y.path)
    }
  }
  for (const x of removed) {
    if (renamedFrom.has(x.path)) continue
    r.removed.count++
    if (r.removed.paths.length < listLimit) r.removed.paths.push(x.path)
  }
  // Entries beyond the rename-candidate cap were not kept: count them as plain adds/removes.
  const keptRemoved = removed.length
  const keptAdded = added.length
  const totalRemoved = r.expectedFiles - r.matched - r.modified.count
  const totalAdded = r.actualFiles - r.matched - r.modified.count
  r.removed.count += totalRemoved - keptRemoved
  r.added.count += totalAdded - keptAdded
}
