/**
 * --baseline: structural diff against a trusted reference export (H15). Nodes are matched by
 * graph path + name (or op type + outputs when unnamed), weights by name and content hash.
 */
import {createHash} from 'node:crypto'

import type {ByteSource, OnnxModel, OnnxNode, OnnxTensor} from '../../formats/onnx/index.js'
import {walkGraphs} from '../../formats/onnx/index.js'
import {makeFinding} from '../rule-catalogue.js'
import type {Finding} from '../types.js'

/** Findings per diff kind before the rest is summarised in one finding. */
export const MAX_DIFF_FINDINGS = 50

function nodeKey(graph: string, n: OnnxNode, i: number): string {
  return `${graph}|${n.name || `${n.opType}:${n.outputs.join(',') || i}`}`
}

function nodeShape(n: OnnxNode): string {
  return JSON.stringify([n.domain, n.opType, n.inputs, n.outputs])
}

function tensorDigest(t: OnnxTensor, src: ByteSource): string {
  const h = createHash('sha256')
  h.update(JSON.stringify([t.dataType, t.dims, t.external]))
  const spans = t.raw ? [t.raw] : (t.typed?.spans ?? [])
  for (const s of spans) for (let p = 0; p < s.length; p += 1 << 22) h.update(src.view(s.offset + p, Math.min(1 << 22, s.length - p)))
  if (t.typed) h.update(JSON.stringify(t.typed.values))
  return h.digest('hex')
}

interface Index {
  nodes: Map<string, {node: OnnxNode; graph: string}>
  weights: Map<string, {t: OnnxTensor; graph: string}>
}

function index(model: OnnxModel): Index {
  const nodes = new Map<string, {node: OnnxNode; graph: string}>()
  const weights = new Map<string, {t: OnnxTensor; graph: string}>()
  for (const {graph} of walkGraphs(model)) {
    graph.nodes.forEach((n, i) => nodes.set(nodeKey(graph.path, n, i), {node: n, graph: graph.path}))
    for (const t of graph.initializers) weights.set(`${graph.path}|${t.name}`, {t, graph: graph.path})
  }
  return {nodes, weights}
}

export function baselineFindings(model: OnnxModel, src: ByteSource, ref: OnnxModel, refSrc: ByteSource): Finding[] {
  const a = index(model)
  const b = index(ref)
  const groups: Record<string, Finding[]> = {}
  const add = (id: string, f: Finding) => (groups[id] ??= []).push(f)
  for (const [k, {node, graph}] of a.nodes) {
    const r = b.nodes.get(k)
    const loc = {node: node.name || node.opType, graph, opType: node.opType}
    if (!r) add('MS-BD001', makeFinding('MS-BD001', `${node.opType} node "${node.name}" is not in the baseline (inputs: ${node.inputs.join(', ')})`, loc))
    else if (nodeShape(r.node) !== nodeShape(node)) {
      add(
        'MS-BD003',
        makeFinding('MS-BD003', `node "${node.name}" changed: ${r.node.opType}(${r.node.inputs.join(', ')}) -> ${node.opType}(${node.inputs.join(', ')})`, loc),
      )
    }
  }
  for (const [k, {node, graph}] of b.nodes) {
    if (!a.nodes.has(k))
      add('MS-BD002', makeFinding('MS-BD002', `baseline ${node.opType} node "${node.name}" is missing`, {node: node.name || node.opType, graph}))
  }
  for (const [k, {t, graph}] of a.weights) {
    const r = b.weights.get(k)
    if (!r) add('MS-BD004', makeFinding('MS-BD004', `initializer "${t.name}" [${t.dims.join('x')}] is not in the baseline`, {tensor: t.name, graph}))
    else if (tensorDigest(t, src) !== tensorDigest(r.t, refSrc))
      add('MS-BD005', makeFinding('MS-BD005', `initializer "${t.name}" differs from the baseline`, {tensor: t.name, graph}))
  }
  for (const [k, {t, graph}] of b.weights)
    if (!a.weights.has(k)) add('MS-BD006', makeFinding('MS-BD006', `baseline initializer "${t.name}" is missing`, {tensor: t.name, graph}))
  const io = (m: OnnxModel) => JSON.stringify([m.graph.inputs.map((v) => v.name), m.graph.outputs.map((v) => v.name)])
  if (io(model) !== io(ref)) add('MS-BD007', makeFinding('MS-BD007', `inputs/outputs ${io(model)} differ from the baseline's ${io(ref)}`, {graph: 'main'}))
  const out: Finding[] = []
  for (const [id, list] of Object.entries(groups)) {
    out.push(...list.slice(0, MAX_DIFF_FINDINGS))
    if (list.length > MAX_DIFF_FINDINGS)
      out.push(makeFinding(id, `${list.length - MAX_DIFF_FINDINGS} more differences of this kind not listed`, {graph: 'main'}))
  }
  return out
}
