import assert from 'node:assert/strict'
import {closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync, writeSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {InputError} from '../../../src/errors.js'
import {
  decodeValues,
  inspectOnnx,
  iterateOnnxTensors,
  lexicalLocationProblem,
  MemorySource,
  openOnnx,
  parseModelSource,
  parseOnnxBuffer,
  resolveExternal,
  walkTensors,
} from '../../../src/formats/onnx/index.js'
import {repoRoot, tempDir} from '../../helpers/cli.js'

// Resolved from the repository root: the test runs compiled from dist/test, the writer stays in testdata/.
const {len, varint} = (await import(
  pathToFileURL(path.join(repoRoot, 'testdata', 'lib', 'protobuf-wire.mjs')).href
)) as typeof import('../../../testdata/lib/protobuf-wire.mjs')

const fx = (name: string) => path.join(repoRoot, 'testdata', 'onnx', name)

describe('ONNX reader', () => {
  it('parses a model: IR, opsets, graph, initializers, shapes', () => {
    const m = parseOnnxBuffer(readFileSync(fx('clean_cnn.onnx')))
    assert.equal(m.irVersion, 8)
    assert.deepEqual(m.opsets, [{domain: '', version: 17}])
    assert.equal(m.graph.nodes.length, 9)
    assert.equal(m.graph.initializers.length, 6)
    assert.deepEqual(m.graph.inputs[0].type?.shape, [1, 3, 16, 16])
    const conv = m.graph.nodes[0]
    assert.equal(conv.opType, 'Conv')
    assert.deepEqual(conv.attributes.find((a) => a.name === 'pads')?.ints, [1, 1, 1, 1])
    assert.equal(m.anomalies.length, 0)
  })

  it('gives tensor bytes as zero-copy views, identical through the windowed reader', () => {
    const buf = readFileSync(fx('clean_cnn.onnx'))
    const m = parseModelSource(new MemorySource(buf))
    const views = [...iterateOnnxTensors(m, new MemorySource(buf), fx('clean_cnn.onnx'))]
    assert.equal(views.length, 6)
    const w = views.find((v) => v.name === 'conv2.weight')!
    assert.equal(w.dtype, 'f32')
    assert.deepEqual(w.shape, [32, 16, 3, 3])
    assert.equal(w.byteLength, 32 * 16 * 9 * 4)
    assert.equal(w.data!.buffer, buf.buffer, 'a view over the file buffer, not a copy')
    const {model, source} = openOnnx(fx('clean_cnn.onnx'), {forceWindowed: true})
    try {
      assert.equal(source.inMemory, false)
      const t = [...walkTensors(model)].find((v) => v.tensor.name === 'conv2.weight')!.tensor
      assert.deepEqual(source.read(t.raw!.offset, t.raw!.length), Buffer.from(w.data!))
      const vals = decodeValues(t, source, 1e6)!
      assert.equal(vals.length, 4608)
      assert.equal(vals[0], w.data ? new Float32Array(new Uint8Array(w.data).slice(0, 4).buffer)[0] : NaN)
    } finally {
      source.close()
    }
  })

  it('finds subgraph and function tensors (Constant nodes, If branches)', () => {
    const m = parseOnnxBuffer(readFileSync(fx('backdoor_if.onnx')))
    const all = [...walkTensors(m)]
    assert.ok(all.some((v) => v.role === 'attribute' && v.graph.path.includes('then_branch')))
    const f = parseOnnxBuffer(readFileSync(fx('backdoor_function.onnx')))
    assert.equal(f.functions.length, 1)
    assert.equal(f.functions[0].domain, 'custom.detect')
    assert.ok([...walkTensors(f)].some((v) => v.graph.path.startsWith('function:custom.detect.TriggerGate')))
  })

  it('rejects empty, truncated and random bytes with InputError codes', () => {
    const cases: [string, string][] = [
      ['empty.onnx', 'E_ONNX_EMPTY'],
      ['truncated.onnx', 'E_ONNX_MALFORMED'],
      ['random.onnx', 'E_ONNX_MALFORMED'],
    ]
    for (const [file, code] of cases) {
      assert.throws(
        () => parseOnnxBuffer(readFileSync(fx(file))),
        (e: unknown) => e instanceof InputError && e.code === code,
        file,
      )
    }
  })

  it('stops If-nesting thousands deep with E_ONNX_TOO_DEEP, not a stack overflow', () => {
    assert.throws(
      () => parseOnnxBuffer(readFileSync(fx('deep_if.onnx'))),
      (e: unknown) => e instanceof InputError && e.code === 'E_ONNX_TOO_DEEP',
    )
  })

  it('records unknown fields and merges a repeated graph record like protobuf does', () => {
    const clean = readFileSync(fx('clean_cnn.onnx'))
    const extraGraph = len(7, len(1, Buffer.concat([len(1, Buffer.from('logits')), len(2, Buffer.from('extra_out')), len(4, Buffer.from('Neg'))])))
    const m = parseOnnxBuffer(Buffer.concat([clean, extraGraph, len(99, Buffer.alloc(100))]))
    assert.equal(m.graph.nodes.length, 10, 'second graph record merged into the first')
    assert.ok(m.anomalies.some((a) => a.kind === 'duplicate-field' && a.field === 7))
    assert.ok(m.anomalies.some((a) => a.kind === 'unknown-field' && a.field === 99))
  })

  it('never crashes on mutated models: parses or throws InputError', () => {
    const clean = readFileSync(fx('backdoor_if.onnx'))
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(clean.length - 1), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 8}),
        fc.nat(clean.length),
        (edits, cut) => {
          const b = Buffer.from(clean.subarray(0, Math.max(1, cut)))
          for (const [pos, val] of edits) if (pos < b.length) b[pos] = val
          try {
            parseOnnxBuffer(b)
          } catch (e) {
            if (!(e instanceof InputError)) throw e
          }
        },
      ),
      {numRuns: 300, seed: 42},
    )
  })

  it('parses a >2 GiB model (sparse file) through the windowed reader without loading the payload', () => {
    const {dir, cleanup} = tempDir()
    try {
      const big = 2 ** 31 + 4096 * 64
      const tensorHead = Buffer.concat([varint(1 * 8), varint(big / 4), varint(2 * 8), varint(1), len(8, Buffer.from('huge')), varint(9 * 8 + 2), varint(big)])
      const tensorLen = tensorHead.length + big
      const initHead = Buffer.concat([varint(5 * 8 + 2), varint(tensorLen), tensorHead])
      const graphLen = initHead.length + big
      const head = Buffer.concat([varint(8), varint(8), varint(7 * 8 + 2), varint(graphLen), initHead])
      const file = path.join(dir, 'huge.onnx')
      const fd = openSync(file, 'w')
      writeSync(fd, head)
      ftruncateSync(fd, head.length + big)
      closeSync(fd)
      const before = process.memoryUsage().rss
      const {model, source} = openOnnx(file)
      try {
        assert.equal(source.inMemory, false)
        const t = model.graph.initializers[0]
        assert.equal(t.name, 'huge')
        assert.equal(t.raw!.length, big)
        assert.equal(model.fileSize, head.length + big)
        assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024, 'payload not loaded')
      } finally {
        source.close()
      }
      assert.equal(inspectOnnx(file).weights.bytes, big)
    } finally {
      cleanup()
    }
  })
})

