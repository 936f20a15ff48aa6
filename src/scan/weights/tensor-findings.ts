/**
 * Turns merged tensor statistics into findings (rules WGT-001…007 of docs/weights.md, thresholds
 * from docs/design-notes.md §5). Every finding names the tensor and the file byte range.
 */
import type {TensorView} from '../../formats/tensor.js'
import type {Finding, Severity} from '../types.js'
import {BLOCK, evalWindow, HALF, MAX_RECORDED_RUNS, MAX_RECORDED_SIGS, type Partial} from './accumulate.js'

/** Merges ordered partials of one tensor; evaluates the windows straddling partial borders. */
export function mergePartials(parts: Partial[]): Partial {
  const m = {
    ...parts[0],
    flagged: [...parts[0].flagged],
    lowT13Runs: parts[0].lowT13Runs.map((r) => [...r] as [number, number, number]),
    sigs: [...parts[0].sigs],
  }
  for (let k = 1; k < parts.length; k++) {
    const b = parts[k]
    if (m.tail && b.head) evalWindow(m, m.tail, b.head)
    m.end = b.end
    m.nan += b.nan
    m.nanPayload += b.nanPayload
    m.posInf += b.posInf
    m.negInf += b.negInf
    m.zeros += b.zeros
    m.denormals += b.denormals
    m.maxAbs = Math.max(m.maxAbs, b.maxAbs)
    m.t13 += b.t13
    m.t16 += b.t16
    m.constant = m.constant && b.constant && (b.firstBits === m.firstBits || b.start === b.end)
    m.flagged.push(...b.flagged)
    m.windowsEvaluated += b.windowsEvaluated
    m.minEntropy = Math.min(m.minEntropy, b.minEntropy)
    m.maxPrintable = Math.max(m.maxPrintable, b.maxPrintable)
    for (const r of b.lowT13Runs) {
      const last = m.lowT13Runs[m.lowT13Runs.length - 1]
      if (last && last[1] === r[0]) (last[1] = r[1]), (last[2] += r[2])
      else if (m.lowT13Runs.length < MAX_RECORDED_RUNS) m.lowT13Runs.push([...r])
    }
    for (const s of b.sigs) if (m.sigs.length < MAX_RECORDED_SIGS) m.sigs.push(s)
    m.overflow = m.overflow || b.overflow
    m.tail = b.tail
  }
  // A tensor of one half has no two-half window: judge that half alone.
  if (m.head && m.head === m.tail && m.head.index * HALF === m.start && m.windowsEvaluated === 0 && m.head.n === m.end - m.start) {
    evalWindow(m, null, m.head)
  }
  return m
}

const WEIGHT_NAME = /(^|[._/])(weight|kernel|w)$/i
const NOT_WEIGHT_NAME = /(bias|norm|ln_|layernorm|bn|running_|scale|mask|position|inv_freq|rotary)/i

function looksLikeWeight(t: TensorView): boolean {
  if (t.role) return t.role === 'weight'
  return WEIGHT_NAME.test(t.name) && !NOT_WEIGHT_NAME.test(t.name)
}

export function elementWidth(kind: Partial['kind']): number {
  return kind === 'f32' ? 4 : kind === 'f64' ? 8 : 2
}

const MAX_RANGE_FINDINGS = 8

