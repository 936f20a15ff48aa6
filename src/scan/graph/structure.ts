/** Non-dataflow graph rules: custom ops, external data, protobuf/graph structure, metadata. */
import path from 'node:path'

import type {ByteSource, OnnxModel, OnnxTensor, TextField} from '../../formats/onnx/index.js'
import {
  expectedRawBytes,
  expectedTypedCount,
  isExternal,
  numel,
  resolveExternal,
  typedCount,
  walkGraphs,
  walkNodes,
  walkTensors,
} from '../../formats/onnx/index.js'
import {makeFinding} from '../rule-catalogue.js'
import type {Finding, FindingLocation} from '../types.js'
import type {FlatGraph} from './flatten.js'

export const KNOWN_CONTRIB_DOMAINS = new Set([
  'com.microsoft',
  'com.microsoft.nchwc',
  'com.microsoft.experimental',
  'com.ms.internal.nhwc',
  'com.microsoft.extensions',
  'ai.onnx.contrib',
  'org.pytorch.aten',
  'ai.onnx.preview.training',
  'com.microsoft.dml',
  'ai.onnx.preview',
])
const STANDARD_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml'])
const PYTHON_OP = /^Py(thon)?(Op|Func)|python/i
const NETWORK_OPS = new Set([
  'AzureTextToText',
  'AzureAudioToText',
  'AzureTritonInvoker',
  'OpenAIAudioToText',
  'AzureTextToTextInvoker',
  'AzureAudioToTextInvoker',
])
/** A few standard op names (for the function-shadowing rule): the common ones an attacker would redefine. */
const STANDARD_OPS = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'MatMul',
  'Gemm',
  'Conv',
  'Relu',
  'Sigmoid',
  'Softmax',
  'Where',
  'If',
  'Loop',
  'Gather',
  'Reshape',
  'Transpose',
  'Concat',
  'Identity',
  'LayerNormalization',
  'Cast',
  'Equal',
  'Greater',
  'Less',
  'ArgMax',
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'Tanh',
  'Gelu',
  'Slice',
  'Split',
  'Squeeze',
  'Unsqueeze',
  'Expand',
  'Pow',
  'Sqrt',
])
export const KNOWN_IR_MAX = 13
export const LARGE_UNUSED_BYTES = 1 << 20
export const METADATA_MAX = 64 * 1024
const NESTING_WARN = 32

export function customOpFindings(model: OnnxModel): Finding[] {
  const out: Finding[] = []
  const fnDomains = new Set(model.functions.map((f) => f.domain))
  const used = new Set<string>()
  const reported = new Set<string>()
  for (const {node, graph, fn} of walkNodes(model)) {
    used.add(node.domain === 'ai.onnx' ? '' : node.domain)
    const loc: FindingLocation = {node: node.name || node.opType, graph: graph.path, ...(fn ? {function: fn} : {}), opType: node.opType, domain: node.domain}
    if (PYTHON_OP.test(node.opType)) {
      out.push(makeFinding('MS-CO001', `operator ${node.domain || 'ai.onnx'}.${node.opType} executes Python code`, loc))
      continue
    }
    if (NETWORK_OPS.has(node.opType)) {
      out.push(makeFinding('MS-CO002', `operator ${node.opType} sends its inputs to a remote endpoint`, loc))
      continue
    }
    if (STANDARD_DOMAINS.has(node.domain) || fnDomains.has(node.domain)) continue
    const key = `${node.domain}|${node.opType}`
    if (reported.has(key)) continue
    reported.add(key)
    if (KNOWN_CONTRIB_DOMAINS.has(node.domain)) {
      // ATen fallback ops need PyTorch's kernels at run time; ai.onnx.preview.training is part of
      // the ONNX standard itself (Adam, Adagrad, Momentum, Gradient: pure math), so stays info.
      const low = node.domain === 'org.pytorch.aten'
      out.push(makeFinding('MS-CO004', `contrib operator ${node.domain}.${node.opType}`, loc, low ? {severity: 'low'} : {}))
    } else {
      out.push(makeFinding('MS-CO003', `operator ${node.opType} in unknown domain "${node.domain}" needs a custom runtime library`, loc))
    }
  }
  for (const o of model.opsets) {
    const d = o.domain === 'ai.onnx' ? '' : o.domain
    if (!used.has(d) && d !== '') out.push(makeFinding('MS-CO005', `opset domain "${o.domain}" is imported but unused`, {graph: 'main', domain: o.domain}))
  }
  for (const f of model.functions) {
    if ((f.domain === '' || f.domain === 'ai.onnx') && STANDARD_OPS.has(f.name)) {
      out.push(makeFinding('MS-CO006', `model function ${f.name} redefines the standard operator of that name`, {function: f.body.path}))
    }
  }
  return out
}