describe('ONNX external data', () => {
  it('rejects hostile locations lexically, before touching the filesystem', () => {
    for (const loc of ['/etc/passwd', '../x.bin', 'a/../../x', 'C:\\Windows\\x', 'c:x', '\\\\host\\share\\x', '//host/share', 'a\0b', '', 'a\\..\\..\\x']) {
      assert.equal(lexicalLocationProblem(loc)?.kind, 'escape', loc)
    }
    assert.equal(lexicalLocationProblem('*/_ORT_MEM_ADDR_/*')?.kind, 'ort-memory')
    assert.equal(lexicalLocationProblem('weights/model.bin'), undefined)
  })

  it('resolves a safe reference and flags symlinks that leave the model directory', () => {
    const {dir, cleanup} = tempDir()
    try {
      const modelDir = path.join(dir, 'model')
      mkdirSync(modelDir)
      writeFileSync(path.join(dir, 'secret.bin'), Buffer.alloc(1280))
      writeFileSync(path.join(modelDir, 'ok.bin'), Buffer.alloc(1280))
      symlinkSync(path.join(dir, 'secret.bin'), path.join(modelDir, 'link.bin'))
      symlinkSync('ok.bin', path.join(modelDir, 'inner.bin'))
      const t = (location: string, extra: {key: string; value: string}[] = []) => ({
        name: 'w',
        dataType: 1,
        dims: [32, 10],
        strings: [],
        metadata: [],
        where: 'main',
        dataLocation: 1,
        external: [{key: 'location', value: location}, ...extra],
      })
      const ok = resolveExternal(t('ok.bin'), modelDir)
      assert.deepEqual(ok.problems, [])
      assert.ok(ok.file?.endsWith('ok.bin'))
      assert.equal(resolveExternal(t('inner.bin'), modelDir).problems.length, 0, 'a symlink staying inside is fine')
      const link = resolveExternal(t('link.bin'), modelDir)
      assert.equal(link.problems[0].kind, 'link')
      assert.equal(link.file, undefined, 'never resolved for reading')
      assert.equal(resolveExternal(t('ok.bin', [{key: 'offset', value: '-1'}]), modelDir).problems[0].kind, 'bounds')
      assert.equal(resolveExternal(t('ok.bin', [{key: 'length', value: '99999'}]), modelDir).problems[0].kind, 'bounds')
      assert.equal(resolveExternal(t('ok.bin', [{key: 'evil', value: '1'}]), modelDir).problems[0].kind, 'keys')
      assert.equal(resolveExternal(t('gone.bin'), modelDir).problems[0].kind, 'missing')
    } finally {
      cleanup()
    }
  })
})
