/**
 * A hand-written, bounded ONNX (proto2) reader over the field table of docs/design-notes.md §3.
 * Why not a generated codec: protobufjs 7+/8 rejects lengths >= 2^31 and every codec copies or
 * holds the whole file; this reader keeps tensor payloads as (offset, length) spans, reads big
 * files through a window, mirrors protobuf merge semantics and records the encoding anomalies
 * (unknown fields, repeated singular fields) that make parser differentials possible.
 */
import {InputError} from '../../errors.js'
import {MemorySource, openSource, type ByteSource} from './source.js'
import type {
  ByteSpan,
  KeyValue,
  OnnxAttribute,
  OnnxFunction,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxOpset,
  OnnxSparseTensor,
  OnnxTensor,
  OnnxTypeInfo,
  OnnxValueInfo,
  ParseAnomaly,
  TextField,
  TypedField,
} from './types.js'
import {Cursor, malformed, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT} from './wire.js'

/** Graph nesting (If/Loop/Scan bodies, GRAPH attributes) beyond this is rejected (protobuf-C++ stops at 100). */
export const MAX_GRAPH_DEPTH = 64
export const MAX_TYPE_DEPTH = 32
export const MAX_NODES = 5_000_000
export const MAX_TENSORS = 5_000_000
export const MAX_DIMS = 1024
/** Names longer than this are rejected; free text (doc strings, metadata) is kept up to TEXT_KEEP bytes. */
export const MAX_NAME_BYTES = 1024 * 1024
export const TEXT_KEEP = 1024 * 1024
/** Unpacked repeated scalars / list attributes kept per field. */
export const MAX_LIST_VALUES = 16 * 1024 * 1024
export const MAX_ANOMALIES = 1000

interface Ctx {
  src: ByteSource
  anomalies: ParseAnomaly[]
  counts: OnnxModel['counts']
  values: number
}

function anomaly(ctx: Ctx, a: ParseAnomaly): void {
  if (ctx.anomalies.length < MAX_ANOMALIES) ctx.anomalies.push(a)
}

function unknown(ctx: Ctx, cur: Cursor, msg: string, field: number, wire: number): void {
  const at = cur.pos
  const size = cur.skip(wire)
  anomaly(ctx, {kind: 'unknown-field', message: `${msg}: unknown field ${field} (wire ${wire}, ${size} bytes)`, field, offset: at, size})
}

function mismatch(ctx: Ctx, cur: Cursor, msg: string, field: number, wire: number): void {
  const at = cur.pos
  const size = cur.skip(wire)
  anomaly(ctx, {kind: 'wire-type-mismatch', message: `${msg}: field ${field} has wire type ${wire}`, field, offset: at, size})
}

function duplicate(ctx: Ctx, msg: string, field: number, offset: number, size: number): void {
  anomaly(ctx, {kind: 'duplicate-field', message: `${msg}: singular field ${field} occurs more than once (protobuf merges/overrides it)`, field, offset, size})
}

function name(cur: Cursor): string {
  const span = cur.len()
  if (span.length > MAX_NAME_BYTES) throw malformed(`string of ${span.length} bytes at ${span.offset}`)
  return cur.text(span.offset, span.length)
}

function text(cur: Cursor): TextField {
  const span = cur.len()
  const keep = Math.min(span.length, TEXT_KEEP)
  return {text: cur.text(span.offset, keep), length: span.length, offset: span.offset}
}

function pushValue(ctx: Ctx, list: number[], v: number): void {
  if (list.length >= MAX_LIST_VALUES || ++ctx.values > 4 * MAX_LIST_VALUES) throw malformed('too many repeated values')
  list.push(v)
}

/** Repeated varint field, packed (LEN) or not. */
function repeatedVarint(ctx: Ctx, cur: Cursor, wire: number, out: number[], signed: boolean): void {
  if (wire === WIRE_VARINT) return pushValue(ctx, out, signed ? cur.int64() : cur.varint())
  const sub = cur.sub(cur.len())
  while (!sub.eof()) pushValue(ctx, out, signed ? sub.int64() : sub.varint())
}

