/**
 * The 16-bit side of the weight kernel (stats_f16, hist_f16 in src/scan/weights/kernel-f32.c):
 * float16 and bfloat16 tensors give the JS loop's statistics and findings exactly, for any
 * chunking, alignment and sub-range, and the two functions meet their definitions.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {TensorView} from '../../../src/formats/tensor.js'
import {f32Kernel, useF32Kernel} from '../../../src/scan/weights/kernel.js'
import {MAGIC2} from '../../../src/scan/weights/signatures.js'
import {accumulateRange, type RangeReader, scanTensor} from '../../../src/scan/weights/scan-tensor.js'
import {mergePartials} from '../../../src/scan/weights/tensor-findings.js'
import {rng} from '../../helpers/random.js'
import {copyingReader, ELF, hide16, norm, PICKLE, TEXT, words16, ZIP} from './float-words.js'

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
          const x = r()
          if (x < 0.33) u[at] = a | (b << 8)
          else if (x < 0.66) (u[at] = (u[at] & 0xff00) | a), (u[at + 1] = (u[at + 1] & 0xff00) | b)
          else (u[at] = (u[at] & 0xff) | (a << 8)), (u[at + 1] = (u[at + 1] & 0xff00) | b)
        }
        const prev = trial % 3 === 0 ? PAIRS[trial % PAIRS.length][0] : Math.floor(r() * 256)
        const prevHi = trial % 5 === 0 ? PAIRS[trial % PAIRS.length][0] : Math.floor(r() * 256)
        const first = trial % 4 === 0 && n > 0 ? u[0] : Math.floor(r() * 65536)
        const expMask = bf ? 0x7f80 : 0x7c00
        new Uint8Array(k.fn.memory.buffer, region.addr, n * 2).set(new Uint8Array(u.buffer, 0, n * 2))
        const nc = k.fn.stats_f16(region.addr, n, prev, prevHi, first, expMask)
        // the definition, the JS loop's way
        const want = {zb0: 0, pr0: 0, mx: 0, diff: 0, zeros: 0, pinf: 0, ninf: 0, nan: 0, cands: [] as number[]}
        let pb = prev
        let ph = prevHi
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
          if ((MAGIC2[x] | MAGIC2[pb | (lo << 8)] | MAGIC2[ph | (lo << 8)]) !== 0) want.cands.push(i)
          pb = lo
          ph = x >>> 8
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
