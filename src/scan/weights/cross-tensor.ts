/**
 * Payloads spread across tensors. A loader that extracts a hidden file does not care where one
 * tensor ends: it joins the low-order bytes of every element in file order. So the per-tensor
 * checks are complemented by the same search over the joined streams — the lowest byte (b0),
 * low 16 and low 24 bits of float elements (float64: up to 56), and the raw bytes of every
 * tensor — reporting only what crosses a tensor boundary (the rest the per-tensor checks already report), plus the
 * structured-window rule over runs of tensors too small to be judged one by one.
 * Bounded: only each tensor's first and last SIGNATURE_LOOKAHEAD elements are read for the
 * signature search; small tensors are read whole up to a total cap.
 */
import {DTYPE_BYTES, isFloatDType, type TensorView} from '../../formats/tensor.js'
import type {Finding} from '../types.js'
import {withTensorReader} from './scan-tensor.js'
import {findSignatures, SIGNATURE_LOOKAHEAD} from './signatures.js'
import type {SigStream as Stream} from './windows.js'

const ALL_STREAMS: Stream[] = ['b0', 'low16', 'low24', 'low32', 'low40', 'low48', 'low56', 'raw']
/** Stream bytes per element (raw: one per byte, the stream is the tensor's bytes). */
const unitOf = (s: Stream) => (s === 'raw' || s === 'b0' ? 1 : Number(s.slice(3)) / 8)

/** A tensor this small cannot hold a 4096-element window of its own. */
const SMALL_ELEMENTS = 4096
const MAX_SMALL_BYTES = 64 << 20
const WINDOW = 4096
const MAX_FINDINGS = 8

interface Carry {
  bytes: Uint8Array
  /** Tensor each carried byte came from (parallel to bytes). */
  owners: number[]
}

/** Stream bytes of elements [from, to) of a tensor's little-endian bytes `b` (element width w). */
function streamOf(b: Uint8Array, w: number, stream: Stream): Uint8Array {
  if (stream === 'raw') return b
  const k = unitOf(stream)
  const n = Math.floor(b.length / w)
  const out = new Uint8Array(n * k)
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[i * k + j] = b[i * w + j]
  return out
}

function streamsFor(t: TensorView): Stream[] {
  if (!isFloatDType(t.dtype)) return DTYPE_BYTES[t.dtype] > 0 || t.dtype === 'quant' || t.dtype === 'other' ? ['raw'] : []
  const w = DTYPE_BYTES[t.dtype]
  // The per-tensor streams (float64: every width up to its 52-bit mantissa); raw too: a loader
  // reading the file's bytes joins float tensors as it joins any others.
  return w >= 8 ? ['b0', 'low16', 'low24', 'low32', 'low40', 'low48', 'low56', 'raw'] : w >= 4 ? ['b0', 'low16', 'low24', 'raw'] : ['b0', 'raw']
}