function repeatedFloat(ctx: Ctx, cur: Cursor, wire: number, out: number[]): void {
  if (wire === WIRE_FIXED32) return pushValue(ctx, out, cur.fixed32Float())
  const sub = cur.sub(cur.len())
  if ((sub.end - sub.pos) % 4 !== 0) throw malformed('packed float length not a multiple of 4')
  while (!sub.eof()) pushValue(ctx, out, sub.fixed32Float())
}

function kv(ctx: Ctx, cur: Cursor): KeyValue {
  const out: KeyValue = {key: '', value: ''}
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_LEN) out.key = text(cur).text
    else if (f === 2 && w === WIRE_LEN) out.value = text(cur).text
    else unknown(ctx, cur, 'StringStringEntryProto', f, w)
  }
  return out
}

function opset(ctx: Ctx, cur: Cursor): OnnxOpset {
  const out: OnnxOpset = {domain: '', version: 0}
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_LEN) out.domain = name(cur)
    else if (f === 2 && w === WIRE_VARINT) out.version = cur.int64()
    else unknown(ctx, cur, 'OperatorSetIdProto', f, w)
  }
  return out
}

const TYPED: Record<number, TypedField> = {4: 'float', 5: 'int32', 7: 'int64', 10: 'double', 11: 'uint64'}

export function parseTensor(ctx: Ctx, cur: Cursor, where: string): OnnxTensor {
  if (++ctx.counts.tensors > MAX_TENSORS) throw new InputError('E_ONNX_LIMIT', `more than ${MAX_TENSORS} tensors`)
  const t: OnnxTensor = {name: '', dataType: 0, dims: [], strings: [], external: [], dataLocation: 0, metadata: [], where}
  let rawSeen = false
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    const typed = TYPED[f]
    if (f === 1 && (w === WIRE_VARINT || w === WIRE_LEN)) {
      repeatedVarint(ctx, cur, w, t.dims, true)
      if (t.dims.length > MAX_DIMS) throw malformed(`tensor with more than ${MAX_DIMS} dims`)
    } else if (f === 2 && w === WIRE_VARINT) t.dataType = cur.int64()
    else if (f === 8 && w === WIRE_LEN) t.name = name(cur)
    else if (f === 9 && w === WIRE_LEN) {
      const at = cur.pos
      t.raw = cur.len()
      if (rawSeen) duplicate(ctx, `TensorProto ${t.name}`, 9, at, t.raw.length)
      rawSeen = true
    } else if (typed && (w === WIRE_LEN || w === WIRE_VARINT || w === WIRE_FIXED32 || w === WIRE_FIXED64)) {
      t.typed ??= {field: typed, spans: [], values: []}
      if (w === WIRE_LEN) t.typed.spans.push(cur.len())
      else if (w === WIRE_FIXED32) pushValue(ctx, t.typed.values, cur.fixed32Float())
      else if (w === WIRE_FIXED64) pushValue(ctx, t.typed.values, cur.fixed64Double())
      else pushValue(ctx, t.typed.values, cur.int64())
    } else if (f === 6 && w === WIRE_LEN) {
      if (t.strings.length >= MAX_LIST_VALUES) throw malformed('too many string_data entries')
      t.strings.push(cur.len())
    } else if (f === 13 && w === WIRE_LEN) t.external.push(kv(ctx, cur.sub(cur.len())))
    else if (f === 14 && w === WIRE_VARINT) t.dataLocation = cur.int64()
    else if (f === 12 && w === WIRE_LEN) t.docString = text(cur)
    else if (f === 16 && w === WIRE_LEN) t.metadata.push(kv(ctx, cur.sub(cur.len())))
    else if (f === 3 && w === WIRE_LEN)
      cur.len() // segment: chunked tensors, no payload of its own
    else if (f <= 16) mismatch(ctx, cur, 'TensorProto', f, w)
    else unknown(ctx, cur, 'TensorProto', f, w)
  }
  return t
}