export function externalDataFindings(model: OnnxModel, filePath: string): {findings: Finding[]; missing: string[]} {
  const out: Finding[] = []
  const missing: string[] = []
  const dir = path.dirname(path.resolve(filePath))
  const ranges = new Map<string, {start: number; end: number; tensor: string}[]>()
  for (const v of walkTensors(model)) {
    const t = v.tensor
    if (!isExternal(t)) continue
    const ref = resolveExternal(t, dir)
    const loc: FindingLocation = {tensor: t.name, graph: v.graph.path, location: ref.location}
    for (const p of ref.problems) {
      const id =
        p.kind === 'escape'
          ? 'MS-ED001'
          : p.kind === 'ort-memory'
            ? 'MS-ED002'
            : p.kind === 'link'
              ? 'MS-ED003'
              : p.kind === 'bounds'
                ? 'MS-ED004'
                : p.kind === 'keys'
                  ? 'MS-ED005'
                  : ''
      if (p.kind === 'missing') missing.push(`${t.name}: ${p.message}`)
      else out.push(makeFinding(id, `tensor "${t.name}": ${p.message}`, loc))
    }
    if (ref.file) {
      const list = ranges.get(ref.file) ?? []
      list.push({start: ref.offset, end: ref.offset + ref.length, tensor: t.name})
      ranges.set(ref.file, list)
    }
  }
  for (const [file, list] of ranges) {
    list.sort((a, b) => a.start - b.start)
    for (let i = 1; i < list.length; i++) {
      if (list[i].start < list[i - 1].end) {
        out.push(
          makeFinding('MS-ED006', `tensors "${list[i - 1].tensor}" and "${list[i].tensor}" overlap in ${path.basename(file)}`, {
            tensor: list[i].tensor,
            byteStart: list[i].start,
            byteEnd: list[i].end,
          }),
        )
      }
    }
  }
  return {findings: out, missing}
}

function payloadMismatch(t: OnnxTensor, src: ByteSource): string | undefined {
  if (t.dims.some((d) => d < 0)) return `negative dimension in [${t.dims.join(',')}]`
  if (Number.isNaN(numel(t.dims))) return `dims [${t.dims.join(',')}] overflow`
  if (isExternal(t) || t.dataType === 8 || t.dataType === 0) return undefined
  if (t.raw) {
    const exp = expectedRawBytes(t)
    if (!Number.isNaN(exp) && t.raw.length !== exp) return `raw_data holds ${t.raw.length} bytes, shape needs ${exp}`
    return undefined
  }
  if (t.typed) {
    const have = typedCount(t, src)
    const exp = expectedTypedCount(t)
    if (have !== exp) return `${t.typed.field}_data holds ${have} values, shape needs ${exp}`
  }
  return undefined
}

export function structureFindings(model: OnnxModel, fg: FlatGraph | undefined, src: ByteSource, facts?: {kind: Uint8Array}): Finding[] {
  const out: Finding[] = []
  let unknownBytes = 0
  let unknownCount = 0
  let firstUnknown = ''
  for (const a of model.anomalies) {
    if (a.kind === 'duplicate-field') out.push(makeFinding('MS-GS003', a.message, {offset: a.offset}))
    else {
      unknownBytes += a.size
      unknownCount++
      firstUnknown ||= a.message
    }
  }
  if (unknownCount > 0) {
    out.push(
      makeFinding(
        'MS-GS004',
        `${unknownCount} unknown/mistyped protobuf field(s), ${unknownBytes} bytes (first: ${firstUnknown})`,
        {offset: model.anomalies.find((a) => a.kind !== 'duplicate-field')?.offset},
        {
          severity: unknownBytes >= 1024 ? 'medium' : 'low',
          evidence: {count: unknownCount, bytes: unknownBytes},
        },
      ),
    )
  }
  if (model.fileSize >= 2 ** 31) out.push(makeFinding('MS-GS012', `file is ${model.fileSize} bytes, beyond protobuf's 2 GiB limit`, {}))
  if (model.irVersion > KNOWN_IR_MAX) out.push(makeFinding('MS-GS013', `IR version ${model.irVersion} is newer than ${KNOWN_IR_MAX}`, {}))
  if (model.counts.maxDepth > NESTING_WARN) out.push(makeFinding('MS-GS014', `subgraphs nest ${model.counts.maxDepth} levels deep`, {}))
  for (const v of walkTensors(model)) {
    const why = payloadMismatch(v.tensor, src)
    if (why) out.push(makeFinding('MS-GS009', `tensor "${v.tensor.name}": ${why}`, {tensor: v.tensor.name, graph: v.graph.path}))
  }
  if (fg) {
    const seen = new Set<string>()
    for (const is of fg.issues) {
      const id = is.kind === 'duplicate-name' ? 'MS-GS001' : is.kind === 'shadowing' ? 'MS-GS002' : is.kind === 'undefined-name' ? 'MS-GS007' : 'MS-GS010'
      const key = `${id}|${is.graph}|${is.name ?? is.node}`
      if (seen.has(key) || seen.size > 200) continue
      seen.add(key)
      out.push(makeFinding(id, is.message, {graph: is.graph, ...(is.node ? {node: is.node} : {}), ...(is.name ? {tensor: is.name} : {})}))
    }
    for (const id of fg.initializers) {
      const v = fg.values[id]
      if (v.consumers > 0 || !v.tensor) continue
      const bytes = v.tensor.raw?.length ?? (isExternal(v.tensor) ? expectedRawBytes(v.tensor) : 0)
      if (bytes >= LARGE_UNUSED_BYTES)
        out.push(makeFinding('MS-GS005', `initializer "${v.name}" (${bytes} bytes) is not used by any node`, {tensor: v.name, graph: 'main'}))
    }
    if (facts) {
      for (const o of fg.outputs) {
        if (fg.inputs.length === 0 || facts.kind[o] === 2) continue
        // A SHAPE value (Shape, Size and arithmetic on them) does depend on the input, just not on its values.
        if (facts.kind[o] === 1)
          out.push(
            makeFinding(
              'MS-GS006',
              `graph output "${fg.values[o].name}" depends only on input shapes`,
              {graph: 'main', tensor: fg.values[o].name},
              {severity: 'info'},
            ),
          )
        else out.push(makeFinding('MS-GS006', `graph output "${fg.values[o].name}" does not depend on any input`, {graph: 'main', tensor: fg.values[o].name}))
      }
    }
  }
  return out
}

