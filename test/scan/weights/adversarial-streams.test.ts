/**
 * Payloads placed where the weight scan's cheap steps (the two-byte magic probe, quickPrefix,
 * wantsMore) meet their limits: structures that straddle the 96-byte quick look, stream offsets
 * that are not element boundaries, and the wider low-order streams of float64. Each one is a
 * payload matchSignature accepts on its stream; the scan must report it as MS-WG001.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {TensorView} from '../../../src/formats/tensor.js'
import type {Finding} from '../../../src/scan/types.js'
import {crossTensorFindings} from '../../../src/scan/weights/cross-tensor.js'
import {useF32Kernel} from '../../../src/scan/weights/kernel.js'
import {scanTensor} from '../../../src/scan/weights/scan-tensor.js'
import {matchSignature, SIGNATURE_QUICK, wantsMore} from '../../../src/scan/weights/signatures.js'
import {ELF, words, words16} from './float-words.js'

const enc = new TextEncoder()
const WIDTH = {f16: 2, bf16: 2, f32: 4, f64: 8} as const
type Kind = keyof typeof WIDTH

/** Trained-looking little-endian bytes of n elements of `dtype`. */
function trainedBytes(dtype: Kind, n: number, seed: number): Uint8Array {
  if (dtype === 'f16' || dtype === 'bf16') return new Uint8Array(words16('trained', n, seed, dtype === 'bf16').buffer)
  if (dtype === 'f32') return new Uint8Array(words('trained', n, seed).buffer)
  const f = new Float64Array(n)
  const src = new Float32Array(words('trained', 2 * n, seed).buffer)
  for (let i = 0; i < n; i++) f[i] = src[i] + src[n + i] * 2 ** -30
  return new Uint8Array(f.buffer)
}

/** Writes `payload` at byte `offset` of the stream of the k lowest bytes of every element. */
function hideAt(bytes: Uint8Array, w: number, k: number, offset: number, payload: Uint8Array): void {
  for (let p = 0; p < payload.length; p++) {
    const o = offset + p
    bytes[Math.floor(o / k) * w + (o % k)] = payload[p]
  }
}

const tensor = (dtype: Kind, bytes: Uint8Array): TensorView => ({
  name: 'w',
  dtype,
  shape: [bytes.length / WIDTH[dtype]],
  byteOffset: 0,
  byteLength: bytes.length,
  data: bytes,
})

const hits = (fs: Finding[], kind: string) => fs.filter((f) => f.id === 'MS-WG001' && (f.evidence as {signature?: string})?.signature === kind).length

/** The payload at stream offset `offset` (k bytes per element) of a trained tensor, found on either path. */
async function assertFound(dtype: Kind, k: number, offset: number, payload: Uint8Array, kind: string): Promise<void> {
  const bytes = trainedBytes(dtype, 20_000, 11 + k + offset)
  hideAt(bytes, WIDTH[dtype], k, offset, payload)
  try {
    for (const kernel of [false, true]) {
      useF32Kernel(kernel)
      assert.ok(hits(await scanTensor(tensor(dtype, bytes)), kind) >= 1, `${dtype} k=${k} offset=${offset} kernel=${kernel}`)
    }
  } finally {
    useF32Kernel(true)
  }
}