function parseSparse(ctx: Ctx, cur: Cursor, where: string): OnnxSparseTensor {
  const s: OnnxSparseTensor = {dims: []}
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_LEN) s.values = parseTensor(ctx, cur.sub(cur.len()), where)
    else if (f === 2 && w === WIRE_LEN) s.indices = parseTensor(ctx, cur.sub(cur.len()), where)
    else if (f === 3 && (w === WIRE_VARINT || w === WIRE_LEN)) repeatedVarint(ctx, cur, w, s.dims, true)
    else unknown(ctx, cur, 'SparseTensorProto', f, w)
  }
  return s
}

function parseShape(ctx: Ctx, cur: Cursor): (number | string | null)[] {
  const dims: (number | string | null)[] = []
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_LEN) {
      const d = cur.sub(cur.len())
      let v: number | string | null = null
      while (!d.eof()) {
        const [df, dw] = d.tag()
        if (df === 1 && dw === WIRE_VARINT) v = d.int64()
        else if (df === 2 && dw === WIRE_LEN) v = name(d)
        else d.skip(dw)
      }
      if (dims.length >= MAX_DIMS) throw malformed('shape with too many dims')
      dims.push(v)
    } else unknown(ctx, cur, 'TensorShapeProto', f, w)
  }
  return dims
}

function parseType(ctx: Ctx, cur: Cursor, depth: number): OnnxTypeInfo {
  if (depth > MAX_TYPE_DEPTH) throw new InputError('E_ONNX_TOO_DEEP', `type nesting deeper than ${MAX_TYPE_DEPTH}`)
  const t: OnnxTypeInfo = {kind: 'unknown'}
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (w !== WIRE_LEN) {
      cur.skip(w)
      continue
    }
    const sub = cur.sub(cur.len())
    if (f === 1 || f === 8) {
      t.kind = f === 1 ? 'tensor' : 'sparse_tensor'
      while (!sub.eof()) {
        const [tf, tw] = sub.tag()
        if (tf === 1 && tw === WIRE_VARINT) t.elemType = sub.int64()
        else if (tf === 2 && tw === WIRE_LEN) t.shape = parseShape(ctx, sub.sub(sub.len()))
        else sub.skip(tw)
      }
    } else if (f === 4 || f === 9 || f === 5) {
      t.kind = f === 4 ? 'sequence' : f === 9 ? 'optional' : 'map'
      while (!sub.eof()) {
        const [, tw] = sub.tag()
        if (tw === WIRE_LEN) parseType(ctx, sub.sub(sub.len()), depth + 1)
        else sub.skip(tw)
      }
    } else if (f === 7) t.kind = 'opaque'
  }
  return t
}

function parseValueInfo(ctx: Ctx, cur: Cursor): OnnxValueInfo {
  const v: OnnxValueInfo = {name: '', metadata: []}
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_LEN) v.name = name(cur)
    else if (f === 2 && w === WIRE_LEN) v.type = parseType(ctx, cur.sub(cur.len()), 0)
    else if (f === 3 && w === WIRE_LEN) v.docString = text(cur)
    else if (f === 4 && w === WIRE_LEN) v.metadata.push(kv(ctx, cur.sub(cur.len())))
    else unknown(ctx, cur, 'ValueInfoProto', f, w)
  }
  return v
}

