/**
 * The weight-scan hot path: one pass over a float tensor's elements (as 32/16-bit words, never
 * per-element objects) gathering everything the weight rules need. Work is split into "partials"
 * (contiguous element ranges, possibly on different worker threads) that merge in order.
 *
 * Windows follow docs/design-notes.md §5: W = 4096 elements, stride 2048, so the tensor is cut into
 * 2048-element halves and every window is two consecutive halves. Halves at partial borders are
 * returned (head/tail) so the merge can evaluate the window that straddles the border.
 */
import {
  type F32Kernel,
  OUT_DENORMALS,
  OUT_DIFF,
  OUT_MAXA,
  OUT_MX,
  OUT_NAN,
  OUT_NAN_PAYLOAD,
  OUT_NEG_INF,
  OUT_POS_INF,
  OUT_PR0,
  OUT_PR1,
  OUT_T13,
  OUT_T16,
  OUT_ZB0,
  OUT_ZEROS,
} from './kernel.js'
import {SignatureCandidates} from './candidates.js'
import {MAGIC2, quickPrefix} from './signatures.js'
import {BLOCK, evalWindow, HALF, MAX_RECORDED_RUNS, newPartial, type FloatKind, type HalfStats, type Partial} from './windows.js'

export {BLOCK, evalWindow, HALF, MAX_RECORDED_RUNS, MAX_RECORDED_SIGS, MAX_RECORDED_WINDOWS, MIN_WINDOW_ELEMS, newPartial} from './windows.js'
export type {FloatKind, HalfStats, Partial, SigHit, SigStream, WindowStat} from './windows.js'

/** Candidates recorded per hot-loop call; more than this (adversarial data) takes the slow path. */
const MAX_CANDIDATES = 64
/**
 * |x| bits of 2^-60 (kernel-f32.c TINY). Magnitudes are kept as (|x| bits − TINY_BITS), unsigned:
 * above RARE_ABOVE means a zero, denormal or |x| < 2^-60 (wrapped), |x| >= 2^13, or NaN/Inf.
 * No trained weight is that small; raw bytes of a file laid over float32 elements almost always
 * put such an exponent byte somewhere, so those halves also get the raw search at every offset.
 */
const TINY_BITS = 0x21800000
const RARE_ABOVE = 0x46000000 - TINY_BITS

/**
 * The innermost loop, kept tiny and monomorphic so V8 compiles it to tight code: two histogram
 * bumps, a running max of the shifted magnitude bits (one compare flags zeros, denormals, large
 * values and NaN/Inf at once), an OR against the first value, and two magic-table probes per
 * element. Signature candidates are only listed here (st[1] = their count); st[0] = 1 when some
 * element differs from the first; st[2] = the magnitude maximum.
 */
export function hotF32(
  u32: Uint32Array,
  s: number,
  e: number,
  h0: Uint32Array,
  h1: Uint32Array,
  first: number,
  prev: number,
  st: Int32Array,
  cands: Int32Array,
): void {
  const tab = MAGIC2
  let diff = 0
  let mx = 0
  let nc = 0
  const f = first | 0
  for (let i = s; i < e; i++) {
    const u = u32[i] | 0
    const lo = u & 255
    h0[lo]++
    h1[(u >>> 8) & 255]++
    const t = ((u & 0x7fffffff) - TINY_BITS) >>> 0
    if (t > mx) mx = t
    diff |= u ^ f
    if ((tab[u & 0xffff] | tab[prev | (lo << 8)]) !== 0) {
      if (nc < MAX_CANDIDATES) cands[nc] = i
      nc++
    }
    prev = lo
  }
  if (diff !== 0) st[0] = 1
  st[1] = nc
  st[2] = mx | 0
}

const MAXBITS = new Uint32Array(1)
const MAXF = new Float32Array(MAXBITS.buffer)

/** A fresh half; `lazy` (kernel path): printable/zero-byte counts kept as running sums, histograms filled on demand. */
const newHalf = (index: number, lazy: boolean): HalfStats => {
  const c = lazy ? 0 : -1
  return {index, n: 0, zeros: 0, t13: 0, h0: new Uint32Array(256), h1: new Uint32Array(256), pr0: c, pr1: c, z0: c, at: -1}
}