/** Findings for one float tensor from its merged statistics. */
export function floatFindings(t: TensorView, m: Partial): Finding[] {
  const out: Finding[] = []
  const w = elementWidth(m.kind)
  const n = m.end - m.start
  const range = (e0: number, e1: number) => ({byteStart: t.byteOffset + e0 * w, byteEnd: t.byteOffset + Math.min(e1, n) * w})
  const loc = (e0: number, e1: number) => ({tensor: t.name, ...(t.member ? {member: t.member} : {}), ...range(e0, e1)})
  const nonZero = n - m.zeros
  const upcast = (m.kind === 'f32' || m.kind === 'f64') && nonZero > 0 && Math.max(m.t13, m.t16) - m.zeros >= 0.5 * nonZero

  for (const s of m.sigs.slice(0, MAX_RANGE_FINDINGS)) {
    const byte = s.byte ?? 0
    const elems = Math.ceil((byte + s.length) / s.bytesPerElement)
    const at = byte > 0 ? `byte ${byte} of element ${s.element}` : `element ${s.element}`
    out.push({
      id: 'MS-WG001',
      category: 'embedded-payload',
      severity: 'high',
      title: `Embedded ${s.kind} payload in tensor bytes`,
      message: `Tensor "${t.name}" hides a ${s.detail} in its ${streamLabel(s.stream, w)} starting at ${at}.`,
      location: loc(s.element, s.element + elems),
      evidence: {signature: s.kind, stream: s.stream, element: s.element, ...(byte > 0 ? {byte} : {}), detail: s.detail},
    })
  }

  if (!upcast && m.flagged.length > 0) {
    const runs = windowRuns(m.flagged.map((f) => f.start))
    const strong = m.sigs.length > 0
    for (const [start, count] of runs.slice(0, MAX_RANGE_FINDINGS)) {
      const ws = m.flagged.filter((f) => f.start >= start && f.start < start + count * HALF)
      const sev: Severity = count >= 4 || strong ? 'high' : 'medium'
      out.push({
        id: 'MS-WG002',
        category: 'embedded-payload',
        severity: sev,
        title: 'Structured data in low-order weight bytes',
        message:
          `Tensor "${t.name}" has ${count} consecutive window(s) whose low-order bytes look like a file or text ` +
          `(entropy ${minOf(ws, 'h0', 'h1').toFixed(2)} bits, printable ${maxOf(ws, 'printable').toFixed(2)}), not trained float mantissas.`,
        location: loc(start, start + (count + 1) * HALF),
        evidence: {
          windows: count,
          minEntropy: round(minOf(ws, 'h0', 'h1')),
          maxPrintable: round(maxOf(ws, 'printable')),
          maxZeroByte: round(maxOf(ws, 'zeroByte')),
        },
      })
    }
  }

  if (upcast && m.lowT13Runs.length > 0) {
    const frac13 = (m.t13 - m.zeros) / Math.max(1, nonZero)
    const frac16 = (m.t16 - m.zeros) / Math.max(1, nonZero)
    const exactFrac = Math.max(frac13, frac16)
    if (exactFrac >= 0.9) {
      const from = frac16 >= 0.9 ? 'bf16' : m.kind === 'f64' ? 'f32' : 'fp16'
      // In a truly up-cast tensor the discarded bits are all zero: a run of blocks that is far
      // denser in non-zero low bits than the tensor as a whole is data written there afterwards.
      const avgInexact = (n - m.t13) / Math.max(1, n)
      const runs = m.lowT13Runs.filter(([b0, b1, inexact]) => inexact / ((b1 - b0) * BLOCK) >= Math.max(0.05, 3 * avgInexact))
      for (const [b0, b1, inexact] of runs.slice(0, MAX_RANGE_FINDINGS)) {
        out.push({
          id: 'MS-WG003',
          category: 'weight-anomaly',
          severity: 'medium',
          title: 'Non-zero low bits in an up-cast tensor',
          message: `Tensor "${t.name}" is ${from}-exact in ${(100 * exactFrac).toFixed(1)}% of its values, but ${inexact} of ${(b1 - b0) * BLOCK} consecutive elements carry data in the bits the up-cast leaves zero.`,
          location: loc(b0 * BLOCK, b1 * BLOCK),
          evidence: {upcastFrom: from, exactFraction: round(exactFrac), elements: (b1 - b0) * BLOCK, inexact},
        })
      }
    }
  }

  const nonFinite = m.nan + m.posInf + m.negInf
  if (nonFinite > 0) {
    const maskLike = m.nan === 0 && m.posInf === 0 && m.zeros + m.negInf === n
    const sev: Severity = maskLike ? 'info' : m.nanPayload > 16 ? 'high' : 'medium'
    out.push({
      id: 'MS-WG004',
      category: 'non-finite-weights',
      severity: sev,
      title: maskLike ? 'Additive mask buffer (0 / -inf)' : 'NaN or infinite values in weights',
      message: maskLike
        ? `Tensor "${t.name}" holds only 0 and -inf (an additive attention mask).`
        : `Tensor "${t.name}" contains ${m.nan} NaN, ${m.posInf} +Inf and ${m.negInf} -Inf values` +
          (m.nanPayload ? ` (${m.nanPayload} NaNs carry non-canonical payload bits)` : '') +
          '.',
      location: loc(0, n),
      evidence: {nan: m.nan, posInf: m.posInf, negInf: m.negInf, nanPayload: m.nanPayload},
    })
  }

  const weighty = looksLikeWeight(t)
  if ((weighty && m.maxAbs > 1e4) || m.maxAbs > 1e30) {
    out.push({
      id: 'MS-WG005',
      category: 'weight-anomaly',
      severity: weighty ? 'low' : 'info',
      title: 'Extreme weight magnitude',
      message: `Tensor "${t.name}" has a finite value of magnitude ${m.maxAbs.toExponential(3)}.`,
      location: loc(0, n),
      evidence: {maxAbs: m.maxAbs},
    })
  }

  if ((m.kind === 'f32' || m.kind === 'f64') && nonZero > 0 && m.denormals > 0.01 * n && n >= 1024) {
    out.push({
      id: 'MS-WG006',
      category: 'weight-anomaly',
      severity: 'info',
      title: 'Many denormal values',
      message: `Tensor "${t.name}" has ${m.denormals} denormal values (${((100 * m.denormals) / n).toFixed(1)}%).`,
      location: loc(0, n),
      evidence: {denormals: m.denormals},
    })
  }

  if (n >= 4096 && m.constant && !NOT_WEIGHT_NAME.test(t.name)) {
    const zero = m.zeros === n
    out.push({
      id: 'MS-WG007',
      category: 'weight-anomaly',
      severity: 'info',
      title: zero ? 'All-zero tensor' : 'Constant tensor',
      message: `Tensor "${t.name}" (${n} elements) is ${zero ? 'all zeros' : 'one repeated value'}.`,
      location: loc(0, n),
      evidence: {elements: n},
    })
  }
  if (m.overflow) {
    out.push({
      id: 'MS-WG008',
      category: 'weight-anomaly',
      severity: 'info',
      title: 'Weight evidence truncated',
      message: `Tensor "${t.name}" produced more suspicious windows or signatures than are recorded; only the first are listed.`,
      location: loc(0, n),
    })
  }
  return out
}

function streamLabel(s: string, w: number): string {
  if (s === 'raw') return 'raw bytes'
  if (s === 'b0') return `lowest byte of each ${w}-byte element`
  return `low ${Number(s.slice(3)) / 8} bytes of each ${w}-byte element`
}

/** Groups flagged window starts into runs of consecutive windows: [firstStart, windowCount]. */
function windowRuns(starts: number[]): Array<[number, number]> {
  const sorted = [...new Set(starts)].sort((a, b) => a - b)
  const runs: Array<[number, number]> = []
  for (const s of sorted) {
    const last = runs[runs.length - 1]
    if (last && s === last[0] + last[1] * HALF) last[1]++
    else runs.push([s, 1])
  }
  return runs
}

type WinKey = 'h0' | 'h1' | 'printable' | 'zeroByte'
function minOf(ws: Array<Record<WinKey, number>>, a: WinKey, b: WinKey): number {
  return Math.min(...ws.map((x) => Math.min(x[a], x[b])))
}
function maxOf(ws: Array<Record<WinKey, number>>, k: WinKey): number {
  return Math.max(...ws.map((x) => x[k]))
}
const round = (x: number) => Math.round(x * 1000) / 1000