function parseAttribute(ctx: Ctx, cur: Cursor, where: string, depth: number): OnnxAttribute {
  const a: OnnxAttribute = {name: '', type: 0, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: []}
  const sub = (label: string) => `${where}.${a.name || label}`
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_LEN) a.name = name(cur)
    else if (f === 20 && w === WIRE_VARINT) a.type = cur.int64()
    else if (f === 21 && w === WIRE_LEN) a.refAttrName = name(cur)
    else if (f === 13 && w === WIRE_LEN) a.docString = text(cur)
    else if (f === 2 && w === WIRE_FIXED32) a.f = cur.fixed32Float()
    else if (f === 3 && w === WIRE_VARINT) a.i = cur.int64()
    else if (f === 4 && w === WIRE_LEN) a.s = text(cur)
    else if (f === 5 && w === WIRE_LEN) a.t = parseTensor(ctx, cur.sub(cur.len()), sub('t'))
    else if (f === 6 && w === WIRE_LEN) {
      if (a.g) duplicate(ctx, 'AttributeProto', 6, cur.pos, 0)
      a.g = parseGraph(ctx, cur.sub(cur.len()), sub('g'), depth + 1)
    } else if (f === 22 && w === WIRE_LEN) a.sparseTensor = parseSparse(ctx, cur.sub(cur.len()), sub('sparse'))
    else if (f === 14 && w === WIRE_LEN)
      cur.len() // TypeProto attribute: no payload
    else if (f === 7 && (w === WIRE_FIXED32 || w === WIRE_LEN)) repeatedFloat(ctx, cur, w, a.floats)
    else if (f === 8 && (w === WIRE_VARINT || w === WIRE_LEN)) repeatedVarint(ctx, cur, w, a.ints, true)
    else if (f === 9 && w === WIRE_LEN) {
      if (a.strings.length >= MAX_LIST_VALUES) throw malformed('too many strings')
      a.strings.push(text(cur))
    } else if (f === 10 && w === WIRE_LEN) a.tensors.push(parseTensor(ctx, cur.sub(cur.len()), sub('tensors')))
    else if (f === 11 && w === WIRE_LEN) a.graphs.push(parseGraph(ctx, cur.sub(cur.len()), `${sub('graphs')}[${a.graphs.length}]`, depth + 1))
    else if (f === 23 && w === WIRE_LEN) a.sparseTensors.push(parseSparse(ctx, cur.sub(cur.len()), sub('sparse_tensors')))
    else if (f === 15 && w === WIRE_LEN) cur.len()
    else if (f <= 23) mismatch(ctx, cur, 'AttributeProto', f, w)
    else unknown(ctx, cur, 'AttributeProto', f, w)
  }
  return a
}

function nodeLabel(n: OnnxNode, index: number): string {
  return n.name || `${n.opType || 'node'}#${index}`
}

function parseNode(ctx: Ctx, cur: Cursor, graphPath: string, index: number, depth: number): OnnxNode {
  if (++ctx.counts.nodes > MAX_NODES) throw new InputError('E_ONNX_LIMIT', `more than ${MAX_NODES} nodes`)
  const n: OnnxNode = {inputs: [], outputs: [], name: '', opType: '', domain: '', overload: '', attributes: [], metadata: []}
  const attrSpans: ByteSpan[] = []
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_LEN) n.inputs.push(name(cur))
    else if (f === 2 && w === WIRE_LEN) n.outputs.push(name(cur))
    else if (f === 3 && w === WIRE_LEN) n.name = name(cur)
    else if (f === 4 && w === WIRE_LEN) n.opType = name(cur)
    else if (f === 7 && w === WIRE_LEN) n.domain = name(cur)
    else if (f === 8 && w === WIRE_LEN) n.overload = name(cur)
    else if (f === 5 && w === WIRE_LEN) attrSpans.push(cur.len())
    else if (f === 6 && w === WIRE_LEN) n.docString = text(cur)
    else if (f === 9 && w === WIRE_LEN) n.metadata.push(kv(ctx, cur.sub(cur.len())))
    else if (f === 10 && w === WIRE_LEN) cur.len()
    else if (f <= 10) mismatch(ctx, cur, 'NodeProto', f, w)
    else unknown(ctx, cur, 'NodeProto', f, w)
  }
  if (attrSpans.length === 0) return n
  // Attributes last, so subgraph paths can use the node's name wherever it appeared.
  const where = `${graphPath}/${nodeLabel(n, index)}`
  for (const span of attrSpans) n.attributes.push(parseAttribute(ctx, new Cursor(ctx.src, span.offset, span.offset + span.length), where, depth))
  return n
}

function emptyGraph(path: string, depth: number): OnnxGraph {
  return {name: '', path, depth, nodes: [], initializers: [], sparseInitializers: [], inputs: [], outputs: [], valueInfo: [], metadata: []}
}