/**
 * Streams one contiguous element range of a float tensor. Call `update` with consecutive chunks;
 * each chunk's buffer may start one element early (so a two-byte b0 magic across the chunk border
 * is seen) and run past the owned range (lookahead for signature validation).
 */
export class FloatAccumulator {
  readonly p: Partial
  private cur: HalfStats
  private prev: HalfStats | null = null
  private curIsFirst = true
  private blockT13 = 0
  private blockN = 0
  private readonly w: number
  private firstHi = -1
  /** Validates the signature candidates the passes list (candidates.ts). */
  private readonly sig: SignatureCandidates
  /** [non-constant flag, candidate count, magnitude maximum] shared with hotF32. */
  private readonly cand = new Int32Array(4)
  private readonly cands = new Int32Array(MAX_CANDIDATES)

  /** The WebAssembly kernel (f32, f16 and bf16; null = the JS loop). */
  private readonly k: F32Kernel | null
  private readonly fillHist: (h: HalfStats) => void

  constructor(
    readonly kind: FloatKind,
    start: number,
    kernel: F32Kernel | null = null,
  ) {
    this.k = kind === 'f64' ? null : kernel
    this.p = newPartial(kind, start)
    this.cur = newHalf(Math.floor(start / HALF), this.k !== null)
    this.w = kind === 'f32' ? 4 : kind === 'f64' ? 8 : 2
    this.sig = new SignatureCandidates(this.p, this.w)
    this.fillHist = (h: HalfStats) => {
      const k = this.k!
      if (this.w === 2) k.fn.hist_f16(h.at, h.n)
      else k.fn.hist_f32(h.at, h.n)
      h.h0.set(k.hist.subarray(0, 256))
      h.h1.set(k.hist.subarray(256, 512))
      h.at = -1
    }
  }

