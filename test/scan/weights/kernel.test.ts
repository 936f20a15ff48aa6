/**
 * The WebAssembly SIMD kernel of the f32 weight scan (src/scan/weights/kernel-f32.c) against the
 * pure-JS loop it replaces: identical statistics (every count, histogram, window, signature) on
 * random and adversarial inputs, for any chunking and alignment; and the committed binary is what
 * scripts/build-wasm.mjs builds from the committed C source. (16-bit kinds: kernel16.test.ts.)
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {TensorView} from '../../../src/formats/tensor.js'
import {f32Kernel, useF32Kernel} from '../../../src/scan/weights/kernel.js'
import {MAGIC2} from '../../../src/scan/weights/signatures.js'
import {accumulateRange, type RangeReader, scanTensor} from '../../../src/scan/weights/scan-tensor.js'
import {mergePartials} from '../../../src/scan/weights/tensor-findings.js'
import {repoRoot} from '../../helpers/cli.js'
import {rng} from '../../helpers/random.js'
import {copyingReader, ELF, hide, norm, PICKLE, TEXT, words, ZIP} from './float-words.js'

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

  const kinds = ['trained', 'random', 'special', 'pruned', 'tiny', 'upcast', 'bf16', 'constant', 'magics', 'printable', 'xor']
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

/** What the kernel's stats_f32 must return, computed the JS hot loop's way (magnitudes relative to 2^-60: kernel-f32.c TINY). */
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
    const t = ((x & 0x7fffffff) - 0x21800000) >>> 0
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
          // a pair at every byte offset of the raw bytes (within an element, and from its last byte
          // into the next), and across two elements' lowest bytes (the b0 stream)
          const bytes = new Uint8Array(u.buffer, 0, n * 4)
          const where = Math.floor(r() * 5)
          if (where < 4) (bytes[at * 4 + where] = a), (bytes[at * 4 + where + 1] = b)
          else (bytes[at * 4] = a), (bytes[at * 4 + 4] = b)
        }
        const prev = trial % 3 === 0 ? PAIRS[trial % PAIRS.length][0] : Math.floor(r() * 256)
        const prevHi = trial % 5 === 0 ? PAIRS[trial % PAIRS.length][0] : Math.floor(r() * 256)
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
        // the raw bytes' other offsets: (b1,b2), (b2,b3) of element i, (last byte of i-1, b0[i])
        const ni = k.fn.raw_pairs_f32(region.addr, n, prevHi)
        const inside: number[] = []
        let ph = prevHi
        for (let i = 0; i < n; i++) {
          const x = u[i]
          if ((MAGIC2[(x >>> 8) & 0xffff] | MAGIC2[x >>> 16] | MAGIC2[ph | ((x & 255) << 8)]) !== 0) inside.push(i)
          ph = x >>> 24
        }
        assert.deepEqual(
          {ni, cands: Array.from(k.cands.subarray(0, Math.min(ni, 64)))},
          {ni: inside.length, cands: inside.slice(0, 64)},
          `raw_pairs_f32 trial ${trial} n=${n}`,
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
