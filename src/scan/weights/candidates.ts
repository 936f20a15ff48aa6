/**
 * Signature candidates of the float passes (accumulate.ts and the kernel list them; this checks
 * them): a stream starting at a listed element is gathered and validated by matchSignature, and a
 * match is recorded in the partial as a SigHit. The cheap tests here only skip candidates the full
 * check would refuse anyway (test/scan/weights/signature-candidates.test.ts holds them to that).
 *
 * Streams: raw bytes (at every offset), the low k bytes of each element (b0 = 1, lowN = N/8), read
 * from the chunk buffer in place, which starts one element early and runs past the owned range
 * (SIGNATURE_LOOKAHEAD) so a structure across a chunk border is seen whole.
 */
import {isIdentByte, MAGIC2, matchSignature, quickPrefix, SIGNATURE_LOOKAHEAD, SIGNATURE_QUICK, wantsMore} from './signatures.js'
import {MAX_RECORDED_SIGS, type Partial, type SigStream} from './windows.js'

/** Bytes per element of each low-order stream (raw: the element width). */
const LOW_BYTES: Record<Exclude<SigStream, 'raw'>, number> = {b0: 1, low16: 2, low24: 3, low32: 4, low40: 5, low48: 6, low56: 7}
/** The float64 streams whose first four bytes are those of one element: one prefix test for all. */
const F64_WIDE: SigStream[] = ['low32', 'low40', 'low48', 'low56', 'raw']

export class SignatureCandidates {
  private readonly scratch = new Uint8Array(SIGNATURE_LOOKAHEAD)

  /** `w`: bytes per element of the tensor; hits go to `p.sigs`. */
  constructor(
    private readonly p: Partial,
    private readonly w: number,
  ) {}

  /** float32 element i (buffer index), whose two lowest bytes or (b0[i-1], b0[i]) hit the magic table. */
  f32(bytes: Uint8Array, u32: Uint32Array, bufStart: number, i: number, prev: number, lo: number): void {
    const n = u32.length
    const u = u32[i]
    const v = i + 1 < n ? u32[i + 1] : 0
    const a0 = u & 255
    const a1 = (u >>> 8) & 255
    const a2 = (u >>> 16) & 255
    // A four-byte prefix check first: almost every candidate is a chance two-byte match.
    if (MAGIC2[u & 0xffff] !== 0) {
      if (quickPrefix(a0, a1, a2, u >>> 24)) this.candidate(bytes, i, bufStart + i, n, 'raw')
      if (quickPrefix(a0, a1, v & 255, (v >>> 8) & 255)) this.candidate(bytes, i, bufStart + i, n, 'low16')
      if (quickPrefix(a0, a1, a2, v & 255)) this.candidate(bytes, i, bufStart + i, n, 'low24')
    }
    if (i > 0 && MAGIC2[prev | (lo << 8)] !== 0) {
      const x = i + 2 < n ? u32[i + 2] & 255 : 0
      if (quickPrefix(prev, lo, v & 255, x)) this.candidate(bytes, i - 1, bufStart + i - 1, n, 'b0')
    }
  }

  /** Raw bytes of float32 element i starting at its bytes 1 and 2, or in the last byte of the element before. */
  insideF32(bytes: Uint8Array, u32: Uint32Array, bufStart: number, i: number): void {
    const u = u32[i]
    if (MAGIC2[(u >>> 8) & 0xffff] !== 0) this.rawAt(bytes, i, 1, bufStart + i)
    if (MAGIC2[u >>> 16] !== 0) this.rawAt(bytes, i, 2, bufStart + i)
    if (i > 0 && MAGIC2[(u32[i - 1] >>> 24) | ((u & 255) << 8)] !== 0) this.rawAt(bytes, i - 1, 3, bufStart + i - 1)
  }

  /** 16-bit element i: its raw bytes at both offsets and the b0 stream. */
  f16(bytes: Uint8Array, u16: Uint16Array, bufStart: number, i: number): void {
    const n = u16.length
    const u = u16[i]
    const v = i + 1 < n ? u16[i + 1] : 0
    if (MAGIC2[u] !== 0 && quickPrefix(u & 255, u >>> 8, v & 255, v >>> 8)) this.candidate(bytes, i, bufStart + i, n, 'raw')
    if (i > 0) {
      const prev = u16[i - 1] & 255
      if (MAGIC2[prev | ((u & 255) << 8)] !== 0 && quickPrefix(prev, u & 255, v & 255, i + 2 < n ? u16[i + 2] & 255 : 0)) {
        this.candidate(bytes, i - 1, bufStart + i - 1, n, 'b0')
      }
      // raw bytes that start in the high byte of the element before
      if (MAGIC2[(u16[i - 1] >>> 8) | ((u & 255) << 8)] !== 0) this.rawAt(bytes, i - 1, 1, bufStart + i - 1)
    }
  }