  /**
   * @param bytes 8-byte-aligned view; element 0 of it is global element `bufStart`
   * @param from first owned global element, to one past the last
   * @param addr with the kernel: address of `bytes` in the kernel's memory (bytes must be that view)
   */
  update(bytes: Uint8Array, bufStart: number, from: number, to: number, addr = -1): void {
    const u32 = this.kind === 'f32' ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2) : null
    const useK = this.k !== null && addr >= 0
    if (this.k !== null && !useK) throw new Error('kernel accumulator needs kernel memory')
    const u16 = useK && this.w === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 1) : null
    let g = from
    while (g < to) {
      if (u16) {
        const segEnd = Math.min(to, (Math.floor(g / HALF) + 1) * HALF)
        this.segmentK16(bytes, u16, addr, bufStart, g, segEnd)
        g = segEnd
      } else if (u32 && useK) {
        const segEnd = Math.min(to, (Math.floor(g / HALF) + 1) * HALF)
        this.segmentK(bytes, u32, addr, bufStart, g, segEnd)
        g = segEnd
      } else if (u32) {
        // f32 (the hot path) runs whole halves per call; blocks are accounted for afterwards.
        const segEnd = Math.min(to, (Math.floor(g / HALF) + 1) * HALF)
        this.segmentF32(bytes, u32, bufStart, g, segEnd)
        g = segEnd
      } else {
        // Never let one inner loop cross a 1024-block border: block and half bookkeeping happen between.
        const blockEnd = Math.min(to, (Math.floor(g / BLOCK) + 1) * BLOCK)
        const t13Before = this.p.t13
        const zBefore = this.p.zeros
        if (this.kind === 'f64') this.loopF64(bytes, bufStart, g, blockEnd)
        else this.loopF16(bytes, bufStart, g, blockEnd)
        const n = blockEnd - g
        this.cur.n += n
        this.cur.t13 += this.p.t13 - t13Before
        this.cur.zeros += this.p.zeros - zBefore
        this.blockT13 += this.p.t13 - t13Before
        this.blockN += n
        g = blockEnd
        if (g % BLOCK === 0) this.endBlock(g / BLOCK - 1)
      }
      if (g % HALF === 0) this.endHalf()
    }
    this.p.end = to
    // The chunk's bytes are gone after this call: fill what a later window may still need.
    if (useK) {
      if (this.cur.at >= 0) this.fillHist(this.cur)
      if (this.prev && this.prev.at >= 0) this.fillHist(this.prev)
    }
  }

  /**
   * The kernel twin of segmentF32 + loopF32: the same statistics from one WebAssembly SIMD pass;
   * byte histograms are left pending (HalfStats.at) until a window needs them.
   */
  private segmentK(bytes: Uint8Array, u32: Uint32Array, addr: number, bufStart: number, g: number, segEnd: number): void {
    const k = this.k!
    const fn = k.fn
    const out = k.out
    const p = this.p
    const cur = this.cur
    const s = g - bufStart
    const e = segEnd - bufStart
    const len = e - s
    let first = p.firstBits
    if (first < 0) first = u32[s]
    const at = addr + 4 * s
    const nc = fn.stats_f32(at, len, s > 0 ? u32[s - 1] & 255 : 0, first)
    const zb0 = out[OUT_ZB0]
    cur.pr0 += out[OUT_PR0]
    cur.pr1 += out[OUT_PR1]
    cur.z0 += zb0
    const diff = out[OUT_DIFF]
    const mx = out[OUT_MX]
    if (nc > MAX_CANDIDATES) {
      for (let i = s; i < e; i++) this.sig.f32(bytes, u32, bufStart, i, i > 0 ? u32[i - 1] & 255 : 0, u32[i] & 255)
    } else {
      const cands = k.cands
      for (let c = 0; c < nc; c++) {
        const i = s + cands[c]
        this.sig.f32(bytes, u32, bufStart, i, i > 0 ? u32[i - 1] & 255 : 0, u32[i] & 255)
      }
    }
    p.firstBits = first
    if (diff !== 0) p.constant = false
    const zBefore = p.zeros
    if (mx >= RARE_ABOVE) {
      fn.exact_f32(at, len)
      p.zeros += out[OUT_ZEROS]
      p.denormals += out[OUT_DENORMALS]
      p.posInf += out[OUT_POS_INF]
      p.negInf += out[OUT_NEG_INF]
      p.nan += out[OUT_NAN]
      p.nanPayload += out[OUT_NAN_PAYLOAD]
      const maxA = out[OUT_MAXA]
      if (maxA > 0) {
        MAXBITS[0] = maxA
        if (MAXF[0] > p.maxAbs) p.maxAbs = MAXF[0]
      }
      const ni = fn.raw_pairs_f32(at, len, s > 0 ? u32[s - 1] >>> 24 : 0)
      if (ni > MAX_CANDIDATES) for (let i = s; i < e; i++) this.sig.insideF32(bytes, u32, bufStart, i)
      else for (let c = 0; c < ni; c++) this.sig.insideF32(bytes, u32, bufStart, s + k.cands[c])
    } else {
      MAXBITS[0] = mx + TINY_BITS
      if (MAXF[0] > p.maxAbs) p.maxAbs = MAXF[0]
    }
    if (cur.n === 0) cur.at = at
    else {
      // The half began in an earlier chunk (its histograms are complete): add this part now.
      fn.hist_f32(at, len)
      const h = k.hist
      for (let v = 0; v < 256; v++) (cur.h0[v] += h[v]), (cur.h1[v] += h[256 + v])
    }
    cur.n += len
    cur.zeros += p.zeros - zBefore
    const exact = zb0 >= len * 0.05
    for (let x = g; x < segEnd; ) {
      const bEnd = Math.min(segEnd, (Math.floor(x / BLOCK) + 1) * BLOCK)
      let c = 0
      if (exact) {
        fn.t13_f32(addr + 4 * (x - bufStart), bEnd - x)
        c = out[OUT_T13]
        p.t13 += c
        p.t16 += out[OUT_T16]
      }
      this.cur.t13 += c
      this.blockT13 += c
      this.blockN += bEnd - x
      x = bEnd
      if (x % BLOCK === 0) this.endBlock(x / BLOCK - 1)
    }
  }

  /**
   * The kernel twin of loopF16 over one half (or the part of it in this chunk): the same counts,
   * candidates and maximum from one WebAssembly SIMD pass; the low-byte histogram is left pending
   * (HalfStats.at) until a window needs it, as in segmentK.
   */
  private segmentK16(bytes: Uint8Array, u16: Uint16Array, addr: number, bufStart: number, g: number, segEnd: number): void {
    const k = this.k!
    const fn = k.fn
    const out = k.out
    const p = this.p
    const cur = this.cur
    const s = g - bufStart
    const e = segEnd - bufStart
    const len = e - s
    let first = p.firstBits
    if (first < 0) first = u16[s]
    const at = addr + 2 * s
    const bf = this.kind === 'bf16'
    const nc = fn.stats_f16(at, len, s > 0 ? u16[s - 1] & 255 : 0, s > 0 ? u16[s - 1] >>> 8 : 0, first, bf ? 0x7f80 : 0x7c00)
    cur.pr0 += out[OUT_PR0]
    cur.z0 += out[OUT_ZB0]
    const zeros = out[OUT_ZEROS]
    p.zeros += zeros
    p.posInf += out[OUT_POS_INF]
    p.negInf += out[OUT_NEG_INF]
    p.nan += out[OUT_NAN]
    const maxA = out[OUT_MX]
    const diff = out[OUT_DIFF]
    if (nc > MAX_CANDIDATES) {
      for (let i = s; i < e; i++) this.sig.f16(bytes, u16, bufStart, i)
    } else {
      const cands = k.cands
      for (let c = 0; c < nc; c++) this.sig.f16(bytes, u16, bufStart, s + cands[c])
    }
    p.firstBits = first
    if (diff !== 0) p.constant = false
    if (maxA > 0) {
      MAXBITS[0] = maxA << 16
      const f = bf ? MAXF[0] : halfToFloat(maxA)
      if (f > p.maxAbs) p.maxAbs = f
    }
    if (cur.n === 0) cur.at = at
    else {
      // The half began in an earlier chunk (its histogram is complete): add this part now.
      fn.hist_f16(at, len)
      const h = k.hist
      for (let v = 0; v < 256; v++) cur.h0[v] += h[v]
    }
    cur.n += len
    cur.zeros += zeros
    // 16-bit kinds keep no T13 runs: blocks only advance.
    for (let x = g; x < segEnd; ) {
      const bEnd = Math.min(segEnd, (Math.floor(x / BLOCK) + 1) * BLOCK)
      this.blockN += bEnd - x
      x = bEnd
      if (x % BLOCK === 0) this.endBlock(x / BLOCK - 1)
    }
  }

  private segmentF32(bytes: Uint8Array, u32: Uint32Array, bufStart: number, g: number, segEnd: number): void {
    const zeroLowBefore = this.cur.h0[0]
    const zBefore = this.p.zeros
    this.loopF32(bytes, u32, bufStart, g, segEnd)
    this.cur.n += segEnd - g
    this.cur.zeros += this.p.zeros - zBefore
    // Only elements with a zero lowest byte can be fp16/bf16-exact. When few are, every block here
    // is certainly below the 10 % T13 mark and the exact count is skipped.
    const exact = this.cur.h0[0] - zeroLowBefore >= (segEnd - g) * 0.05
    for (let x = g; x < segEnd; ) {
      const bEnd = Math.min(segEnd, (Math.floor(x / BLOCK) + 1) * BLOCK)
      const c = exact ? this.countT13(u32, x - bufStart, bEnd - bufStart) : 0
      this.cur.t13 += c
      this.blockT13 += c
      this.blockN += bEnd - x
      x = bEnd
      if (x % BLOCK === 0) this.endBlock(x / BLOCK - 1)
    }
  }

  private countT13(u32: Uint32Array, s: number, e: number): number {
    let t13 = 0
    let t16 = 0
    for (let i = s; i < e; i++) {
      const u = u32[i]
      if ((u & 0x1fff) === 0) {
        t13++
        if ((u & 0xffff) === 0) t16++
      }
    }
    this.p.t13 += t13
    this.p.t16 += t16
    return t13
  }

  private endBlock(block: number): void {
    const inexact = this.blockN - this.blockT13
    if (this.blockN === BLOCK && (this.kind === 'f32' || this.kind === 'f64') && inexact >= BLOCK * 0.05) {
      const runs = this.p.lowT13Runs
      const last = runs[runs.length - 1]
      if (last && last[1] === block) (last[1] = block + 1), (last[2] += inexact)
      else if (runs.length < MAX_RECORDED_RUNS) runs.push([block, block + 1, inexact])
      else this.p.overflow = true
    }
    this.blockT13 = 0
    this.blockN = 0
  }

  private endHalf(): void {
    const c = this.cur
    if (this.curIsFirst) {
      // The head is merged with the previous range's tail later: complete it now.
      if (c.at >= 0) this.fillHist(c)
      this.p.head = c
      this.curIsFirst = false
    } else {
      evalWindow(this.p, this.prev, c, this.fillHist)
    }
    // Recycle the half that just left the window (unless it is the head kept for merging).
    const old = this.prev
    this.prev = c
    if (old && old !== this.p.head) {
      old.index = c.index + 1
      old.n = old.zeros = old.t13 = 0
      old.pr0 = old.pr1 = old.z0 = this.k ? 0 : -1
      old.at = -1
      // The kernel path overwrites a half's histograms whole when it fills them (never adds to
      // stale counts: a half continued from an earlier chunk was filled at that chunk's end).
      if (!this.k) {
        old.h0.fill(0)
        old.h1.fill(0)
      }
      this.cur = old
    } else this.cur = newHalf(c.index + 1, this.k !== null)
  }

  /** Closes the range: the last (possibly short) half becomes the tail. */
  finish(): Partial {
    if (this.blockN > 0) this.endBlock(Math.floor((this.p.end - 1) / BLOCK))
    if (this.cur.n > 0) {
      if (this.curIsFirst) this.p.head = this.cur
      else evalWindow(this.p, this.prev, this.cur, this.fillHist)
      this.p.tail = this.cur
    } else {
      this.p.tail = this.prev
    }
    return this.p
  }

  private loopF32(bytes: Uint8Array, u32: Uint32Array, bufStart: number, from: number, to: number): void {
    const h0 = this.cur.h0
    const h1 = this.cur.h1
    const p = this.p
    let first = p.firstBits
    let diff = 0
    const s = from - bufStart
    const e = to - bufStart
    if (first < 0 && s < e) first = u32[s]
    const st = this.cand
    const cands = this.cands
    hotF32(u32, s, e, h0, h1, first, s > 0 ? u32[s - 1] & 255 : 0, st, cands)
    const nc = st[1]
    if (nc > MAX_CANDIDATES) {
      // Too many two-byte magics to list (crafted data): check every element's candidates.
      for (let i = s; i < e; i++) this.sig.f32(bytes, u32, bufStart, i, i > 0 ? u32[i - 1] & 255 : 0, u32[i] & 255)
    } else {
      for (let k = 0; k < nc; k++) {
        const i = cands[k]
        this.sig.f32(bytes, u32, bufStart, i, i > 0 ? u32[i - 1] & 255 : 0, u32[i] & 255)
      }
    }
    if (st[0] !== 0) diff = 1
    st[0] = 0
    p.firstBits = first
    if (diff !== 0) p.constant = false
    // Zeros, denormals, NaN/Inf, values below 2^-60 or >= 2^13 are rare: recount exactly, and
    // search the raw bytes at every offset, only when present.
    const mx = st[2] >>> 0
    if (mx >= RARE_ABOVE) {
      this.exactF32(u32, s, e)
      for (let i = s; i < e; i++) this.sig.insideF32(bytes, u32, bufStart, i)
    } else if (e > s) {
      MAXBITS[0] = mx + TINY_BITS
      if (MAXF[0] > p.maxAbs) p.maxAbs = MAXF[0]
    }
  }

  /** Exact zero/denormal/NaN/Inf counts and max |x| for one block. */
  private exactF32(u32: Uint32Array, s: number, e: number): void {
    const p = this.p
    let maxA = 0
    for (let i = s; i < e; i++) {
      const u = u32[i]
      const a = u & 0x7fffffff
      if (a === 0) p.zeros++
      else if (a < 0x00800000) p.denormals++
      else if (a === 0x7f800000) u >>> 31 ? p.negInf++ : p.posInf++
      else if (a > 0x7f800000) {
        p.nan++
        if ((a & 0x7fffff) !== 0x400000) p.nanPayload++
      } else if (a > maxA) maxA = a
    }
    if (maxA > 0) {
      const f = new Float32Array(new Uint32Array([maxA]).buffer)[0]
      if (f > p.maxAbs) p.maxAbs = f
    }
  }

  private loopF16(bytes: Uint8Array, bufStart: number, from: number, to: number): void {
    const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 1)
    const h0 = this.cur.h0
    const tab = MAGIC2
    const p = this.p
    const bf = this.kind === 'bf16'
    const expMask = bf ? 0x7f80 : 0x7c00
    let maxA = 0
    let first = p.firstBits
    let diff = 0
    const s = from - bufStart
    const e = to - bufStart
    if (first < 0 && s < e) first = u16[s]
    let prev = s > 0 ? u16[s - 1] & 255 : 0
    for (let i = s; i < e; i++) {
      const u = u16[i]
      const lo = u & 255
      h0[lo]++
      const a = u & 0x7fff
      if (a === 0) p.zeros++
      else if ((a & expMask) === expMask) {
        if ((a & ~expMask & 0x7fff) === 0) u >>> 15 ? p.negInf++ : p.posInf++
        else p.nan++
      } else if (a > maxA) maxA = a
      diff |= u ^ first
      if (tab[u] !== 0 || (i > 0 && (tab[prev | (lo << 8)] | tab[(u16[i - 1] >>> 8) | (lo << 8)]) !== 0)) this.sig.f16(bytes, u16, bufStart, i)
      prev = lo
    }
    p.firstBits = first
    if (diff !== 0) p.constant = false
    if (maxA > 0) {
      const f = bf ? new Float32Array(new Uint32Array([maxA << 16]).buffer)[0] : halfToFloat(maxA)
      if (f > p.maxAbs) p.maxAbs = f
    }
  }

  private loopF64(bytes: Uint8Array, bufStart: number, from: number, to: number): void {
    const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2)
    const f64 = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 3)
    const nAvail = f64.length
    const h0 = this.cur.h0
    const h1 = this.cur.h1
    const tab = MAGIC2
    const p = this.p
    let first = p.firstBits
    let diff = 0
    const s = from - bufStart
    const e = to - bufStart
    if (first < 0 && s < e) (first = u32[2 * s]), (this.firstHi = u32[2 * s + 1])
    const firstHi = this.firstHi
    let prev = s > 0 ? u32[2 * s - 2] & 255 : 0
    for (let i = s; i < e; i++) {
      const lo32 = u32[2 * i]
      const hi = u32[2 * i + 1]
      const lo = lo32 & 255
      h0[lo]++
      h1[(lo32 >>> 8) & 255]++
      if ((lo32 & 0x1fffffff) === 0) p.t13++
      const a = hi & 0x7fffffff
      if (a >= 0x7ff00000) {
        if ((a & 0xfffff) === 0 && lo32 === 0) hi >>> 31 ? p.negInf++ : p.posInf++
        else p.nan++
      } else if (a === 0 && lo32 === 0) p.zeros++
      else {
        if (a < 0x00100000) p.denormals++
        const v = Math.abs(f64[i])
        if (v > p.maxAbs) p.maxAbs = v
      }
      diff |= (lo32 ^ first) | (hi ^ firstHi)
      if (tab[lo32 & 0xffff] !== 0) this.sig.f64(bytes, u32, bufStart, i, nAvail)
      if (tab[prev | (lo << 8)] !== 0 && i > 0) {
        const x = i + 2 < nAvail ? u32[2 * i + 4] & 255 : 0
        if (quickPrefix(prev, lo, i + 1 < nAvail ? u32[2 * i + 2] & 255 : 0, x)) this.sig.candidate(bytes, i - 1, bufStart + i - 1, nAvail, 'b0')
      }
      // raw bytes that start inside the element (bytes 1..6), or in the last byte of the one before
      const base = 8 * i
      for (let j = 1; j < 7; j++) if (tab[bytes[base + j] | (bytes[base + j + 1] << 8)] !== 0) this.sig.rawAt(bytes, i, j, bufStart + i)
      if (i > 0 && tab[bytes[base - 1] | (lo << 8)] !== 0) this.sig.rawAt(bytes, i - 1, 7, bufStart + i - 1)
      prev = lo
    }
    p.firstBits = first
    if (diff !== 0) p.constant = false
  }
}

export function halfToFloat(h: number): number {
  const e = (h >>> 10) & 0x1f
  const m = h & 0x3ff
  const s = h >>> 15 ? -1 : 1
  if (e === 0) return s * m * 2 ** -24
  if (e === 31) return m ? Number.NaN : s * Infinity
  return s * (1 + m / 1024) * 2 ** (e - 15)
}