export function parseGraph(ctx: Ctx, cur: Cursor, path: string, depth: number, into?: OnnxGraph): OnnxGraph {
  if (depth > MAX_GRAPH_DEPTH) {
    throw new InputError('E_ONNX_TOO_DEEP', `graphs nested deeper than ${MAX_GRAPH_DEPTH} levels (at ${path.slice(0, 200)}…)`)
  }
  ctx.counts.graphs++
  ctx.counts.maxDepth = Math.max(ctx.counts.maxDepth, depth)
  const g = into ?? emptyGraph(path, depth)
  const nodeSpans: ByteSpan[] = []
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_LEN) nodeSpans.push(cur.len())
    else if (f === 2 && w === WIRE_LEN) g.name = name(cur)
    else if (f === 5 && w === WIRE_LEN) g.initializers.push(parseTensor(ctx, cur.sub(cur.len()), `${path}:initializer`))
    else if (f === 15 && w === WIRE_LEN) g.sparseInitializers.push(parseSparse(ctx, cur.sub(cur.len()), `${path}:sparse_initializer`))
    else if (f === 10 && w === WIRE_LEN) g.docString = text(cur)
    else if (f === 11 && w === WIRE_LEN) g.inputs.push(parseValueInfo(ctx, cur.sub(cur.len())))
    else if (f === 12 && w === WIRE_LEN) g.outputs.push(parseValueInfo(ctx, cur.sub(cur.len())))
    else if (f === 13 && w === WIRE_LEN) g.valueInfo.push(parseValueInfo(ctx, cur.sub(cur.len())))
    else if (f === 14 && w === WIRE_LEN) cur.len()
    else if (f === 16 && w === WIRE_LEN) g.metadata.push(kv(ctx, cur.sub(cur.len())))
    else if (f <= 16) mismatch(ctx, cur, 'GraphProto', f, w)
    else unknown(ctx, cur, 'GraphProto', f, w)
  }
  const base = g.nodes.length
  for (let i = 0; i < nodeSpans.length; i++) {
    const s = nodeSpans[i]
    g.nodes.push(parseNode(ctx, new Cursor(ctx.src, s.offset, s.offset + s.length), path, base + i, depth))
  }
  return g
}

function parseFunction(ctx: Ctx, cur: Cursor): OnnxFunction {
  const fn: OnnxFunction = {
    name: '',
    domain: '',
    overload: '',
    inputs: [],
    outputs: [],
    attributes: [],
    nodes: [],
    opsets: [],
    metadata: [],
    body: emptyGraph('', 1),
  }
  const nodeSpans: ByteSpan[] = []
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_LEN) fn.name = name(cur)
    else if (f === 4 && w === WIRE_LEN) fn.inputs.push(name(cur))
    else if (f === 5 && w === WIRE_LEN) fn.outputs.push(name(cur))
    else if (f === 6 && w === WIRE_LEN) fn.attributes.push(name(cur))
    else if (f === 11 && w === WIRE_LEN)
      cur.len() // attribute defaults: no tensors worth scanning separately
    else if (f === 7 && w === WIRE_LEN) nodeSpans.push(cur.len())
    else if (f === 8 && w === WIRE_LEN) fn.docString = text(cur)
    else if (f === 9 && w === WIRE_LEN) fn.opsets.push(opset(ctx, cur.sub(cur.len())))
    else if (f === 10 && w === WIRE_LEN) fn.domain = name(cur)
    else if (f === 13 && w === WIRE_LEN) fn.overload = name(cur)
    else if (f === 12 && w === WIRE_LEN) cur.len()
    else if (f === 14 && w === WIRE_LEN) fn.metadata.push(kv(ctx, cur.sub(cur.len())))
    else if (f <= 14) mismatch(ctx, cur, 'FunctionProto', f, w)
    else unknown(ctx, cur, 'FunctionProto', f, w)
  }
  const path = `function:${fn.domain}.${fn.name}${fn.overload ? `:${fn.overload}` : ''}`
  fn.body.path = path
  fn.body.name = fn.name
  for (let i = 0; i < nodeSpans.length; i++) {
    const s = nodeSpans[i]
    fn.nodes.push(parseNode(ctx, new Cursor(ctx.src, s.offset, s.offset + s.length), path, i, 1))
  }
  fn.body.nodes = fn.nodes
  fn.body.inputs = fn.inputs.map((n) => ({name: n, metadata: []}))
  fn.body.outputs = fn.outputs.map((n) => ({name: n, metadata: []}))
  return fn
}

