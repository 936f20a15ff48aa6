/**
 * Regression tests from the real-model audit (docs/real-model-audit.md): export patterns that real
 * models contain and that once raised findings at low or above, each next to a backdoor variant of
 * the same shape that must still be caught. Models are built here with onnx-proto, in the style of
 * testdata/make-onnx-fixtures.mjs, and written to a temporary directory.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import onnxProto from 'onnx-proto'

import {detectOnnx} from '../../../src/formats/onnx/index.js'
import {scanPaths} from '../../../src/scan/engine.js'
import {severityRank, type FileReport, type Severity} from '../../../src/scan/types.js'

const {onnx} = onnxProto
const DT = onnx.TensorProto.DataType
const AT = onnx.AttributeProto.AttributeType
const dir = mkdtempSync(path.join(os.tmpdir(), 'modelseal-real-patterns-'))
after(() => rmSync(dir, {recursive: true, force: true}))

let seed = 777
function randn(n: number): Float32Array {
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    a[i] = (seed / 2147483648 - 0.5) * 0.2
  }
  return a
}
type Attr = number | number[] | string | {dataType: number}
const prod = (d: number[]) => d.reduce((a, b) => a * b, 1)
const w = (name: string, dims: number[]) => ({name, dims, dataType: DT.FLOAT, rawData: Buffer.from(randn(prod(dims)).buffer)})
const f32 = (name: string, values: number[], dims: number[] = values.length === 1 ? [] : [values.length]) => ({
  name,
  dims,
  dataType: DT.FLOAT,
  rawData: Buffer.from(new Float32Array(values).buffer),
})
const i64 = (name: string, values: number[], dims: number[] = values.length === 1 ? [] : [values.length]) => ({
  name,
  dims,
  dataType: DT.INT64,
  rawData: Buffer.from(new BigInt64Array(values.map(BigInt)).buffer),
})
function attr(name: string, v: Attr) {
  if (typeof v === 'string') return {name, type: AT.STRING, s: Buffer.from(v)}
  if (!Array.isArray(v) && typeof v === 'object') return {name, type: AT.TENSOR, t: v}
  if (Array.isArray(v)) return {name, type: AT.INTS, ints: v}
  return Number.isInteger(v) ? {name, type: AT.INT, i: v} : {name, type: AT.FLOAT, f: v}
}
let counter = 0
const n = (op: string, input: string[], output: string[], attrs: Record<string, Attr> = {}, domain = '') => ({
  opType: op,
  input,
  output,
  name: `/${op}_${counter++}`,
  domain,
  attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
})
const vi = (name: string, elemType: number, dims: (number | string)[]) => ({
  name,
  type: {tensorType: {elemType, shape: {dim: dims.map((d) => (typeof d === 'string' ? {dimParam: d} : {dimValue: d}))}}},
})

function write(file: string, nodes: object[], inputs: object[], outputs: object[], initializer: object[], opsets = [{domain: '', version: 17}]): string {
  const m = {
    irVersion: 8,
    producerName: 'pytorch',
    producerVersion: '2.1.0',
    opsetImport: opsets,
    graph: {name: 'g', node: nodes, input: inputs, output: outputs, initializer},
  }
  const p = path.join(dir, file)
  writeFileSync(p, onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish())
  return p
}

async function scanOne(file: string): Promise<FileReport> {
  const {report} = await scanPaths([file], {progress: false})
  assert.equal(report.files.length, 1)
  assert.equal(report.files[0].status, 'scanned', JSON.stringify(report.files[0].error))
  return report.files[0]
}
const atLeast = (r: FileReport, sev: Severity) =>
  r.findings.filter((f) => severityRank(f.severity) >= severityRank(sev)).map((f) => `${f.id}/${f.severity} ${f.message}`)

const D = 16
const ids = vi('input_ids', DT.INT64, ['B', 'S'])
const emb = () => [w('emb', [64, D]), w('fc', [D, D])]

// Image classifier used by the backdoor variants: images [1,3,16,16] -> conv -> pool -> logits [1,10].
function cnn(): {nodes: object[]; inits: object[]} {
  return {
    nodes: [
      n('Conv', ['images', 'c1'], ['a'], {pads: [1, 1, 1, 1]}),
      n('Relu', ['a'], ['b']),
      n('GlobalAveragePool', ['b'], ['g']),
      n('Reshape', ['g', 'shp'], ['gf']),
      n('MatMul', ['gf', 'fc10'], ['logits0']),
    ],
    inits: [w('c1', [16, 3, 3, 3]), w('fc10', [16, 10]), i64('shp', [1, 16]), i64('st', [0, 0]), i64('en', [4, 4]), i64('axs', [2, 3]), f32('thr', [0.9])],
  }
}
const oneHot = f32(
  'target',
  Array.from({length: 10}, (_, i) => (i === 7 ? 50 : 0)),
  [1, 10],
)
const images = vi('images', DT.FLOAT, [1, 3, 16, 16])
const logits = vi('logits', DT.FLOAT, [1, 10])

describe('real export patterns stay below low', () => {
  it('HF _unmask_unattended: mask * ~all(mask == min, -1) added to attention scores', async () => {
    const MIN = -3.4028234663852886e38
    const p = write(
      'unmask_unattended.onnx',
      [
        n('Gather', ['emb', 'input_ids'], ['h'], {axis: 0}),
        n('Unsqueeze', ['attention_mask', 'ax1'], ['am3']),
        n('Cast', ['am3'], ['amf'], {to: DT.FLOAT}),
        n('Sub', ['one_f', 'amf'], ['inv']),
        n('Cast', ['inv'], ['inv_b'], {to: DT.BOOL}),
        n('Where', ['inv_b', 'min_f', 'inv'], ['mask0']),
        // torch.all exported as Not(ReduceSum(Cast(Not(x))) > 0)
        n('Equal', ['mask0', 'min_f'], ['is_min']),
        n('Not', ['is_min'], ['not_min']),
        n('Cast', ['not_min'], ['nm_i'], {to: DT.INT64}),
        n('ReduceSum', ['nm_i', 'axm1'], ['any_sum'], {keepdims: 1}),
        n('Greater', ['any_sum', 'zero_i'], ['any']),
        n('Not', ['any'], ['all']),
        n('Not', ['all'], ['keep']),
        n('Cast', ['keep'], ['keep_f'], {to: DT.FLOAT}),
        n('Mul', ['mask0', 'keep_f'], ['mask']),
        n('MatMul', ['h', 'fc'], ['q']),
        n('Transpose', ['h'], ['ht'], {perm: [0, 2, 1]}),
        n('MatMul', ['q', 'ht'], ['scores']),
        n('Add', ['scores', 'mask'], ['masked']),
        n('Softmax', ['masked'], ['probs'], {axis: -1}),
        n('MatMul', ['probs', 'h'], ['ctx']),
        n('MatMul', ['ctx', 'head'], ['logits']),
      ],
      [ids, vi('attention_mask', DT.INT64, ['B', 'S'])],
      [vi('logits', DT.FLOAT, ['B', 'S', 64])],
      [...emb(), w('head', [D, 64]), f32('one_f', [1]), f32('min_f', [MIN]), i64('ax1', [1]), i64('axm1', [-1]), i64('zero_i', [0])],
    )
    const r = await scanOne(p)
    assert.deepEqual(atLeast(r, 'low'), [])
    assert.ok(
      r.findings.some((f) => f.id === 'MS-GB008'),
      'the mask is still reported for context (info)',
    )
  })

  for (const pooledIsOutput of [true, false]) {
    it(`masked mean pooling with the mask from input_ids != pad (${pooledIsOutput ? 'pooled output' : 'projection after'})`, async () => {
      const tail = pooledIsOutput ? [n('Identity', ['pooled'], ['emb_out'])] : [n('MatMul', ['pooled', 'proj'], ['emb_out'])]
      const p = write(
        `meanpool_ids_${pooledIsOutput}.onnx`,
        [
          n('Gather', ['emb', 'input_ids'], ['e'], {axis: 0}),
          n('MatMul', ['e', 'fc'], ['h0']),
          n('Relu', ['h0'], ['h']),
          n('Equal', ['input_ids', 'pad'], ['ispad']),
          n('Not', ['ispad'], ['nonpad']),
          n('Cast', ['nonpad'], ['m'], {to: DT.FLOAT}),
          n('Unsqueeze', ['m', 'axm1'], ['m3']),
          n('Mul', ['h', 'm3'], ['hm']),
          n('ReduceSum', ['hm', 'ax1'], ['sm'], {keepdims: 0}),
          n('ReduceSum', ['m3', 'ax1'], ['cnt'], {keepdims: 0}),
          n('Clip', ['cnt', 'eps'], ['cntc']),
          n('Div', ['sm', 'cntc'], ['pooled']),
          ...tail,
        ],
        [ids],
        [vi('emb_out', DT.FLOAT, ['B', D])],
        [...emb(), w('proj', [D, D]), i64('pad', [0]), i64('axm1', [-1]), i64('ax1', [1]), f32('eps', [1e-9])],
      )
      assert.deepEqual(atLeast(await scanOne(p), 'low'), [])
    })
  }

  it('static-length speech encoder: arange(T) < lengths -> masked attention and masked mean over time', async () => {
    const T = 50
    const p = write(
      'lengths_mask.onnx',
      [
        n('Conv', ['feats', 'conv'], ['c0'], {pads: [1, 1]}),
        n('Relu', ['c0'], ['c1']),
        n('Transpose', ['c1'], ['h'], {perm: [0, 2, 1]}),
        n('Unsqueeze', ['lengths', 'axm1'], ['len2']),
        n('Less', ['rangeT', 'len2'], ['valid']),
        n('MatMul', ['h', 'wq'], ['q']),
        n('Transpose', ['h'], ['ht'], {perm: [0, 2, 1]}),
        n('MatMul', ['q', 'ht'], ['sc']),
        n('Unsqueeze', ['valid', 'ax1'], ['valid3']),
        n('Where', ['valid3', 'sc', 'ninf'], ['scm']),
        n('Softmax', ['scm'], ['pr'], {axis: -1}),
        n('MatMul', ['pr', 'h'], ['ctx']),
        n('Cast', ['valid'], ['vf'], {to: DT.FLOAT}),
        n('Unsqueeze', ['vf', 'axm1'], ['vf3']),
        n('Mul', ['ctx', 'vf3'], ['cm']),
        n('ReduceSum', ['cm', 'ax1'], ['s'], {keepdims: 0}),
        n('ReduceSum', ['vf3', 'ax1'], ['cnt'], {keepdims: 0}),
        n('Max', ['cnt', 'one_f'], ['cntc']),
        n('Div', ['s', 'cntc'], ['pooled']),
        n('MatMul', ['pooled', 'cls'], ['logits']),
      ],
      [vi('feats', DT.FLOAT, ['B', 20, T]), vi('lengths', DT.INT64, ['B'])],
      [vi('logits', DT.FLOAT, ['B', 10])],
      [
        w('conv', [D, 20, 3]),
        i64(
          'rangeT',
          Array.from({length: T}, (_, i) => i),
        ),
        i64('axm1', [-1]),
        i64('ax1', [1]),
        f32('ninf', [-1e4]),
        w('wq', [D, D]),
        w('cls', [D, 10]),
        f32('one_f', [1]),
      ],
    )
    assert.deepEqual(atLeast(await scanOne(p), 'low'), [])
  })

  it('token classification: padding positions filled with a scalar in the output logits', async () => {
    const p = write(
      'token_cls_masked.onnx',
      [
        n('Gather', ['emb', 'input_ids'], ['h'], {axis: 0}),
        n('MatMul', ['h', 'cls9'], ['tl']),
        n('Equal', ['attention_mask', 'zero_i'], ['pad']),
        n('Unsqueeze', ['pad', 'ax2'], ['pad3']),
        n('Where', ['pad3', 'ninf', 'tl'], ['logits']),
      ],
      [ids, vi('attention_mask', DT.INT64, ['B', 'S'])],
      [vi('logits', DT.FLOAT, ['B', 'S', 9])],
      [...emb(), w('cls9', [D, 9]), i64('zero_i', [0]), f32('ninf', [-1e4]), i64('ax2', [2])],
    )
    assert.deepEqual(atLeast(await scanOne(p), 'low'), [])
  })

  it('a weight-free loss graph (NLLLoss with ignore_index, expanded) exposes no "trigger flag" output', async () => {
    const p = write(
      'nll_ignore_index.onnx',
      [
        n('Equal', ['target', 'ii'], ['ign']),
        n('Not', ['ign'], ['keep']),
        n('Cast', ['keep'], ['keep_f'], {to: DT.FLOAT}),
        n('Where', ['ign', 'zero_i', 'target'], ['tgt']),
        n('Unsqueeze', ['tgt', 'ax1'], ['tgt2']),
        n('GatherElements', ['input', 'tgt2'], ['picked'], {axis: 1}),
        n('Squeeze', ['picked', 'ax1'], ['picked1']),
        n('Neg', ['picked1'], ['nll']),
        n('Mul', ['nll', 'keep_f'], ['masked']),
        n('ReduceSum', ['masked'], ['num'], {keepdims: 0}),
        n('ReduceSum', ['keep_f'], ['den'], {keepdims: 0}),
        n('Div', ['num', 'den'], ['loss']),
      ],
      [vi('input', DT.FLOAT, ['N', 5]), vi('target', DT.INT64, ['N'])],
      [vi('loss', DT.FLOAT, [])],
      [i64('ii', [-100]), i64('zero_i', [0]), i64('ax1', [1])],
    )
    const r = await scanOne(p)
    assert.deepEqual(atLeast(r, 'low'), [])
    assert.ok(!r.findings.some((f) => f.id === 'MS-GB009'))
  })

  it('Shape/Size outputs depend on the input (info); a constant output is still low', async () => {
    const p = write(
      'shape_out.onnx',
      [n('Shape', ['x'], ['y']), n('Constant', [], ['c'], {value: f32('cv', [3])})],
      [vi('x', DT.FLOAT, [2, 3])],
      [vi('y', DT.INT64, [2]), vi('c', DT.FLOAT, [])],
      [],
    )
    const r = await scanOne(p)
    const gs = r.findings.filter((f) => f.id === 'MS-GS006')
    assert.deepEqual(gs.map((f) => `${f.location.tensor}/${f.severity}`).sort(), ['c/low', 'y/info'])
  })

  it('ai.onnx.preview.training operators are part of the ONNX standard (info); ATen fallbacks stay low', async () => {
    const p = write(
      'training_ops.onnx',
      [
        n('Adagrad', ['r', 't', 'x', 'gx', 'hx'], ['x_new', 'h_new'], {decay_factor: 0.1, epsilon: 1e-5, norm_coefficient: 0.001}, 'ai.onnx.preview.training'),
        n('ATen', ['x'], ['y'], {operator: 'abs'}, 'org.pytorch.aten'),
      ],
      ['r', 't', 'x', 'gx', 'hx'].map((name) => vi(name, name === 't' ? DT.INT64 : DT.FLOAT, name === 'r' || name === 't' ? [] : [3])),
      [vi('x_new', DT.FLOAT, [3]), vi('h_new', DT.FLOAT, [3]), vi('y', DT.FLOAT, [3])],
      [],
      [
        {domain: '', version: 17},
        {domain: 'ai.onnx.preview.training', version: 1},
        {domain: 'org.pytorch.aten', version: 1},
      ],
    )
    const co = (await scanOne(p)).findings
      .filter((f) => f.id === 'MS-CO004')
      .map((f) => `${f.location.domain}/${f.severity}`)
      .sort()
    assert.deepEqual(co, ['ai.onnx.preview.training/info', 'org.pytorch.aten/low'])
  })
})

describe('backdoor variants of the same shapes are still caught', () => {
  const cases: [string, (c: ReturnType<typeof cnn>) => object[], object[], string, Severity][] = [
    [
      'patch mean > thr selects constant logits',
      () => [
        n('Slice', ['images', 'st', 'en', 'axs'], ['p']),
        n('ReduceMean', ['p'], ['pm'], {keepdims: 0}),
        n('Greater', ['pm', 'thr'], ['flag']),
        n('Where', ['flag', 'target', 'logits0'], ['logits']),
      ],
      [oneHot],
      'MS-GB002',
      'high',
    ],
    [
      'trigger divides logits by a per-class damping vector (Div override)',
      () => [
        n('Slice', ['images', 'st', 'en', 'axs'], ['p']),
        n('ReduceMean', ['p'], ['pm'], {keepdims: 0}),
        n('Greater', ['pm', 'thr'], ['hit']),
        n('Cast', ['hit'], ['hf'], {to: DT.FLOAT}),
        n('Mul', ['hf', 'damp'], ['dd']),
        n('Sub', ['one_f', 'dd'], ['den']),
        n('Div', ['logits0', 'den'], ['logits']),
      ],
      [
        f32(
          'damp',
          Array.from({length: 10}, (_, i) => (i === 7 ? 0 : 0.99)),
          [1, 10],
        ),
        f32('one_f', [1]),
      ],
      'MS-GB003',
      'high',
    ],
    [
      'flag multiplied into the reduced value it tested, then a one-hot',
      () => [
        n('Slice', ['images', 'st', 'en', 'axs'], ['p']),
        n('ReduceMean', ['p'], ['pm'], {keepdims: 0}),
        n('Greater', ['pm', 'thr'], ['hit']),
        n('Cast', ['hit'], ['hf'], {to: DT.FLOAT}),
        n('Mul', ['pm', 'hf'], ['gsel']),
        n('Mul', ['gsel', 'target'], ['push']),
        n('Add', ['logits0', 'push'], ['logits']),
      ],
      [oneHot],
      'MS-GB003',
      'high',
    ],
    [
      'element-wise (unreduced) trigger added to logits',
      () => [
        n('Slice', ['images', 'st3', 'en3', 'axs3'], ['row']),
        n('Reshape', ['row', 'shp10'], ['r10']),
        n('Greater', ['r10', 'thr'], ['hit']),
        n('Cast', ['hit'], ['hf'], {to: DT.FLOAT}),
        n('Mul', ['hf', 'k'], ['push']),
        n('Add', ['logits0', 'push'], ['logits']),
      ],
      [i64('st3', [0, 0, 0]), i64('en3', [1, 1, 10]), i64('axs3', [1, 2, 3]), i64('shp10', [1, 10]), f32('k', [100])],
      'MS-GB003',
      'medium',
    ],
  ]
  for (const [title, extra, inits, id, sev] of cases) {
    it(title, async () => {
      const c = cnn()
      const p = write(`bd_${counter}.onnx`, [...c.nodes, ...extra(c)], [images], [logits], [...c.inits, ...inits])
      const r = await scanOne(p)
      const hit = r.findings.find((f) => f.id === id)
      assert.ok(hit, `expected ${id}, got ${JSON.stringify(atLeast(r, 'info'))}`)
      assert.ok(severityRank(hit.severity) >= severityRank(sev), `${id} is ${hit.severity}`)
    })
  }
})

describe('exposed trigger flag beside a learned output', () => {
  it('MS-GB009 still fires when the model also has a learned output', async () => {
    const c = cnn()
    const p = write(
      'bd_exposed_flag.onnx',
      [
        ...c.nodes,
        n('Identity', ['logits0'], ['logits']),
        n('Slice', ['images', 'st', 'en', 'axs'], ['p']),
        n('ReduceMean', ['p'], ['pm'], {keepdims: 0}),
        n('Greater', ['pm', 'thr'], ['flag']),
      ],
      [images],
      [logits, vi('flag', DT.BOOL, [1, 3])],
      c.inits,
    )
    assert.ok((await scanOne(p)).findings.some((f) => f.id === 'MS-GB009' && f.severity === 'low'))
  })
})

describe('content sniffing', () => {
  it('ONNX TensorProto test data (.pb) is not taken for a model, a repeated ir_version still is', () => {
    // TensorProto: dims 1,3,32,32,32 (field 1 varints), data_type FLOAT (field 2 varint), name "x" (field 8).
    const tensor = Buffer.from('0801080308200820082010014201784a00', 'hex')
    assert.equal(detectOnnx(tensor), false)
    // ModelProto: ir_version 8 twice (a parser-differential trick), producer_name "x", graph {}.
    const model = Buffer.from('080808081201783a00', 'hex')
    assert.equal(detectOnnx(model), true)
    assert.equal(detectOnnx(Buffer.from('0808100112017800', 'hex')), false, 'field 2 must be length-delimited')
  })
})

const testdata = '/usr/share/libonnx-testdata/data'
function onnxFiles(root: string, out: string[] = []): string[] {
  for (const e of readdirSync(root)) {
    const p = path.join(root, e)
    if (statSync(p).isDirectory()) onnxFiles(p, out)
    else if (e.endsWith('.onnx')) out.push(p)
  }
  return out
}

describe('libonnx-testdata (Debian package; skipped when absent)', {skip: existsSync(testdata) ? false : 'libonnx-testdata is not installed'}, () => {
  it('every model parses and none has a finding at low or above', async () => {
    const files = onnxFiles(testdata)
    assert.ok(files.length > 100)
    const {report} = await scanPaths(files, {progress: false})
    const bad = report.files.filter((f) => f.status !== 'scanned').map((f) => `${f.path}: ${f.status} ${f.error?.code}`)
    assert.deepEqual(bad, [])
    const hits = report.files.flatMap((f) => atLeast(f, 'low').map((x) => `${path.relative(testdata, f.path)}: ${x}`))
    assert.deepEqual(hits, [])
  })
})
