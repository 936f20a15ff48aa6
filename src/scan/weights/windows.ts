/**
 * Window statistics shared by the weight accumulator and the partial merge: the Partial record
 * (mergeable per-range statistics) and the structured-window rule of docs/design-notes.md §5.
 */
export const HALF = 2048
export const BLOCK = 1024
/** Below this many non-zero elements a window's entropy estimate is too noisy to judge. */
export const MIN_WINDOW_ELEMS = 1024
export const MAX_RECORDED_WINDOWS = 256
export const MAX_RECORDED_RUNS = 256
export const MAX_RECORDED_SIGS = 32

export type FloatKind = 'f32' | 'f16' | 'bf16' | 'f64'

export interface HalfStats {
  index: number
  n: number
  zeros: number
  t13: number
  h0: Uint32Array
  h1: Uint32Array
  /** Printable counts of h0/h1 once the half is complete (-1 = not computed yet). */
  pr0: number
  pr1: number
  /** Elements whose lowest byte is 0 (= h0[0]; -1 = read h0[0]). */
  z0: number
  /**
   * Kernel address of the half's elements while h0/h1 are not filled yet (the WebAssembly path
   * computes them only for windows that need them); -1 when h0/h1 are complete.
   */
  at: number
}

/** Fills a half's pending histograms (HalfStats.at >= 0) from the kernel's memory. */
export type HistFiller = (h: HalfStats) => void

export interface WindowStat {
  /** First element of the window. */
  start: number
  n: number
  h0: number
  h1: number
  printable: number
  zeroByte: number
}

/**
 * The byte streams searched for signatures: the lowest k bytes of every element (b0 = 1,
 * lowN = N/8 bytes; float64 mantissas reach into byte 6) or all of them (raw).
 */
export type SigStream = 'b0' | 'low16' | 'low24' | 'low32' | 'low40' | 'low48' | 'low56' | 'raw'

export interface SigHit {
  stream: SigStream
  element: number
  /** Raw bytes only: the structure starts this many bytes into the element (absent: at its start). */
  byte?: number
  kind: string
  detail: string
  /** Stream bytes the validated structure spans. */
  length: number
  bytesPerElement: number
}

export interface Partial {
  kind: FloatKind
  start: number
  end: number
  nan: number
  nanPayload: number
  posInf: number
  negInf: number
  zeros: number
  denormals: number
  /** Largest finite |x|. */
  maxAbs: number
  /** Elements whose low 13 (f32) / 29 (f64) mantissa bits are zero: exactly representable in fp16/f32. */
  t13: number
  /** Elements whose low 16 bits are zero (bf16-exact f32). */
  t16: number
  firstBits: number
  constant: boolean
  head: HalfStats | null
  tail: HalfStats | null
  flagged: WindowStat[]
  windowsEvaluated: number
  minEntropy: number
  maxPrintable: number
  /**
   * Runs [startBlock, endBlock, inexact] of 1024-element blocks with >= 5% elements that are not
   * fp16-exact (natural fp32 tensors form one long run); judged against the tensor-wide rate.
   */
  lowT13Runs: Array<[number, number, number]>
  sigs: SigHit[]
  overflow: boolean
}

const NLOG = (() => {
  const t = new Float64Array(2 * HALF + 1)
  for (let c = 1; c < t.length; c++) t[c] = c * Math.log2(c)
  return t
})()

function entropy(h: Uint32Array, n: number): number {
  let s = 0
  for (let v = 0; v < 256; v++) s += NLOG[h[v]]
  return Math.log2(n) - s / n
}

function printable(h: Uint32Array): number {
  let p = 0
  for (let v = 0x20; v < 0x7f; v++) p += h[v]
  return p
}

const WINDOW_ENTROPY_MAX = 6.5
const WINDOW_PRINTABLE_MIN = 0.55
const WINDOW_ZERO_MIN = 0.3
const UNIFORM_PRINTABLE = 95 / 256
const XOR_PRINTABLE_SHIFT = 0.06
/** Lowest-byte entropy that no trained fp32 window comes near (clean minimum 7.45 bits). */
const XOR_ENTROPY_MAX = 5.5
const XOR_NEXT_BYTE_MIN = 7

/** Evaluates the window made of halves a (may be null) and b; records it when structured. */
const W0 = new Uint32Array(256)
const W1 = new Uint32Array(256)

/** Printable-byte counts of a half's two streams, computed once per half. */
function printables(h: HalfStats): void {
  if (h.pr0 >= 0) return
  if (h.at >= 0) throw new Error('half histograms pending')
  h.pr0 = printable(h.h0)
  h.pr1 = printable(h.h1)
}

