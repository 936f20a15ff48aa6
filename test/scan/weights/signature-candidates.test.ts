/**
 * Signature candidates in float tensor streams: the cheap tests that decide which candidates get
 * a full look (quickPrefix, and wantsMore for a look past the first 96 bytes) never drop a payload
 * the full checks accept — pickles whose import starts late, follows other opcodes or has long
 * names, and a universal Mach-O header, in every f32/f16/bf16 stream, on either path.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {TensorView} from '../../../src/formats/tensor.js'
import {useF32Kernel} from '../../../src/scan/weights/kernel.js'
import {scanTensor} from '../../../src/scan/weights/scan-tensor.js'
import {hide, hide16, words, words16} from './float-words.js'

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

describe('raw bytes at any offset of a float tensor', () => {
  const ELF64 = (() => {
    // a minimal valid ELF64 header: class 2, little-endian, version 1, type EXEC, machine x86-64, ehsize 64
    const h = new Uint8Array(64)
    h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1])
    h[16] = 2
    h[18] = 62
    h[20] = 1
    h[52] = 64
    return h
  })()
  const elfHits = (fs: Awaited<ReturnType<typeof scanTensor>>) =>
    fs.filter((f) => f.id === 'MS-WG001' && (f.evidence as {signature?: string})?.signature === 'elf')

  for (const [dtype, width] of [
    ['f32', 4],
    ['f16', 2],
    ['bf16', 2],
    ['f64', 8],
  ] as const) {
    it(`${dtype}: an ELF header at every byte offset of an element, either path`, async () => {
      for (let off = 0; off < width; off++) {
        const n = 30_000
        const u = width === 4 ? words('trained', n, 11 + off) : width === 2 ? words16('trained', n, 11 + off, dtype === 'bf16') : null
        const data = u ? new Uint8Array(u.buffer) : new Uint8Array(new Float64Array(Array.from({length: n}, (_, i) => Math.sin(i) * 0.02)).buffer)
        const at = 5000 * width + off
        data.set(ELF64, at)
        const t: TensorView = {name: 'w', dtype, shape: [data.length / width], byteOffset: 0, byteLength: data.length, data}
        for (const kernel of [false, true]) {
          useF32Kernel(kernel)
          const hits = elfHits(await scanTensor(t))
          assert.ok(hits.length >= 1, `${dtype} offset ${off} kernel=${kernel}`)
          const raw = hits.find((f) => (f.evidence as {stream?: string}).stream === 'raw')
          assert.ok(raw, `${dtype} offset ${off}: reported in the raw bytes`)
          assert.equal((raw!.evidence as {byte?: number}).byte, off === 0 ? undefined : off)
          assert.equal(raw!.location.byteStart, 5000 * width)
        }
      }
      useF32Kernel(true)
    })
  }
})

describe('pickle candidates: the import may start anywhere checkPickle looks', () => {
  const enc = new TextEncoder()
  it('GLOBAL and STACK_GLOBAL at every stream offset 2..65, in the b0 and raw streams of f32', async () => {
    const pickleHits = (fs: Awaited<ReturnType<typeof scanTensor>>) =>
      fs.filter((f) => f.id === 'MS-WG001' && (f.evidence as {signature?: string})?.signature === 'pickle').length
    useF32Kernel(true)
    for (let o = 2; o < 66; o++) {
      // MARK opcodes as filler up to the import at stream byte o
      const filler = new Array(o - 2).fill(0x28)
      for (const importBytes of [
        [0x63, ...enc.encode('os\nsystem\n')],
        [0x8c, 2, ...enc.encode('os'), 0x94, 0x8c, 6, ...enc.encode('system'), 0x94, 0x93],
      ]) {
        const payload = Uint8Array.from([0x80, 0x04, ...filler, ...importBytes])
        for (const k of [1, 4]) {
          const u = words('trained', 6000, o * 7 + k)
          hide(u, payload, k, 1000)
          const t: TensorView = {name: 'w', dtype: 'f32', shape: [u.length], byteOffset: 0, byteLength: u.byteLength, data: new Uint8Array(u.buffer)}
          assert.ok(pickleHits(await scanTensor(t)) >= 1, `import at ${o}, opcode 0x${importBytes[0].toString(16)}, k=${k}`)
        }
      }
    }
  })
})