export async function crossTensorFindings(tensors: readonly TensorView[]): Promise<Finding[]> {
  const order = tensors
    .map((t, index) => ({t, index}))
    .filter(({t}) => t.byteLength > 0)
    .sort((a, b) => (a.t.file ?? '').localeCompare(b.t.file ?? '') || a.t.byteOffset - b.t.byteOffset)
  if (order.length < 2) return []
  const out: Finding[] = []
  const carries = new Map<Stream, Carry>()
  // Runs of consecutive small float tensors: their b0 bytes (non-zero elements only) joined.
  let small: {bytes: number[]; names: string[]; start: number; end: number} = {bytes: [], names: [], start: 0, end: 0}
  let smallTotal = 0
  const flushSmall = () => {
    if (small.names.length >= 2 && small.bytes.length >= WINDOW) out.push(...structuredWindows(Uint8Array.from(small.bytes), small))
    small = {bytes: [], names: [], start: 0, end: 0}
  }
  for (let k = 0; k < order.length && out.length < MAX_FINDINGS; k++) {
    const {t} = order[k]
    const w = isFloatDType(t.dtype) ? DTYPE_BYTES[t.dtype] : 1
    const n = Math.floor(t.byteLength / w)
    const look = SIGNATURE_LOOKAHEAD
    const whole = n <= 2 * look
    const [head, tail] = await withTensorReader(t, async (read) => {
      if (whole) {
        const all = Uint8Array.from(await read(0, n * w))
        return [all, all]
      }
      return [Uint8Array.from(await read(0, look * w)), Uint8Array.from(await read((n - look) * w, look * w))]
    })
    for (const s of streamsFor(t)) {
      const h = streamOf(head, w, s)
      const prev = carries.get(s)
      if (prev?.bytes.length) {
        const joined = new Uint8Array(prev.bytes.length + h.length)
        joined.set(prev.bytes)
        joined.set(h, prev.bytes.length)
        for (const hit of findSignatures(joined, 0, 4)) {
          // Only what starts before this tensor and ends inside it: the rest is reported per tensor.
          if (hit.offset >= prev.bytes.length || hit.offset + hit.length <= prev.bytes.length) continue
          const from = order[prev.owners[hit.offset]]?.t ?? t
          out.push({
            id: 'MS-WG001',
            category: 'embedded-payload',
            severity: 'high',
            title: `Embedded ${hit.kind} payload across tensors`,
            message: `A ${hit.detail} starts in tensor "${from.name}" and continues into "${t.name}" in the ${s === 'raw' ? 'joined raw bytes' : `joined ${s} streams`} of consecutive tensors (a loader joining tensors in file order sees it whole).`,
            location: {tensor: from.name, ...(from.member ? {member: from.member} : {}), byteStart: from.byteOffset, byteEnd: t.byteOffset + t.byteLength},
            evidence: {signature: hit.kind, stream: s, tensors: [from.name, t.name], crossTensor: true, detail: hit.detail},
          })
          break
        }
      }
      // New carry: the last `look` stream units of (previous carry + this tensor).
      const tl = whole ? h : streamOf(tail, w, s)
      const keep = look * unitOf(s)
      const base = whole && prev ? prev : {bytes: new Uint8Array(0), owners: []}
      const bytes = new Uint8Array(Math.min(keep, base.bytes.length + tl.length))
      const owners: number[] = new Array(bytes.length)
      const fromBase = bytes.length - Math.min(tl.length, bytes.length)
      bytes.set(base.bytes.subarray(base.bytes.length - fromBase), 0)
      for (let i = 0; i < fromBase; i++) owners[i] = base.owners[base.owners.length - fromBase + i]
      bytes.set(tl.subarray(tl.length - (bytes.length - fromBase)), fromBase)
      for (let i = fromBase; i < bytes.length; i++) owners[i] = k
      carries.set(s, {bytes, owners})
    }
    // Non-float tensors break the chain of the float streams and vice versa.
    for (const s of ALL_STREAMS) if (!streamsFor(t).includes(s)) carries.delete(s)
    if (isFloatDType(t.dtype) && n < SMALL_ELEMENTS && smallTotal < MAX_SMALL_BYTES) {
      if (!small.names.length) small.start = t.byteOffset
      small.names.push(t.name)
      small.end = t.byteOffset + t.byteLength
      for (let i = 0; i < n; i++) {
        let zero = true
        for (let j = 0; j < w; j++) if (head[i * w + j] !== 0 && !(j === w - 1 && head[i * w + j] === 0x80)) zero = false
        // fp16-exact f32 values carry nothing in their low byte (MS-WG003 territory).
        const truncated = w === 4 && head[i * 4] === 0 && (head[i * 4 + 1] & 0x1f) === 0
        if (!zero && !truncated) small.bytes.push(head[i * w])
      }
      smallTotal += n
    } else flushSmall()
  }
  flushSmall()
  return out.slice(0, MAX_FINDINGS)
}

/** The structured-window rule (entropy < 6.5 bits and printable > 0.55 or zero bytes > 0.30) on a joined b0 stream. */
function structuredWindows(b: Uint8Array, run: {names: string[]; start: number; end: number}): Finding[] {
  let flagged = 0
  let minH = 8
  let maxP = 0
  for (let s = 0; s + WINDOW <= b.length; s += WINDOW / 2) {
    const h = new Uint32Array(256)
    for (let i = s; i < s + WINDOW; i++) h[b[i]]++
    let e = 0
    let p = 0
    for (let v = 0; v < 256; v++) {
      if (h[v]) e -= (h[v] / WINDOW) * Math.log2(h[v] / WINDOW)
      if (v >= 0x20 && v < 0x7f) p += h[v]
    }
    const printable = p / WINDOW
    const zero = h[0] / WINDOW
    if (e < 6.5 && (printable > 0.55 || zero > 0.3)) {
      flagged++
      minH = Math.min(minH, e)
      maxP = Math.max(maxP, printable)
    }
  }
  if (!flagged) return []
  return [
    {
      id: 'MS-WG002',
      category: 'embedded-payload',
      severity: flagged >= 4 ? 'high' : 'medium',
      title: 'Structured data across small tensors',
      message: `The joined lowest bytes of ${run.names.length} consecutive small tensors (${run.names.slice(0, 3).join(', ')}${run.names.length > 3 ? ', …' : ''}) look like a file or text in ${flagged} window(s) (entropy ${minH.toFixed(2)} bits, printable ${maxP.toFixed(2)}), not trained float mantissas.`,
      location: {tensor: run.names[0], byteStart: run.start, byteEnd: run.end},
      evidence: {
        windows: flagged,
        minEntropy: Math.round(minH * 1000) / 1000,
        maxPrintable: Math.round(maxP * 1000) / 1000,
        tensors: run.names.length,
        crossTensor: true,
      },
    },
  ]
}
