/** Tensor payload helpers: element counts, expected sizes, bounded value decoding. */
import type {ByteSource} from './source.js'
import {DATA_TYPE_BITS, type OnnxTensor} from './types.js'
import {Cursor} from './wire.js'

/** Product of dims, or NaN when a dim is negative or the product is not a safe integer. */
export function numel(dims: readonly number[]): number {
  let n = 1
  for (const d of dims) {
    if (!(d >= 0) || !Number.isSafeInteger(d)) return Number.NaN
    n *= d
    if (!Number.isSafeInteger(n)) return Number.NaN
  }
  return n
}

/** Bytes raw_data must hold for this tensor, or NaN when not fixed-width / not computable. */
export function expectedRawBytes(t: OnnxTensor): number {
  const bits = DATA_TYPE_BITS[t.dataType] ?? 0
  const n = numel(t.dims)
  if (!bits || Number.isNaN(n)) return Number.NaN
  return Math.ceil((n * bits) / 8)
}

export function isExternal(t: OnnxTensor): boolean {
  return t.dataLocation === 1 || t.external.length > 0
}

/** Element count held by typed fields (packed spans counted without decoding floats). */
export function typedCount(t: OnnxTensor, src: ByteSource): number {
  if (!t.typed) return 0
  let n = t.typed.values.length
  for (const s of t.typed.spans) {
    if (t.typed.field === 'float') n += s.length / 4
    else if (t.typed.field === 'double') n += s.length / 8
    else n += countVarints(src, s.offset, s.length)
  }
  return n
}

function countVarints(src: ByteSource, offset: number, length: number): number {
  let n = 0
  const CHUNK = 1 << 20
  for (let p = 0; p < length; p += CHUNK) {
    const b = src.view(offset + p, Math.min(CHUNK, length - p))
    for (let i = 0; i < b.length; i++) if (b[i] < 0x80) n++
  }
  return n
}

/** Elements a typed field must hold for the tensor's data type (4-bit types pack 2 per int32, 2-bit 4). */
export function expectedTypedCount(t: OnnxTensor): number {
  const n = numel(t.dims)
  if (Number.isNaN(n)) return n
  const bits = DATA_TYPE_BITS[t.dataType] ?? 0
  if (t.typed?.field === 'int32' && bits === 4) return Math.ceil(n / 2)
  if (t.typed?.field === 'int32' && bits === 2) return Math.ceil(n / 4)
  if (t.dataType === 14 || t.dataType === 15) return n * 2
  return n
}

/**
 * Decodes up to `max` element values as numbers (float/int/bool types; raw_data or typed fields).
 * Returns null for external, string, packed sub-byte or unsupported payloads, or when larger than `max`.
 */
export function decodeValues(t: OnnxTensor, src: ByteSource, max: number): Float64Array | null {
  const n = numel(t.dims)
  if (Number.isNaN(n) || n > max || isExternal(t)) return null
  const out = new Float64Array(n)
  if (t.raw) {
    const bits = DATA_TYPE_BITS[t.dataType] ?? 0
    if (bits < 8 || t.raw.length !== (n * bits) / 8) return null
    const b = src.view(t.raw.offset, t.raw.length)
    const rd = RAW_READERS[t.dataType]
    if (!rd) return null
    const w = bits / 8
    for (let i = 0; i < n; i++) out[i] = rd(b, i * w)
    return out
  }
  if (t.typed) {
    let i = 0
    const put = (v: number) => {
      if (i < n) out[i] = v
      i++
    }
    for (const s of t.typed.spans) {
      if (t.typed.field === 'float' || t.typed.field === 'double') {
        const w = t.typed.field === 'float' ? 4 : 8
        const b = src.view(s.offset, s.length)
        for (let p = 0; p + w <= b.length; p += w) put(w === 4 ? b.readFloatLE(p) : b.readDoubleLE(p))
      } else {
        const c = new Cursor(src, s.offset, s.offset + s.length)
        while (!c.eof()) put(c.int64())
      }
    }
    for (const v of t.typed.values) put(v)
    if (i !== n) return null
    if (t.dataType === 10) for (let k = 0; k < n; k++) out[k] = halfToFloat(out[k])
    return out
  }
  return n === 0 ? out : null
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1
  const e = (h >> 10) & 0x1f
  const f = h & 0x3ff
  if (e === 0) return s * 2 ** -14 * (f / 1024)
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY
  return s * 2 ** (e - 15) * (1 + f / 1024)
}

const RAW_READERS: Record<number, (b: Buffer, o: number) => number> = {
  1: (b, o) => b.readFloatLE(o),
  2: (b, o) => b[o],
  3: (b, o) => b.readInt8(o),
  4: (b, o) => b.readUInt16LE(o),
  5: (b, o) => b.readInt16LE(o),
  6: (b, o) => b.readInt32LE(o),
  7: (b, o) => Number(b.readBigInt64LE(o)),
  9: (b, o) => b[o],
  10: (b, o) => halfToFloat(b.readUInt16LE(o)),
  11: (b, o) => b.readDoubleLE(o),
  12: (b, o) => b.readUInt32LE(o),
  13: (b, o) => Number(b.readBigUInt64LE(o)),
  16: (b, o) => new Float32Array(new Uint32Array([b.readUInt16LE(o) << 16]).buffer)[0],
}
