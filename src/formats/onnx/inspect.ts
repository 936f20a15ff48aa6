/** `modelseal inspect`: a factual summary of an ONNX model (no judgement; that is `scan`). */
import path from 'node:path'

import {resolveExternal} from './external.js'
import {openOnnx} from './reader.js'
import {expectedRawBytes, isExternal, numel} from './tensors.js'
import {DATA_TYPE_NAMES, type OnnxModel, type OnnxTypeInfo, type OnnxValueInfo} from './types.js'
import {walkGraphs, walkTensors} from './walk.js'

export interface InspectIO {
  name: string
  type: string
  elemType?: string
  shape?: (number | string | null)[]
}

export interface OnnxInspection {
  path: string
  format: 'onnx'
  fileSize: number
  irVersion: number
  opsets: {domain: string; version: number}[]
  producer: {name: string; version: string}
  domain: string
  modelVersion: number
  graphName: string
  inputs: InspectIO[]
  outputs: InspectIO[]
  nodes: {total: number; byOpType: Record<string, number>; graphs: number; maxDepth: number}
  functions: {domain: string; name: string; overload?: string; nodes: number}[]
  weights: {count: number; bytes: number; inline: {count: number; bytes: number}; external: {count: number; bytes: number}; byRole: Record<string, number>}
  externalData: {location: string; tensors: number; bytes: number; problems: string[]}[]
  metadata: Record<string, string>
}

function io(v: OnnxValueInfo): InspectIO {
  const t: OnnxTypeInfo | undefined = v.type
  return {
    name: v.name,
    type: t?.kind ?? 'unknown',
    elemType: t?.elemType !== undefined ? (DATA_TYPE_NAMES[t.elemType] ?? String(t.elemType)) : undefined,
    shape: t?.shape,
  }
}

export function summarizeOnnx(model: OnnxModel, filePath: string): OnnxInspection {
  const byOpType: Record<string, number> = {}
  let total = 0
  for (const {graph} of walkGraphs(model)) {
    for (const n of graph.nodes) {
      const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType
      byOpType[key] = (byOpType[key] ?? 0) + 1
      total++
    }
  }
  const weights = {count: 0, bytes: 0, inline: {count: 0, bytes: 0}, external: {count: 0, bytes: 0}, byRole: {} as Record<string, number>}
  const ext = new Map<string, {location: string; tensors: number; bytes: number; problems: Set<string>}>()
  const modelDir = path.dirname(path.resolve(filePath))
  for (const v of walkTensors(model)) {
    const t = v.tensor
    const bytes = expectedRawBytes(t)
    const b = Number.isNaN(bytes) ? (t.raw?.length ?? 0) : bytes
    weights.count++
    weights.bytes += b
    weights.byRole[v.role] = (weights.byRole[v.role] ?? 0) + 1
    if (isExternal(t)) {
      weights.external.count++
      weights.external.bytes += b
      const ref = resolveExternal(t, modelDir)
      const e = ext.get(ref.location) ?? {location: ref.location, tensors: 0, bytes: 0, problems: new Set<string>()}
      e.tensors++
      e.bytes += ref.length || b
      for (const p of ref.problems) e.problems.add(p.message)
      ext.set(ref.location, e)
    } else {
      weights.inline.count++
      weights.inline.bytes += b
    }
  }
  const sorted = Object.fromEntries(Object.entries(byOpType).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))
  return {
    path: filePath,
    format: 'onnx',
    fileSize: model.fileSize,
    irVersion: model.irVersion,
    opsets: model.opsets.map((o) => ({domain: o.domain || 'ai.onnx', version: o.version})),
    producer: {name: model.producerName, version: model.producerVersion},
    domain: model.domain,
    modelVersion: model.modelVersion,
    graphName: model.graph.name,
    inputs: model.graph.inputs.map(io),
    outputs: model.graph.outputs.map(io),
    nodes: {total, byOpType: sorted, graphs: model.counts.graphs, maxDepth: model.counts.maxDepth},
    functions: model.functions.map((f) => ({domain: f.domain, name: f.name, ...(f.overload ? {overload: f.overload} : {}), nodes: f.nodes.length})),
    weights,
    externalData: [...ext.values()].map((e) => ({location: e.location, tensors: e.tensors, bytes: e.bytes, problems: [...e.problems]})),
    metadata: Object.fromEntries(model.metadata.map((m) => [m.key, m.value])),
  }
}

export function inspectOnnx(filePath: string): OnnxInspection {
  const {model, source} = openOnnx(filePath)
  try {
    return summarizeOnnx(model, filePath)
  } finally {
    source.close()
  }
}

export {numel}
