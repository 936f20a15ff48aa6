/**
 * The WebAssembly SIMD kernel of the weight scan (C source kernel-f32.c, built by
 * scripts/build-wasm.mjs into kernel-f32-wasm.ts; named after its first type, it also takes
 * float16 and bfloat16), instantiated synchronously at module load: a 10 KiB module, one per
 * thread. `f32Kernel()` is null where WebAssembly SIMD is unavailable or
 * MODELSEAL_WEIGHTS_WASM=0; accumulate.ts then runs its pure-JS loop, which gives the same
 * statistics (test/scan/weights/kernel.test.ts).
 */
import {KERNEL_F32_WASM} from './kernel-f32-wasm.js'

/** The part of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => {exports: unknown}
}
const WA = (globalThis as {WebAssembly?: WasmApi}).WebAssembly

interface Exports {
  memory: {buffer: ArrayBuffer; grow(pages: number): number}
  init(): void
  out_ptr(): number
  cands_ptr(): number
  hist_ptr(): number
  data_ptr(): number
  stats_f32(ptr: number, n: number, prev: number, first: number): number
  raw_pairs_f32(ptr: number, n: number, prevHi: number): number
  t13_f32(ptr: number, n: number): void
  exact_f32(ptr: number, n: number): void
  hist_f32(ptr: number, n: number): void
  stats_f16(ptr: number, n: number, prev: number, prevHi: number, first: number, expMask: number): number
  hist_f16(ptr: number, n: number): void
}

/** Result slots of the kernel (kernel-f32.c, OUT[]). */
export const OUT_ZB0 = 0
export const OUT_PR0 = 1
export const OUT_PR1 = 2
export const OUT_MX = 3
export const OUT_DIFF = 4
export const OUT_T13 = 6
export const OUT_T16 = 7
export const OUT_ZEROS = 8
export const OUT_DENORMALS = 9
export const OUT_POS_INF = 10
export const OUT_NEG_INF = 11
export const OUT_NAN = 12
export const OUT_NAN_PAYLOAD = 13
export const OUT_MAXA = 14

export class F32Kernel {
  readonly fn: Exports
  private readonly base: number
  /** Views over the kernel's memory; renewed whenever it grows. */
  out!: Uint32Array
  cands!: Uint32Array
  hist!: Uint32Array
  private outPtr: number
  private candsPtr: number
  private histPtr: number

  constructor(fn: Exports) {
    this.fn = fn
    fn.init()
    this.base = fn.data_ptr()
    this.outPtr = fn.out_ptr()
    this.candsPtr = fn.cands_ptr()
    this.histPtr = fn.hist_ptr()
    this.views()
  }

  private views(): void {
    const buf = this.fn.memory.buffer
    this.out = new Uint32Array(buf, this.outPtr, 16)
    this.cands = new Uint32Array(buf, this.candsPtr, 64)
    this.hist = new Uint32Array(buf, this.histPtr, 512)
  }

  /**
   * A data area of at least `bytes` for one range (a worker runs up to two at once: the engine's
   * prefetch): null when none is free and the memory cannot grow now (the caller then runs the JS
   * loop). The memory only grows while no area is held: growing detaches every view of it.
   */
  acquire(bytes: number): Region | null {
    let slot = this.slots.find((x) => !x.busy && x.size >= bytes)
    if (!slot) {
      const size = (Math.max(bytes, ...this.slots.map((x) => x.size)) + 63) & ~63
      if (!this.slots.some((x) => x.busy)) {
        this.slots = Array.from({length: SLOTS}, (_, i) => ({addr: this.base + i * size, size, busy: false}))
        this.reserve(this.base + SLOTS * size)
        slot = this.slots[0]
      } else {
        const last = this.slots[this.slots.length - 1]
        const addr = last.addr + last.size
        if (addr + size > this.fn.memory.buffer.byteLength) return null
        slot = {addr, size, busy: false}
        this.slots.push(slot)
      }
    }
    slot.busy = true
    const s = slot
    return {addr: s.addr, view: () => new Uint8Array(this.fn.memory.buffer, s.addr, bytes), release: () => (s.busy = false)}
  }

  private slots: Array<{addr: number; size: number; busy: boolean}> = []

  private reserve(end: number): void {
    const have = this.fn.memory.buffer.byteLength
    if (end > have) {
      this.fn.memory.grow(Math.ceil((end - have) / 65536))
      this.views()
    }
  }
}

/** Data areas laid out at once (the worker engine's prefetch: two ranges per thread). */
const SLOTS = 2

export interface Region {
  /** Address of the area in the kernel's memory. */
  addr: number
  /** A fresh view of the area (views die when the memory grows; take one per use). */
  view(): Uint8Array
  release(): void
}

let kernel: F32Kernel | null | undefined

function load(): F32Kernel | null {
  if (process.env.MODELSEAL_WEIGHTS_WASM === '0' || !WA) return null
  try {
    const mod = new WA.Module(Buffer.from(KERNEL_F32_WASM, 'base64'))
    return new F32Kernel(new WA.Instance(mod, {}).exports as Exports)
  } catch {
    // No SIMD (old engines, --no-experimental-wasm-simd): the JS loop gives the same results.
    return null
  }
}

/** This thread's kernel, or null (JS fallback). */
export function f32Kernel(): F32Kernel | null {
  if (kernel === undefined) kernel = load()
  return kernel
}

/** Tests: force the JS loop (false) or the kernel (true, when available); returns the previous state. */
export function useF32Kernel(on: boolean): boolean {
  const before = kernel != null
  kernel = on ? load() : null
  return before
}