const EXEC_SIGS: [RegExp, string][] = [
  [/^MZ[\s\S]{58}/, 'PE executable'],
  [/\x7fELF[\x01\x02][\x01\x02]/, 'ELF executable'],
  [/\xcf\xfa\xed\xfe|\xce\xfa\xed\xfe|\xca\xfe\xba\xbe/, 'Mach-O executable'],
  [/PK\x03\x04[\s\S]{26}/, 'zip archive'],
  [/\x80[\x02-\x05][\s\S]{0,64}(c(os|posix|subprocess|builtins)\n|\x8c)/, 'pickle stream'],
]
const SCRIPT =
  /(^#!\s*\/|\b(curl|wget)\s+\S+\s*\|\s*(ba)?sh\b|\bimport\s+(os|subprocess|socket)\b|\b(os\.system|subprocess\.(run|Popen|call)|eval\(|exec\(|__import__\()|\bpowershell(\.exe)?\s+-|child_process|require\(['"](child_process|fs|net)['"]\)|<script\b)/i
const CRED_URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i
const BASE64_RUN = /[A-Za-z0-9+/]{4096,}={0,2}/
const HEX_RUN = /[0-9a-fA-F]{8192,}/

function checkText(label: string, field: TextField | string | undefined, loc: FindingLocation, out: Finding[]): void {
  if (field === undefined) return
  const text = typeof field === 'string' ? field : field.text
  const length = typeof field === 'string' ? Buffer.byteLength(field) : field.length
  if (length === 0) return
  const l = {...loc, field: label}
  const bin = Buffer.from(text, 'latin1').toString('latin1')
  const sig = EXEC_SIGS.find(([re]) => re.test(bin))
  if (sig) return void out.push(makeFinding('MS-MD001', `${label} contains a ${sig[1]} signature`, l))
  if (SCRIPT.test(text) || CRED_URL.test(text))
    return void out.push(makeFinding('MS-MD002', `${label} contains code or a credential URL: "${text.match(SCRIPT)?.[0] ?? text.match(CRED_URL)?.[0]}"`, l))
  if (BASE64_RUN.test(text) || HEX_RUN.test(text)) return void out.push(makeFinding('MS-MD003', `${label} holds a long encoded blob`, l))
  if (length > METADATA_MAX) out.push(makeFinding('MS-MD004', `${label} is ${length} bytes`, l))
}

export function metadataFindings(model: OnnxModel): Finding[] {
  const out: Finding[] = []
  checkText('model doc_string', model.docString, {graph: 'main'}, out)
  for (const m of model.metadata) checkText(`metadata_props["${m.key}"]`, m.value, {graph: 'main'}, out)
  for (const {graph} of walkGraphs(model)) {
    checkText('graph doc_string', graph.docString, {graph: graph.path}, out)
    for (const m of graph.metadata) checkText(`graph metadata["${m.key}"]`, m.value, {graph: graph.path}, out)
    for (const n of graph.nodes) {
      const loc = {graph: graph.path, node: n.name || n.opType}
      checkText('node doc_string', n.docString, loc, out)
      for (const m of n.metadata) checkText(`node metadata["${m.key}"]`, m.value, loc, out)
      for (const a of n.attributes) {
        if (a.s && (a.s.length > 256 || SCRIPT.test(a.s.text))) checkText(`attribute ${a.name}`, a.s, loc, out)
      }
    }
    for (const vi of [...graph.inputs, ...graph.outputs]) checkText(`value_info "${vi.name}" doc_string`, vi.docString, {graph: graph.path}, out)
  }
  for (const f of model.functions) checkText('function doc_string', f.docString, {function: f.body.path}, out)
  for (const v of walkTensors(model)) checkText(`tensor "${v.tensor.name}" doc_string`, v.tensor.docString, {tensor: v.tensor.name}, out)
  return out.slice(0, 200)
}
