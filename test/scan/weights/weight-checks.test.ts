import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {TensorView} from '../../../src/formats/tensor.js'
import {accumulateRange, floatTensorStats, scanTensor} from '../../../src/scan/weights/scan-tensor.js'
import {floatFindings, mergePartials} from '../../../src/scan/weights/tensor-findings.js'
import {scanTensors} from '../../../src/scan/weights/pool.js'
import {THREAD_CHUNK_BYTES} from '../../../src/scan/weights/worker.js'
import {WorkerEngine} from '../../../src/workers/engine.js'
import {repoRoot, tempDir} from '../../helpers/cli.js'
import {rng} from '../../helpers/random.js'

const fx = (n: string) => path.join(repoRoot, 'testdata', 'weights', n)
const ELF = readFileSync(fx('tiny.elf'))

function gaussian(n: number, seed: number, scale = 0.02): Float32Array {
  const r = rng(seed)
  const f = new Float32Array(n)
  for (let i = 0; i < n; i++) f[i] = Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r()) * scale
  return f
}

function hideLow(f: Float32Array, payload: Uint8Array, k: number, at: number): Float32Array {
  const b = new Uint8Array(f.buffer)
  let p = 0
  for (let e = at; p < payload.length && e < f.length; e++) for (let j = 0; j < k && p < payload.length; j++) b[e * 4 + j] = payload[p++]
  return f
}

const view = (name: string, f: Float32Array | Uint16Array, dtype: TensorView['dtype'] = 'f32', byteOffset = 1000): TensorView => ({
  name,
  dtype,
  shape: [f.length],
  byteOffset,
  byteLength: f.byteLength,
  data: new Uint8Array(f.buffer, f.byteOffset, f.byteLength),
})

