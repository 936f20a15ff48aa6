/**
 * Spreads weight checks over worker threads: large file-backed tensors are cut into element
 * ranges (aligned to whole windows), each worker streams its ranges from its own file handle, and
 * the ordered partial statistics merge into the same findings a single pass would give.
 */
import {availableParallelism} from 'node:os'
import {Worker} from 'node:worker_threads'

import type {TensorView} from '../../formats/tensor.js'
import type {Finding} from '../types.js'
import {HALF, type Partial} from './accumulate.js'
import {floatFindings, mergePartials} from './tensor-findings.js'
import {byteFindings, floatKind, scanTensor, tensorElements, type ByteScanResult} from './scan-tensor.js'
import type {WorkerJob} from './worker.js'

/** Below this much file-backed tensor data, thread start-up costs more than it saves. */
export const POOL_MIN_BYTES = 64 << 20
/** Bytes of tensor data per job: large enough to amortise messaging, small enough to balance. */
export const JOB_BYTES = 32 << 20
export const MAX_WORKERS = 8

export interface WeightScanOptions {
  /** Worker threads (default: available cores, at most MAX_WORKERS; 1 = scan in this thread). */
  workers?: number
  /** Called with bytes done, for progress bars. */
  onProgress?: (bytes: number) => void
  /** Overrides POOL_MIN_BYTES / JOB_BYTES (tests exercise the worker path on small files). */
  minPoolBytes?: number
  jobBytes?: number
}

export function defaultWorkers(): number {
  const env = Number(process.env.MODELSEAL_WORKERS)
  if (Number.isInteger(env) && env > 0) return Math.min(env, MAX_WORKERS)
  return Math.max(1, Math.min(availableParallelism(), MAX_WORKERS))
}

function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url))
  // Running from TypeScript sources (tests, bin/dev.js): loader hooks do not reach worker
  // threads, so the worker registers tsx itself before loading its .ts module.
  const url = new URL('./worker.ts', import.meta.url).href
  return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}) })`, {eval: true})
}

interface Slot {
  tensor: TensorView
  index: number
  parts: Array<Partial | ByteScanResult | undefined>
}

/** Runs every weight check on every tensor; findings come back in tensor order. */
export async function scanTensors(tensors: readonly TensorView[], opts: WeightScanOptions = {}): Promise<Finding[]> {
  const workers = opts.workers ?? defaultWorkers()
  const fileBytes = tensors.reduce((s, t) => s + (t.data ? 0 : t.byteLength), 0)
  if (workers <= 1 || fileBytes < (opts.minPoolBytes ?? POOL_MIN_BYTES)) {
    const out: Finding[] = []
    for (const t of tensors) {
      out.push(...(await scanTensor(t)))
      opts.onProgress?.(t.byteLength)
    }
    return out
  }
  const results: Finding[][] = tensors.map(() => [])
  const jobs: Array<WorkerJob & {slot: Slot; part: number}> = []
  const inline: Array<[number, TensorView]> = []
  tensors.forEach((t, index) => {
    if (t.data || !t.file) return inline.push([index, t])
    const kind = floatKind(t)
    const slot: Slot = {tensor: t, index, parts: []}
    const base = {file: t.file, byteOffset: t.byteOffset, byteLength: t.byteLength}
    if (kind) {
      const n = tensorElements(t)
      const w = t.byteLength / Math.max(1, n)
      const jobBytes = opts.jobBytes ?? JOB_BYTES
      const step = HALF * Math.max(1, Math.floor(jobBytes / (HALF * w)))
      for (let from = 0; from < n; from += step) {
        jobs.push({...base, id: jobs.length, kind, from, to: Math.min(n, from + step), slot, part: slot.parts.length})
        slot.parts.push(undefined)
      }
    } else {
      const jobBytes = opts.jobBytes ?? JOB_BYTES
      for (let from = 0; from < t.byteLength; from += jobBytes) {
        jobs.push({...base, id: jobs.length, kind: 'bytes', from, to: Math.min(t.byteLength, from + jobBytes), slot, part: slot.parts.length})
        slot.parts.push(undefined)
      }
    }
  })

  const pool = Array.from({length: Math.min(workers, Math.max(1, jobs.length))}, () => startWorker())
  try {
    let next = 0
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= jobs.length) return resolve()
              const {slot: _s, part: _p, ...msg} = jobs[next++]
              w.postMessage(msg)
            }
            w.on('message', (m: {id: number; error?: string; partial?: Partial; bytes?: ByteScanResult}) => {
              const job = jobs[m.id]
              if (m.error) return reject(new Error(`weight scan of ${job.slot.tensor.name} failed: ${m.error}`))
              job.slot.parts[job.part] = m.partial ?? m.bytes
              opts.onProgress?.(job.kind === 'bytes' ? job.to - job.from : (job.to - job.from) * (job.byteLength / Math.max(1, tensorElements(job.slot.tensor))))
              if (job.slot.parts.every((p) => p !== undefined)) finishSlot(job.slot, results)
              feed()
            })
            w.on('error', reject)
            feed()
          }),
      ),
    )
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
  for (const [index, t] of inline) results[index] = await scanTensor(t)
  return results.flat()
}

function finishSlot(slot: Slot, results: Finding[][]): void {
  const t = slot.tensor
  if (floatKind(t)) results[slot.index] = floatFindings(t, mergePartials(slot.parts as Partial[]))
  else results[slot.index] = byteFindings(t, {hits: (slot.parts as ByteScanResult[]).flatMap((p) => p.hits).slice(0, 8)})
}
