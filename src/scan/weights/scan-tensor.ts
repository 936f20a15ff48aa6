/**
 * Runs the weight checks over one tensor or one element range of it, reading bytes in bounded
 * chunks (from memory views or from the file), so memory stays flat whatever the tensor size.
 */
import {DTYPE_BYTES, FileSource, isFloatDType, type TensorView} from '../../formats/tensor.js'
import type {Finding} from '../types.js'
import {FloatAccumulator, type FloatKind, type Partial} from './accumulate.js'
import {floatFindings, mergePartials} from './tensor-findings.js'
import {f32Kernel} from './kernel.js'
import {findSignatures, SIGNATURE_LOOKAHEAD} from './signatures.js'

/** Bytes per read; a multiple of HALF elements of every width. */
export const CHUNK_BYTES = 4 << 20
const MAX_BYTE_SIGS = 8

/**
 * Reads `len` bytes at `pos` of the tensor's storage (relative to the tensor's first byte). A file
 * reader reads into `into` when given (the kernel's memory: no copy); an in-memory one ignores it.
 */
export type RangeReader = (pos: number, len: number, into?: Uint8Array) => Promise<Uint8Array> | Uint8Array

/** A reader over the tensor's bytes: its in-memory view, or the file range (bounded reads). */
export async function withTensorReader<T>(t: TensorView, fn: (read: RangeReader) => Promise<T>, src?: FileSource): Promise<T> {
  if (t.data) {
    const d = t.data
    return fn((pos, len) => d.subarray(pos, Math.min(d.length, pos + len)))
  }
  if (!t.file) throw new Error(`tensor ${t.name} has neither data nor file`)
  const own = src ?? (await FileSource.open(t.file))
  let scratch: Uint8Array | undefined
  try {
    return await fn(async (pos, len, into) => {
      const end = Math.min(t.byteLength, pos + len)
      if (into && into.length >= end - pos) return own.read(t.byteOffset + pos, end - pos, into)
      if (!scratch || scratch.length < end - pos) scratch = new Uint8Array(end - pos)
      return own.read(t.byteOffset + pos, end - pos, scratch)
    })
  } finally {
    if (!src) await own.close()
  }
}

/** Float typed-array views need aligned memory; copy (one chunk at a time) when a view is not. */
function aligned(b: Uint8Array, w: number, scratch: {buf?: Uint8Array}): Uint8Array {
  if (b.byteOffset % w === 0) return b
  if (!scratch.buf || scratch.buf.length < b.length) scratch.buf = new Uint8Array(b.length)
  const s = scratch.buf.subarray(0, b.length)
  s.set(b)
  return s
}

/** Accumulates elements [from, to) of a float tensor. */
export async function accumulateRange(kind: FloatKind, read: RangeReader, from: number, to: number, chunkBytes = CHUNK_BYTES): Promise<Partial> {
  const w = kind === 'f32' ? 4 : kind === 'f64' ? 8 : 2
  // Chunks hold whole halves except possibly the last; any size gives the same statistics.
  const chunkElems = Math.max(1, Math.floor(chunkBytes / w))
  // b0-stream signatures need SIGNATURE_LOOKAHEAD elements after the candidate.
  const lookElems = SIGNATURE_LOOKAHEAD + 1
  // f32, f16 and bf16 run on the WebAssembly kernel when this thread's kernel memory is free (else the JS loop).
  const kernel = kind !== 'f64' && to > from ? f32Kernel() : null
  const maxRead = (Math.min(chunkElems, to - from) + lookElems + 1) * w
  const region = kernel?.acquire(maxRead) ?? null
  const acc = new FloatAccumulator(kind, from, region ? kernel : null)
  const scratch: {buf?: Uint8Array} = {}
  try {
    for (let g = from; g < to; ) {
      const end = Math.min(to, g + chunkElems)
      const bufStart = g > 0 ? g - 1 : 0
      const len = (end + lookElems - bufStart) * w
      let bytes: Uint8Array
      if (region) {
        const raw = await read(bufStart * w, len, region.view())
        bytes = region.view().subarray(0, raw.length)
        // An in-memory reader returns its own bytes: copy them into the kernel's memory.
        if (raw.buffer !== bytes.buffer || raw.byteOffset !== bytes.byteOffset) bytes.set(raw)
      } else bytes = aligned(await read(bufStart * w, len), w, scratch)
      const avail = Math.floor(bytes.length / w)
      if (bufStart + avail < end) throw new Error(`tensor bytes end early (element ${bufStart + avail} of ${to})`)
      acc.update(bytes, bufStart, g, end, region ? region.addr : -1)
      g = end
    }
    return acc.finish()
  } finally {
    region?.release()
  }
}

export interface ByteScanResult {
  hits: Array<{offset: number; kind: string; detail: string; length: number}>
}

/** Signature search at every byte offset in [from, to) of a non-float tensor. */
export async function byteSignatures(read: RangeReader, from: number, to: number): Promise<ByteScanResult> {
  const hits: ByteScanResult['hits'] = []
  for (let pos = from; pos < to && hits.length < MAX_BYTE_SIGS; pos += CHUNK_BYTES) {
    const end = Math.min(to, pos + CHUNK_BYTES)
    const b = await read(pos, end - pos + SIGNATURE_LOOKAHEAD)
    for (const h of findSignatures(b, pos, MAX_BYTE_SIGS - hits.length)) {
      if (h.offset < end) hits.push({offset: h.offset, kind: h.kind, detail: h.detail, length: h.length})
    }
  }
  return {hits}
}

export function byteFindings(t: TensorView, r: ByteScanResult): Finding[] {
  return r.hits.map((h) => ({
    id: 'MS-WG001',
    category: 'embedded-payload' as const,
    severity: 'high' as const,
    title: `Embedded ${h.kind} payload in tensor bytes`,
    message: `Tensor "${t.name}" (${t.sourceDType ?? t.dtype}) contains a ${h.detail} at byte ${h.offset} of its data.`,
    location: {
      tensor: t.name,
      ...(t.member ? {member: t.member} : {}),
      byteStart: t.byteOffset + h.offset,
      byteEnd: t.byteOffset + h.offset + h.length,
    },
    evidence: {signature: h.kind, stream: 'raw', detail: h.detail},
  }))
}

export function floatKind(t: TensorView): FloatKind | null {
  return isFloatDType(t.dtype) ? t.dtype : null
}

/** Element count the byte length allows (a trailing partial element is ignored). */
export function tensorElements(t: TensorView): number {
  const w = DTYPE_BYTES[t.dtype]
  return w > 0 ? Math.floor(t.byteLength / w) : 0
}

/** Merged statistics of a float tensor (entropy, T13, counts): for calibration and tests. */
export async function floatTensorStats(t: TensorView): Promise<Partial | null> {
  const kind = floatKind(t)
  if (!kind) return null
  return withTensorReader(t, async (read) => mergePartials([await accumulateRange(kind, read, 0, tensorElements(t))]))
}

/**
 * Every weight check on one tensor, in the calling thread. `scanTensors` (pool.ts) spreads large
 * file-backed tensors over worker threads instead.
 */
export async function scanTensor(t: TensorView, src?: FileSource): Promise<Finding[]> {
  return withTensorReader(
    t,
    async (read) => {
      const kind = floatKind(t)
      if (kind) {
        const n = tensorElements(t)
        if (n === 0) return []
        return floatFindings(t, mergePartials([await accumulateRange(kind, read, 0, n)]))
      }
      return byteFindings(t, await byteSignatures(read, 0, t.byteLength))
    },
    src,
  )
}