describe('weight checks on float tensors', () => {
  it('finds nothing in clean gaussian weights, and really evaluated their windows', async () => {
    const t = view('enc.weight', gaussian(40_000, 1))
    assert.deepEqual(await scanTensor(t), [])
    const st = (await floatTensorStats(t))!
    assert.ok(st.windowsEvaluated >= 18, `windows evaluated: ${st.windowsEvaluated}`)
    assert.ok(st.minEntropy > 7.4, `clean min entropy ${st.minEntropy}`)
    assert.ok(st.maxPrintable < 0.45)
  })

  for (const k of [1, 2, 3]) {
    it(`finds an ELF hidden in the ${k} low byte(s) of float32 weights, with its byte range`, async () => {
      const at = 777
      const t = view('payload.weight', hideLow(gaussian(20_000, 2 + k), ELF, k, at))
      const fs = await scanTensor(t)
      const sig = fs.find((f) => f.id === 'MS-WG001')
      assert.ok(sig, JSON.stringify(fs))
      assert.equal(sig.severity, 'high')
      assert.equal(sig.category, 'embedded-payload')
      assert.equal(sig.location.tensor, 'payload.weight')
      assert.equal(sig.location.byteStart, 1000 + at * 4)
      assert.equal(sig.evidence?.stream, k === 1 ? 'b0' : k === 2 ? 'low16' : 'low24')
      assert.equal(sig.evidence?.signature, 'elf')
    })
  }

  it('gives the same statistics whatever the chunking and partial split (merge is exact)', async () => {
    const f = hideLow(gaussian(50_000, 9), ELF, 1, 4000)
    f[123] = Number.NaN
    const bytes = new Uint8Array(f.buffer)
    const read = (pos: number, len: number) => bytes.subarray(pos, Math.min(bytes.length, pos + len))
    const t = view('w.weight', f)
    const whole = floatFindings(t, mergePartials([await accumulateRange('f32', read, 0, f.length)]))
    const tiny = floatFindings(t, mergePartials([await accumulateRange('f32', read, 0, f.length, 4100)]))
    const split = floatFindings(
      t,
      mergePartials([
        await accumulateRange('f32', read, 0, 2048 * 5),
        await accumulateRange('f32', read, 2048 * 5, 2048 * 11),
        await accumulateRange('f32', read, 2048 * 11, f.length),
      ]),
    )
    assert.ok(whole.some((x) => x.id === 'MS-WG001') && whole.some((x) => x.id === 'MS-WG004'))
    assert.deepEqual(tiny, whole)
    assert.deepEqual(split, whole)
  })

  it('flags text hidden in the lowest byte by window statistics alone (no signature)', async () => {
    const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog; '.repeat(200))
    const fs = await scanTensor(view('dec.weight', hideLow(gaussian(30_000, 5), text, 1, 3000)))
    const w = fs.find((f) => f.id === 'MS-WG002')
    assert.ok(w, JSON.stringify(fs))
    assert.equal(w.severity, 'high')
    assert.ok((w.location.byteStart as number) <= 1000 + 3000 * 4 + 8192 * 4)
    assert.ok(!fs.some((f) => f.id === 'MS-WG001'))
  })

  it('does not mistake pruned (exact-zero) weights or a stray MZ for a payload', async () => {
    const f = gaussian(40_000, 6)
    for (let i = 0; i < f.length; i += 2) f[i] = 0
    const b = new Uint8Array(f.buffer)
    b[4 * 101] = 0x4d
    b[4 * 102] = 0x5a // "MZ" in the b0 stream, nothing else
    assert.deepEqual(await scanTensor(view('pruned.weight', f)), [])
  })

  it('reports NaN/Inf as medium, and a 0/-inf mask as info', async () => {
    const f = gaussian(5000, 7)
    f[3] = Number.NaN
    f[4] = Number.NEGATIVE_INFINITY
    const fs = await scanTensor(view('h.weight', f))
    assert.deepEqual(
      fs.map((x) => [x.id, x.severity, x.category]),
      [['MS-WG004', 'medium', 'non-finite-weights']],
    )
    assert.equal(fs[0].evidence?.nan, 1)
    const mask = new Float32Array(4096).map((_, i) => (i % 3 ? 0 : Number.NEGATIVE_INFINITY))
    assert.deepEqual(
      (await scanTensor(view('mask', mask))).map((x) => [x.id, x.severity]),
      [['MS-WG004', 'info']],
    )
  })

  it('flags non-canonical NaN payloads as high', async () => {
    const f = gaussian(5000, 8)
    const u = new Uint32Array(f.buffer)
    for (let i = 0; i < 40; i++) u[100 + i] = 0x7f800000 | (0x100 + i)
    const fs = await scanTensor(view('n.weight', f))
    assert.equal(fs.find((x) => x.id === 'MS-WG004')?.severity, 'high')
  })

  it('finds non-zero low bits in an fp16 up-cast tensor (even a random payload)', async () => {
    const f = gaussian(32_768, 11)
    const u = new Uint32Array(f.buffer)
    for (let i = 0; i < u.length; i++) u[i] &= 0xffffe000
    assert.deepEqual(await scanTensor(view('up.weight', f)), [])
    const r = rng(3)
    for (let i = 8192; i < 8192 + 2048; i++) u[i] |= Math.floor(r() * 0x1fff)
    const fs = await scanTensor(view('up.weight', f))
    const w = fs.find((x) => x.id === 'MS-WG003')
    assert.ok(w, JSON.stringify(fs))
    assert.equal(w.severity, 'medium')
    assert.equal(w.location.byteStart, 1000 + 8192 * 4)
    assert.equal(w.location.byteEnd, 1000 + (8192 + 2048) * 4)
  })

  it('reports extreme magnitudes and constant tensors at low/info only', async () => {
    const f = gaussian(5000, 12)
    f[9] = 5e5
    assert.deepEqual(
      (await scanTensor(view('fc.weight', f))).map((x) => [x.id, x.severity]),
      [['MS-WG005', 'low']],
    )
    assert.deepEqual(
      (await scanTensor(view('buf', f))).map((x) => x.id),
      [],
    )
    assert.deepEqual(
      (await scanTensor(view('fc.weight', new Float32Array(5000)))).map((x) => [x.id, x.severity]),
      [['MS-WG007', 'info']],
    )
    assert.deepEqual(await scanTensor(view('ln.bias', new Float32Array(5000))), [])
  })

  it('checks f16 and bf16 tensors (NaN, payload in the low byte)', async () => {
    const h = new Uint16Array(8192)
    const r = rng(4)
    for (let i = 0; i < h.length; i++) h[i] = 0x2000 + Math.floor(r() * 0x1000)
    assert.deepEqual(await scanTensor(view('e.weight', h, 'f16')), [])
    h[5] = 0x7fc0
    const lo = new Uint8Array(h.buffer)
    for (let i = 0; i < ELF.length; i++) lo[(100 + i) * 2] = ELF[i]
    const ids = (await scanTensor(view('e.weight', h, 'bf16'))).map((x) => x.id)
    assert.ok(ids.includes('MS-WG001'), ids.join())
    assert.ok(ids.includes('MS-WG004'), ids.join())
  })

  it('searches raw bytes of integer tensors at every offset', async () => {
    const b = new Uint8Array(10_000)
    b.set(ELF, 333)
    const fs = await scanTensor({name: 'blob', dtype: 'u8', shape: [b.length], byteOffset: 50, byteLength: b.length, data: b})
    assert.deepEqual(
      fs.map((x) => [x.id, x.location.byteStart]),
      [['MS-WG001', 383]],
    )
  })

  it('worker threads read jobs in small synchronous chunks: payloads across chunk and job borders give the findings of a plain scan', async () => {
    const {dir, cleanup} = tempDir()
    try {
      // 1.5 M elements; worker chunks hold THREAD_CHUNK_BYTES / 4 elements, jobs 2 MiB (4 chunks)
      const c = THREAD_CHUNK_BYTES / 4
      const job = (2 << 20) / 4
      let f = gaussian(1_500_000, 29)
      f = hideLow(f, ELF, 1, c - 1) // 0x7f | 'E' in the lowest bytes of the last and first elements of two chunks
      f = hideLow(f, ELF, 2, 2 * c - 7)
      f = hideLow(f, ELF, 1, job - 1) // across a job border
      f = hideLow(f, ELF, 1, job + 3 * c - 2)
      const file = path.join(dir, 'w.bin')
      writeFileSync(file, new Uint8Array(f.buffer))
      const t: TensorView = {name: 'big.weight', dtype: 'f32', shape: [f.length], byteOffset: 0, byteLength: f.byteLength, file}
      const single = await scanTensors([t], {workers: 1})
      assert.ok(
        single.some((x) => x.id === 'MS-WG001'),
        single.map((x) => x.id).join(),
      )
      const engine = new WorkerEngine({workers: 2})
      try {
        const offMain = await scanTensors([t], {engine, minPoolBytes: 0, jobBytes: 2 << 20, inFlight: 1, mainLane: false})
        assert.deepEqual(offMain, single)
        assert.equal(engine.stats.tasksOnMainLane, 0)
        // a file shorter than its tensor (it changed, or lies): the worker's read ends early and the scan fails
        writeFileSync(file, new Uint8Array(f.buffer, 0, f.byteLength - (3 << 20)))
        await assert.rejects(scanTensors([t], {engine, minPoolBytes: 0, jobBytes: 2 << 20, inFlight: 1, mainLane: false}), /end early/)
      } finally {
        await engine.close()
      }
    } finally {
      cleanup()
    }
  })

  it('spreads file-backed tensors over worker threads with identical findings', async () => {
    const {dir, cleanup} = tempDir()
    try {
      const f = hideLow(gaussian(200_000, 13), ELF, 2, 150_000)
      const file = path.join(dir, 'w.bin')
      writeFileSync(file, new Uint8Array(f.buffer))
      const t: TensorView = {name: 'big.weight', dtype: 'f32', shape: [f.length], byteOffset: 0, byteLength: f.byteLength, file}
      const u: TensorView = {name: 'tail', dtype: 'u8', shape: [f.byteLength], byteOffset: 0, byteLength: f.byteLength, file}
      const single = await scanTensors([t, u], {workers: 1})
      const pooled = await scanTensors([t, u], {workers: 2, minPoolBytes: 0, jobBytes: 64 * 1024})
      assert.ok(single.some((x) => x.id === 'MS-WG001'))
      assert.deepEqual(pooled, single)
      // sign --scan-attestation: one job at a time, worker threads only (the main thread hashes)
      const engine = new WorkerEngine({workers: 2})
      try {
        const offMain = await scanTensors([t, u], {engine, minPoolBytes: 0, jobBytes: 64 * 1024, inFlight: 1, mainLane: false})
        assert.deepEqual(offMain, single)
        assert.equal(engine.stats.tasksOnMainLane, 0)
        assert.equal(engine.stats.workersStarted, 1)
        assert.ok(engine.stats.tasksRun > 4)
      } finally {
        await engine.close()
      }
    } finally {
      cleanup()
    }
  })
})