describe('adversarial streams: payloads at the limits of the cheap candidate tests', () => {
  // NONE, POP pairs: opcodes a pickle may run before its import, placing it as late as checkPickle looks.
  const filler = (n: number) => Array.from({length: n}, (_, i) => (i % 2 ? 0x30 : 0x4e))
  const unicode = (s: string) => [0x8c, s.length, ...enc.encode(s)]
  // STACK_GLOBAL imports whose opcodes between and after the names sit on stream bytes 94-96: the
  // first 96 bytes end inside the import without ending inside a name.
  const PICKLES: Array<[string, Uint8Array]> = [
    ['MEMOIZE at byte 95', Uint8Array.from([0x80, 4, ...filler(58), ...unicode('multiprocessing.popen_spawn_posix'), 0x94, ...unicode('Popen'), 0x94, 0x93])],
    [
      'MEMOIZE, SHORT_BINUNICODE at bytes 94, 95',
      Uint8Array.from([0x80, 4, ...filler(58), ...unicode('multiprocessing.popen_spawn_posi'), 0x94, ...unicode('Popen'), 0x93]),
    ],
    ['SHORT_BINUNICODE at byte 94', Uint8Array.from([0x80, 4, ...filler(58), ...unicode('multiprocessing.popen_spawn_posi'), ...unicode('Popen'), 0x94, 0x93])],
    [
      'second MEMOIZE at byte 95',
      Uint8Array.from([0x80, 4, ...filler(54), ...unicode('multiprocessing.util'), 0x94, ...unicode('spawnv_passfds'), 0x94, 0x93]),
    ],
  ]
  it('every place the 96-byte quick look can end inside a GLOBAL or STACK_GLOBAL import asks for the longer look', () => {
    const name = (n: number) => 'a'.repeat(n)
    let cases = 0
    for (let lead = 0; lead < 64; lead++) {
      for (let l1 = 1; l1 <= 40; l1++) {
        for (let l2 = 1; l2 <= 40; l2 += 3) {
          const imports = [
            [...unicode(name(l1)), ...unicode(name(l2)), 0x93],
            [...unicode(name(l1)), 0x94, ...unicode(name(l2)), 0x93],
            [...unicode(name(l1)), ...unicode(name(l2)), 0x94, 0x93],
            [...unicode(name(l1)), 0x94, ...unicode(name(l2)), 0x94, 0x93],
            [0x63, ...enc.encode(`${name(l1)}\n${name(l2)}\n`)],
          ]
          for (const imp of imports) {
            const p = Uint8Array.from([0x80, 2, ...filler(lead), ...imp])
            if (p.length <= SIGNATURE_QUICK || !matchSignature(p)) continue
            const quick = p.subarray(0, SIGNATURE_QUICK)
            assert.ok(matchSignature(quick) || wantsMore(quick), `lead ${lead}, names ${l1}/${l2}: ${Array.from(imp.slice(0, 3))}`)
            cases++
          }
        }
      }
    }
    assert.ok(cases > 10_000, `${cases} imports past the quick look`)
  })

  for (const [what, payload] of PICKLES) {
    it(`a pickle whose STACK_GLOBAL has its ${what} in every stream of every float kind`, async () => {
      assert.ok(matchSignature(payload), 'the full check accepts it')
      for (const k of [1, 2, 3, 4]) await assertFound('f32', k, 5000 * k, payload, 'pickle')
      for (const dtype of ['f16', 'bf16'] as const) for (const k of [1, 2]) await assertFound(dtype, k, 5000 * k, payload, 'pickle')
      for (const k of [1, 2, 3, 8]) await assertFound('f64', k, 5000 * k, payload, 'pickle')
    })
  }

  it('an ELF in the low 32, 40, 48 or 56 bits of float64 elements (a float64 mantissa has 52 bits)', async () => {
    for (const k of [4, 5, 6, 7]) {
      await assertFound('f64', k, 3000 * k, ELF, 'elf')
      await assertFound('f64', k, 3000 * k + 10_000 * k, ELF, 'elf')
    }
  })

  it('an ELF in the low 48 bits of float64 elements that starts in one tensor and ends in the next', async () => {
    const a = trainedBytes('f64', 6000, 3)
    const b = trainedBytes('f64', 6000, 4)
    const joined = new Uint8Array(a.length + b.length)
    joined.set(a)
    joined.set(b, a.length)
    // 4 elements (24 stream bytes) in the first tensor: the ELF header continues into the second
    hideAt(joined, 8, 6, (6000 - 4) * 6, ELF)
    const views: TensorView[] = [
      {...tensor('f64', joined.subarray(0, a.length)), name: 'a'},
      {...tensor('f64', joined.subarray(a.length)), name: 'b', byteOffset: a.length},
    ]
    const fs = await crossTensorFindings(views)
    assert.equal(hits(fs, 'elf'), 1, JSON.stringify(fs))
    assert.equal((fs[0].evidence as {stream?: string}).stream, 'low48')
  })

  it('an ELF in the raw bytes of two consecutive float tensors of every kind, across their boundary', async () => {
    for (const dtype of ['f16', 'bf16', 'f32', 'f64'] as const) {
      const a = trainedBytes(dtype, 6000, 5)
      const joined = new Uint8Array(2 * a.length)
      joined.set(a)
      joined.set(trainedBytes(dtype, 6000, 6), a.length)
      // 16 bytes of the 64-byte header in the first tensor: neither tensor holds it whole
      joined.set(ELF.subarray(0, 64), a.length - 16)
      const views: TensorView[] = [
        {...tensor(dtype, joined.subarray(0, a.length)), name: 'a'},
        {...tensor(dtype, joined.subarray(a.length)), name: 'b', byteOffset: a.length},
      ]
      const fs = await crossTensorFindings(views)
      assert.equal(hits(fs, 'elf'), 1, `${dtype}: ${JSON.stringify(fs)}`)
      assert.equal((fs[0].evidence as {stream?: string}).stream, 'raw')
    }
  })
})