  /** The element-aligned candidates of float64 element i (its two lowest bytes are a magic). */
  f64(bytes: Uint8Array, u32: Uint32Array, bufStart: number, i: number, nAvail: number): void {
    const u = u32[2 * i]
    const v = i + 1 < nAvail ? u32[2 * i + 2] : 0
    const a0 = u & 255
    const a1 = (u >>> 8) & 255
    if (quickPrefix(a0, a1, v & 255, (v >>> 8) & 255)) this.candidate(bytes, i, bufStart + i, nAvail, 'low16')
    if (quickPrefix(a0, a1, (u >>> 16) & 255, v & 255)) this.candidate(bytes, i, bufStart + i, nAvail, 'low24')
    if (quickPrefix(a0, a1, (u >>> 16) & 255, u >>> 24)) for (const s of F64_WIDE) this.candidate(bytes, i, bufStart + i, nAvail, s)
  }

  /** The stream `stream` starting at element `local` of `bytes` (global element `global`). */
  candidate(bytes: Uint8Array, local: number, global: number, nAvail: number, stream: SigStream): void {
    const k = stream === 'raw' ? this.w : LOW_BYTES[stream]
    // PROTO 2..5 is a common chance pair in weights: look for the import a pickle needs before gathering.
    if (bytes[local * this.w] === 0x80 && !this.importNear(bytes, local, nAvail, k)) return
    // Gather a short prefix first: nearly every candidate is a chance two-byte match.
    let s = this.gather(bytes, local, nAvail, k, SIGNATURE_QUICK)
    let m = matchSignature(s)
    if (!m && wantsMore(s)) {
      s = this.gather(bytes, local, nAvail, k, SIGNATURE_LOOKAHEAD)
      m = matchSignature(s)
    }
    if (m) this.record({stream, element: global, kind: m.kind, detail: m.detail, length: m.length, bytesPerElement: k})
  }

  /**
   * A raw-bytes candidate that starts `byte` bytes into element `local` of `bytes` (the raw stream
   * is the buffer itself, so it is read in place).
   */
  rawAt(bytes: Uint8Array, local: number, byte: number, global: number): void {
    const at = local * this.w + byte
    const n = bytes.length
    if (!quickPrefix(bytes[at], at + 1 < n ? bytes[at + 1] : 0, at + 2 < n ? bytes[at + 2] : 0, at + 3 < n ? bytes[at + 3] : 0)) return
    let s = bytes.subarray(at, Math.min(n, at + SIGNATURE_QUICK))
    let m = matchSignature(s)
    if (!m && wantsMore(s)) {
      s = bytes.subarray(at, Math.min(n, at + SIGNATURE_LOOKAHEAD))
      m = matchSignature(s)
    }
    if (m) this.record({stream: 'raw', element: global, byte, kind: m.kind, detail: m.detail, length: m.length, bytesPerElement: this.w})
  }

  private record(hit: Partial['sigs'][number]): void {
    if (this.p.sigs.length >= MAX_RECORDED_SIGS) this.p.overflow = true
    else this.p.sigs.push(hit)
  }

  /**
   * Whether the k-low-bytes stream from element `local` has, at bytes 2..65, a GLOBAL followed by a
   * name character or a SHORT_BINUNICODE of non-zero length followed by one: what checkPickle
   * needs first, read in place.
   */
  private importNear(bytes: Uint8Array, local: number, nAvail: number, k: number): boolean {
    const w = this.w
    // Stream bytes q = 0..67 in order, the two before kept: an opcode at q - 1 or q - 2 (>= 2, < 66)
    // is decided by the byte at q.
    let q = 0
    let x1 = -1
    let x2 = -1
    for (let j = local; j < nAvail && q < 68; j++) {
      for (let b = 0; b < k && q < 68; b++, q++) {
        const x = bytes[j * w + b]
        if (q >= 3 && q <= 66 && x1 === 0x63 && isIdentByte(x)) return true
        if (q >= 4 && x2 === 0x8c && x1 !== 0 && isIdentByte(x)) return true
        x2 = x1
        x1 = x
      }
    }
    return false
  }

  /** The first `max` bytes of the k-low-bytes-per-element stream starting at element `local`. */
  private gather(bytes: Uint8Array, local: number, nAvail: number, k: number, max: number): Uint8Array {
    const w = this.w
    const s = this.scratch
    let o = 0
    for (let j = local; j < nAvail && o < max; j++) {
      const base = j * w
      for (let b = 0; b < k && o < max; b++) s[o++] = bytes[base + b]
    }
    return s.subarray(0, o)
  }
}