/** Entropy is computed for every candidate window and for a 1-in-8 sample (calibration stats). */
const ENTROPY_SAMPLE = 8

const zb = (h: HalfStats) => (h.z0 >= 0 ? h.z0 : h.h0[0])

export function evalWindow(p: Partial, a: HalfStats | null, b: HalfStats, fill?: HistFiller): void {
  let n = b.n
  let zeros = b.zeros
  let t13 = b.t13
  if (a) {
    n += a.n
    zeros += a.zeros
    t13 += a.t13
  }
  // Exact zeros (pruned weights) are not payload carriers; drop them from the byte statistics.
  const eff = n - zeros
  if (eff < MIN_WINDOW_ELEMS) return
  // Windows of mostly fp16-exact values have empty low bytes by construction (WGT-003 covers them).
  if (p.kind !== 'f16' && p.kind !== 'bf16' && (t13 - zeros) / eff >= 0.5) return
  p.windowsEvaluated++
  const useH1 = p.kind === 'f32' || p.kind === 'f64'
  // Cheap tests first (printable and zero-byte fractions come from per-half sums); the 256-bin
  // merge and the entropies only run when the window could be flagged.
  printables(b)
  if (a) printables(a)
  const p0 = ((a ? a.pr0 : 0) + b.pr0) / eff
  const p1 = useH1 ? ((a ? a.pr1 : 0) + b.pr1) / eff : p0
  const z0 = ((a ? zb(a) : 0) + zb(b) - zeros) / eff
  const maxP = Math.max(p0, p1)
  if (maxP > p.maxPrintable) p.maxPrintable = maxP
  let candidate = maxP > WINDOW_PRINTABLE_MIN || z0 > WINDOW_ZERO_MIN
  // XOR-style obfuscation keeps a payload's low entropy but not its printable or zero bytes. Its
  // bytes still cluster, so the printable share of b0 leaves the uniform 95/256 (sigma 0.0075 at
  // 4096) by far; that share is already counted, so this pre-filter costs nothing per element.
  // Windows whose entropy is computed anyway (the 1-in-ENTROPY_SAMPLE calibration sample) are
  // judged too, which covers long payloads whatever their byte mix.
  const sampled = p.windowsEvaluated % ENTROPY_SAMPLE === 1
  const xorCandidate = useH1 && !candidate && (Math.abs(p0 - UNIFORM_PRINTABLE) > XOR_PRINTABLE_SHIFT || sampled)
  candidate ||= xorCandidate
  if (!candidate && p.windowsEvaluated % ENTROPY_SAMPLE !== 1) return
  if (b.at >= 0) fillOrThrow(b, fill)
  if (a && a.at >= 0) fillOrThrow(a, fill)
  const h0 = W0
  const h1 = W1
  for (let v = 0; v < 256; v++) (h0[v] = b.h0[v]), (h1[v] = b.h1[v])
  if (a) for (let v = 0; v < 256; v++) (h0[v] += a.h0[v]), (h1[v] += a.h1[v])
  h0[0] -= zeros
  h1[0] -= zeros
  const e0 = entropy(h0, eff)
  const e1 = useH1 ? entropy(h1, eff) : e0
  const minH = Math.min(e0, e1)
  if (minH < p.minEntropy) p.minEntropy = minH
  // Obfuscated: the lowest byte far below trained-weight entropy while the next byte is natural.
  const xorHit = xorCandidate && e0 < XOR_ENTROPY_MAX && e1 > XOR_NEXT_BYTE_MIN
  if ((candidate && !xorCandidate && minH < WINDOW_ENTROPY_MAX) || xorHit) {
    if (p.flagged.length < MAX_RECORDED_WINDOWS) {
      p.flagged.push({start: (a ? a.index : b.index) * HALF, n, h0: e0, h1: e1, printable: maxP, zeroByte: z0})
    } else p.overflow = true
  }
}

function fillOrThrow(h: HalfStats, fill: HistFiller | undefined): void {
  if (!fill) throw new Error('half histograms pending')
  fill(h)
}

export function newPartial(kind: FloatKind, start: number): Partial {
  return {
    kind,
    start,
    end: start,
    nan: 0,
    nanPayload: 0,
    posInf: 0,
    negInf: 0,
    zeros: 0,
    denormals: 0,
    maxAbs: 0,
    t13: 0,
    t16: 0,
    firstBits: -1,
    constant: true,
    head: null,
    tail: null,
    flagged: [],
    windowsEvaluated: 0,
    minEntropy: 8,
    maxPrintable: 0,
    lowT13Runs: [],
    sigs: [],
    overflow: false,
  }
}