/** Parses a ModelProto from a byte source. Throws InputError (exit 3) for anything malformed. */
export function parseModelSource(src: ByteSource): OnnxModel {
  if (src.size === 0) throw new InputError('E_ONNX_EMPTY', 'empty file: not an ONNX model')
  const ctx: Ctx = {src, anomalies: [], counts: {nodes: 0, graphs: 0, tensors: 0, maxDepth: 0}, values: 0}
  const m: OnnxModel = {
    irVersion: 0,
    opsets: [],
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    graph: emptyGraph('main', 0),
    metadata: [],
    trainingGraphs: [],
    functions: [],
    anomalies: ctx.anomalies,
    fileSize: src.size,
    counts: ctx.counts,
  }
  const cur = new Cursor(src, 0, src.size)
  let graphSeen = false
  let irSeen = false
  while (!cur.eof()) {
    const [f, w] = cur.tag()
    if (f === 1 && w === WIRE_VARINT) {
      const at = cur.pos
      const v = cur.int64()
      if (irSeen && v !== m.irVersion) duplicate(ctx, 'ModelProto.ir_version', 1, at, 0)
      m.irVersion = v
      irSeen = true
    } else if (f === 8 && w === WIRE_LEN) m.opsets.push(opset(ctx, cur.sub(cur.len())))
    else if (f === 2 && w === WIRE_LEN) m.producerName = text(cur).text
    else if (f === 3 && w === WIRE_LEN) m.producerVersion = text(cur).text
    else if (f === 4 && w === WIRE_LEN) m.domain = text(cur).text
    else if (f === 5 && w === WIRE_VARINT) m.modelVersion = cur.int64()
    else if (f === 6 && w === WIRE_LEN) m.docString = text(cur)
    else if (f === 7 && w === WIRE_LEN) {
      const span = cur.len()
      // protobuf merges a repeated singular message: nodes/initializers of both records count.
      if (graphSeen) duplicate(ctx, 'ModelProto.graph', 7, span.offset, span.length)
      parseGraph(ctx, cur.sub(span), 'main', 0, m.graph)
      graphSeen = true
    } else if (f === 14 && w === WIRE_LEN) m.metadata.push(kv(ctx, cur.sub(cur.len())))
    else if (f === 20 && w === WIRE_LEN) {
      const tcur = cur.sub(cur.len())
      const idx = m.trainingGraphs.length
      while (!tcur.eof()) {
        const [tf, tw] = tcur.tag()
        if ((tf === 1 || tf === 2) && tw === WIRE_LEN) {
          m.trainingGraphs.push(parseGraph(ctx, tcur.sub(tcur.len()), `training[${idx}].${tf === 1 ? 'initialization' : 'algorithm'}`, 1))
        } else tcur.skip(tw)
      }
    } else if (f === 25 && w === WIRE_LEN) m.functions.push(parseFunction(ctx, cur.sub(cur.len())))
    else if (f === 26 && w === WIRE_LEN) cur.len()
    else if (f <= 26 && f !== 9 && f !== 10 && f !== 11 && f !== 12 && f !== 13) mismatch(ctx, cur, 'ModelProto', f, w)
    else unknown(ctx, cur, 'ModelProto', f, w)
  }
  if (!graphSeen) throw new InputError('E_ONNX_NO_GRAPH', 'not an ONNX model: no graph')
  if (!irSeen) throw new InputError('E_ONNX_MALFORMED', 'malformed ONNX protobuf: no ir_version')
  return m
}

export function parseOnnxBuffer(buf: Buffer): OnnxModel {
  return parseModelSource(new MemorySource(buf))
}

/** Reads and parses a model file; the returned source stays open for tensor reads until closed. */
export function openOnnx(filePath: string, opts: {forceWindowed?: boolean} = {}): {model: OnnxModel; source: ByteSource} {
  const source = openSource(filePath, opts)
  try {
    return {model: parseModelSource(source), source}
  } catch (err) {
    source.close()
    throw err
  }
}
