/**
 * Spreads weight checks over every core through the worker engine (src/workers): large
 * file-backed tensors are cut into element ranges (aligned to whole windows), each lane streams
 * its ranges from the file, and the ordered partial statistics merge into the same findings a
 * single pass would give. Memory stays flat: a lane holds one read chunk, results are statistics.
 */
import type {TensorView} from '../../formats/tensor.js'
import {defaultWorkerCount, sharedEngine, WorkerEngine} from '../../workers/engine.js'
import type {Finding} from '../types.js'
import {HALF, type Partial} from './accumulate.js'
import {floatFindings, mergePartials} from './tensor-findings.js'
import {byteFindings, floatKind, scanTensor, tensorElements, type ByteScanResult} from './scan-tensor.js'
import {weightJobHandler, type WeightJob, type WeightJobResult} from './worker.js'

/** Below this much file-backed tensor data, splitting costs more than it saves. */
export const POOL_MIN_BYTES = 64 << 20
/** Bytes of tensor data per job: large enough to amortise messaging, small enough to balance. */
export const JOB_BYTES = 32 << 20
export const MAX_WORKERS = 8

export interface WeightScanOptions {
  /** Lanes (default: available cores, at most MAX_WORKERS; 1 = scan in this thread only). */
  workers?: number
  /** Called with bytes done, for progress bars. */
  onProgress?: (bytes: number) => void
  /** Overrides POOL_MIN_BYTES / JOB_BYTES (tests exercise the split path on small files). */
  minPoolBytes?: number
  jobBytes?: number
  /** Run on this engine (default: the process's engine, or one of `workers` lanes). */
  engine?: WorkerEngine
  /** Jobs running at once (default: the engine's, two per lane). */
  inFlight?: number
  /** false: jobs only on worker threads (the caller keeps the main thread busy, e.g. hashing). */
  mainLane?: boolean
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(defaultWorkerCount(), MAX_WORKERS))
}

interface Slot {
  tensor: TensorView
  index: number
  parts: Array<Partial | ByteScanResult>
  remaining: number
}

/** The element (or byte) ranges a file-backed tensor is cut into. */
export function planJobs(t: TensorView, jobBytes = JOB_BYTES): WeightJob[] {
  const kind = floatKind(t)
  const base = {file: t.file!, byteOffset: t.byteOffset, byteLength: t.byteLength}
  const jobs: WeightJob[] = []
  if (kind) {
    const n = tensorElements(t)
    const w = t.byteLength / Math.max(1, n)
    const step = HALF * Math.max(1, Math.floor(jobBytes / (HALF * w)))
    for (let from = 0; from < n; from += step) jobs.push({...base, kind, from, to: Math.min(n, from + step)})
  } else {
    for (let from = 0; from < t.byteLength; from += jobBytes) jobs.push({...base, kind: 'bytes', from, to: Math.min(t.byteLength, from + jobBytes)})
  }
  return jobs
}

/** Runs every weight check on every tensor; findings come back in tensor order. */
export async function scanTensors(tensors: readonly TensorView[], opts: WeightScanOptions = {}): Promise<Finding[]> {
  const lanes = opts.engine?.parallelism ?? opts.workers ?? defaultWorkers()
  const fileBytes = tensors.reduce((s, t) => s + (t.data ? 0 : t.byteLength), 0)
  if (lanes <= 1 || fileBytes < (opts.minPoolBytes ?? POOL_MIN_BYTES)) {
    const out: Finding[] = []
    for (const t of tensors) {
      out.push(...(await scanTensor(t)))
      opts.onProgress?.(t.byteLength)
    }
    return out
  }
  const engine = opts.engine ?? (opts.workers === undefined ? sharedEngine() : new WorkerEngine({workers: Math.min(opts.workers, MAX_WORKERS)}))
  const results: Finding[][] = tensors.map(() => [])
  const inline: Array<[number, TensorView]> = []
  const slots: Slot[] = []
  tensors.forEach((t, index) => {
    if (t.data || !t.file) inline.push([index, t])
    else slots.push({tensor: t, index, parts: [], remaining: 0})
  })
  // Jobs are generated as the engine asks for them (back-pressure), each tagged with its slot.
  const owners: Slot[] = []
  function* tasks() {
    for (const slot of slots) {
      const jobs = planJobs(slot.tensor, opts.jobBytes)
      slot.remaining = jobs.length
      for (const job of jobs) {
        owners.push(slot)
        yield {handler: weightJobHandler, payload: job, ...(opts.mainLane === false ? {mainLane: false} : {})}
      }
    }
  }
  try {
    for await (const r of engine.ordered<WeightJob, WeightJobResult>(tasks(), {onProgress: opts.onProgress, inFlight: opts.inFlight})) {
      const slot = owners.shift()!
      slot.parts.push('partial' in r ? r.partial : r.bytes)
      if (--slot.remaining === 0) {
        results[slot.index] = finishSlot(slot)
        slot.parts = []
      }
    }
  } catch (err) {
    const first = owners[0]
    throw new Error(`weight scan of ${first?.tensor.name ?? 'a tensor'} failed: ${(err as Error).message}`)
  } finally {
    if (engine !== opts.engine && engine !== sharedEngine()) await engine.close()
  }
  for (const [index, t] of inline) {
    results[index] = await scanTensor(t)
    opts.onProgress?.(t.byteLength)
  }
  return results.flat()
}

function finishSlot(slot: Slot): Finding[] {
  const t = slot.tensor
  if (floatKind(t)) return floatFindings(t, mergePartials(slot.parts as Partial[]))
  return byteFindings(t, {hits: (slot.parts as ByteScanResult[]).flatMap((p) => p.hits).slice(0, 8)})
}
