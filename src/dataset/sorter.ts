/**
 * External sort of entries by path bytes, for sources that do not arrive in order (tar members).
 * Up to SORT_RUN_ENTRIES entries are kept in memory; each full run is sorted and spilled to a
 * temporary file, and the runs are merged at the end. Adjacent equal paths (duplicates) are
 * reported to the caller, which refuses them.
 */
import {createReadStream} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'

import {SORT_RUN_ENTRIES} from './limits.js'
import {comparePaths} from './paths.js'
import type {DatasetEntry} from './types.js'

type SortEntry = DatasetEntry

export class EntrySorter {
  private run: SortEntry[] = []
  private runs: string[] = []
  private tmp: string | undefined

  constructor(private readonly runEntries = SORT_RUN_ENTRIES) {}

  async add(e: SortEntry): Promise<void> {
    this.run.push(e)
    if (this.run.length >= this.runEntries) await this.spill()
  }

  private async spill(): Promise<void> {
    this.tmp ??= await mkdtemp(path.join(tmpdir(), 'modelseal-sort-'))
    this.run.sort((a, b) => comparePaths(a.path, b.path))
    const file = path.join(this.tmp, `run-${this.runs.length}.jsonl`)
    await writeFile(file, this.run.map((e) => `${JSON.stringify([e.path, e.size, e.digest])}\n`).join(''))
    this.runs.push(file)
    this.run = []
  }

  /** Entries in path order; duplicates are passed through (adjacent) for the caller to refuse. */
  async *sorted(): AsyncGenerator<SortEntry> {
    try {
      if (this.runs.length === 0) {
        this.run.sort((a, b) => comparePaths(a.path, b.path))
        const run = this.run
        this.run = []
        yield* run
        return
      }
      if (this.run.length > 0) await this.spill()
      yield* mergeSorted(
        this.runs.map((f) => readRun(f)),
        (a, b) => comparePaths(a.path, b.path),
      )
    } finally {
      await this.cleanup()
    }
  }

  async cleanup(): Promise<void> {
    if (this.tmp) await rm(this.tmp, {recursive: true, force: true})
    this.tmp = undefined
  }
}

async function* readRun(file: string): AsyncGenerator<SortEntry> {
  const rl = createInterface({input: createReadStream(file, {encoding: 'utf8'}), crlfDelay: Infinity})
  for await (const line of rl) {
    const [p, size, digest] = JSON.parse(line) as [string, number, string]
    yield {path: p, size, digest}
  }
}

/** k-way merge of sorted async streams with a binary heap (stable: ties go to the lower stream). */
export async function* mergeSorted<T>(streams: AsyncIterator<T>[] | AsyncIterable<T>[], cmp: (a: T, b: T) => number): AsyncGenerator<T> {
  const its = streams.map((s) => (Symbol.asyncIterator in s ? (s as AsyncIterable<T>)[Symbol.asyncIterator]() : (s as AsyncIterator<T>)))
  const heap: {v: T; i: number}[] = []
  const less = (a: {v: T; i: number}, b: {v: T; i: number}) => {
    const c = cmp(a.v, b.v)
    return c < 0 || (c === 0 && a.i < b.i)
  }
  const push = (x: {v: T; i: number}) => {
    heap.push(x)
    let k = heap.length - 1
    while (k > 0) {
      const p = (k - 1) >> 1
      if (!less(heap[k], heap[p])) break
      ;[heap[k], heap[p]] = [heap[p], heap[k]]
      k = p
    }
  }
  const pop = (): {v: T; i: number} => {
    const top = heap[0]
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let k = 0
      for (;;) {
        const l = 2 * k + 1
        const r = l + 1
        let m = k
        if (l < heap.length && less(heap[l], heap[m])) m = l
        if (r < heap.length && less(heap[r], heap[m])) m = r
        if (m === k) break
        ;[heap[k], heap[m]] = [heap[m], heap[k]]
        k = m
      }
    }
    return top
  }
  for (let i = 0; i < its.length; i++) {
    const r = await its[i].next()
    if (!r.done) push({v: r.value, i})
  }
  while (heap.length > 0) {
    const top = pop()
    yield top.v
    const r = await its[top.i].next()
    if (!r.done) push({v: r.value, i: top.i})
  }
}
