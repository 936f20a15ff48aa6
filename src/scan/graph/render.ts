/**
 * Graph pictures for reviewers: Graphviz DOT or Mermaid of an analysed ONNX model, with the nodes
 * on graph-backdoor trigger paths highlighted by role (source, step, trigger, merge, sink).
 * Subgraphs (If/Loop/Scan bodies, inlined functions) become clusters. Large graphs are cut to the
 * neighbourhood of the highlighted nodes so the picture stays readable.
 */
import {openOnnx} from '../../formats/onnx/index.js'
import type {Finding} from '../types.js'
import type {PathStep, StepRole, TriggerPath} from './evidence.js'
import {stepName} from './evidence.js'
import type {FlatGraph} from './flatten.js'
import {analyzeOnnxGraph} from './index.js'

export type GraphFormat = 'dot' | 'mermaid'

/** Nodes drawn at most; beyond it only the trigger paths and their neighbours are drawn. */
export const MAX_RENDER_NODES = 400

const ROLE_STYLE: Record<StepRole, {fill: string; stroke: string}> = {
  source: {fill: '#fff3bf', stroke: '#e0a800'},
  seed: {fill: '#ffd8a8', stroke: '#e8590c'},
  trigger: {fill: '#ffe3e3', stroke: '#f03e3e'},
  merge: {fill: '#ff8787', stroke: '#c92a2a'},
  sink: {fill: '#f3d9fa', stroke: '#ae3ec9'},
}
const ROLE_RANK: Record<StepRole, number> = {sink: 0, source: 1, trigger: 2, seed: 3, merge: 4}

export interface RenderOptions {
  format: GraphFormat
  maxNodes?: number
}

export function triggerPaths(findings: Finding[]): TriggerPath[] {
  return findings.map((f) => f.evidence?.triggerPath as TriggerPath | undefined).filter((p): p is TriggerPath => !!p && Array.isArray(p.steps))
}

const key = (graph: string, node: string) => `${graph}\u0000${node}`

export function renderGraph(fg: FlatGraph, paths: TriggerPath[], opts: RenderOptions): string {
  const maxNodes = opts.maxNodes ?? MAX_RENDER_NODES
  const role = new Map<string, StepRole>()
  for (const p of paths) {
    for (const s of p.steps as PathStep[]) {
      const k = key(s.graph, s.node)
      const cur = role.get(k)
      if (!cur || ROLE_RANK[s.role] > ROLE_RANK[cur]) role.set(k, s.role)
    }
  }
  const drawable = fg.nodes.map((n) => n.kind !== 'phi' || !!n.node)
  const nodeKey = (nid: number) => key(fg.nodes[nid].graph, stepName(fg, nid))
  // A value's drawn producer: through subgraph-binding pseudo nodes to a real node.
  const producer = (v: number): number => {
    for (let hops = 0; v >= 0 && hops < 32; hops++) {
      const p = fg.values[v].producer
      if (p < 0) return -1
      if (drawable[p]) return p
      v = fg.nodes[p].inputs[0] ?? -1
    }
    return -1
  }
  let selected: Set<number>
  const total = drawable.filter(Boolean).length
  let cut = false
  if (total <= maxNodes) selected = new Set(fg.nodes.map((_, i) => i).filter((i) => drawable[i]))
  else {
    cut = true
    selected = new Set()
    const hot = fg.nodes.map((_, i) => i).filter((i) => drawable[i] && role.has(nodeKey(i)))
    for (const i of hot) selected.add(i)
    const consumers = new Map<number, number[]>()
    fg.nodes.forEach((n, i) => {
      if (!drawable[i]) return
      for (const v of n.inputs) {
        const p = v >= 0 ? producer(v) : -1
        if (p >= 0) (consumers.get(p) ?? consumers.set(p, []).get(p)!).push(i)
      }
    })
    for (const i of hot) {
      if (selected.size >= maxNodes) break
      for (const v of fg.nodes[i].inputs) {
        const p = v >= 0 ? producer(v) : -1
        if (p >= 0 && selected.size < maxNodes) selected.add(p)
      }
      for (const c of consumers.get(i) ?? []) if (selected.size < maxNodes) selected.add(c)
    }
  }
  const ids = [...selected].sort((a, b) => a - b)
  const inputs = new Set(fg.inputs)
  const outputs = new Set(fg.outputs)
  const edges: [string, string, string][] = []
  const ioNodes = new Map<string, string>()
  const ioId = (v: number, kind: 'in' | 'out') => {
    const id = `${kind}${v}`
    ioNodes.set(id, `${kind === 'in' ? 'input' : 'output'}: ${fg.values[v].name}`)
    return id
  }
  for (const i of ids) {
    const n = fg.nodes[i]
    for (const v of n.inputs) {
      if (v < 0) continue
      if (inputs.has(v)) edges.push([ioId(v, 'in'), `n${i}`, ''])
      const p = producer(v)
      if (p >= 0 && selected.has(p)) edges.push([`n${p}`, `n${i}`, shortName(fg.values[v].name)])
    }
    for (const o of n.outputs) if (o >= 0 && outputs.has(o)) edges.push([`n${i}`, ioId(o, 'out'), ''])
  }
  const clusters = new Map<string, number[]>()
  for (const i of ids) {
    const g = fg.nodes[i].fn ? `function ${fg.nodes[i].fn}` : fg.nodes[i].graph
    ;(clusters.get(g) ?? clusters.set(g, []).get(g)!).push(i)
  }
  const label = (i: number) => {
    const n = fg.nodes[i]
    const r = role.get(nodeKey(i))
    return `${n.node?.opType ?? n.op}${r ? ` [${r}]` : ''}\n${shortName(stepName(fg, i))}`
  }
  const note = cut ? `only the ${ids.length} nodes on and around trigger paths of ${total} are drawn` : ''
  const drawing: Drawing = {ids, clusters, edges, io: ioNodes, label, roleOf: (i) => role.get(nodeKey(i)), note}
  return opts.format === 'dot' ? dot(drawing) : mermaid(drawing)
}

/** What both text formats draw: the kept nodes grouped by (sub)graph, edges, graph inputs/outputs. */
interface Drawing {
  ids: number[]
  clusters: Map<string, number[]>
  edges: [string, string, string][]
  io: Map<string, string>
  label: (i: number) => string
  roleOf: (i: number) => StepRole | undefined
  note: string
}

function shortName(s: string): string {
  return s.length > 48 ? `…${s.slice(-47)}` : s
}

function dotStr(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

function dot({clusters, edges, io, label, roleOf, note}: Drawing): string {
  const L = ['digraph onnx {', '  rankdir=TB;', '  node [shape=box, style="rounded,filled", fillcolor="#f8f9fa", fontname="Helvetica", fontsize=10];']
  if (note) L.push(`  label=${dotStr(note)};`)
  let c = 0
  for (const [g, members] of clusters) {
    const inner = members.map((i) => {
      const r = roleOf(i)
      const style = r ? `, fillcolor="${ROLE_STYLE[r].fill}", color="${ROLE_STYLE[r].stroke}", penwidth=2` : ''
      return `    n${i} [label=${dotStr(label(i))}${style}];`
    })
    if (g === 'main') L.push(...inner.map((s) => s.slice(2)))
    else L.push(`  subgraph cluster_${c++} {`, `    label=${dotStr(g)};`, '    style=dashed;', ...inner, '  }')
  }
  for (const [id, text] of io) L.push(`  ${id} [label=${dotStr(text)}, shape=ellipse, fillcolor="#e7f5ff"];`)
  for (const [a, b, l] of edges) L.push(`  ${a} -> ${b}${l ? ` [label=${dotStr(l)}, fontsize=8]` : ''};`)
  L.push('}')
  return L.join('\n')
}

function mmStr(s: string): string {
  return `"${s.replace(/"/g, '#quot;').replace(/\n/g, '<br/>')}"`
}

function mermaid({ids, clusters, edges, io, label, roleOf, note}: Drawing): string {
  const L = ['flowchart TB']
  if (note) L.push(`  %% ${note}`)
  let c = 0
  for (const [g, members] of clusters) {
    const inner = members.map((i) => `    n${i}[${mmStr(label(i))}]`)
    if (g === 'main') L.push(...inner.map((s) => s.slice(2)))
    else L.push(`  subgraph c${c++}[${mmStr(g)}]`, ...inner, '  end')
  }
  for (const [id, text] of io) L.push(`  ${id}([${mmStr(text)}])`)
  for (const [a, b, l] of edges) L.push(`  ${a} -->${l ? `|${mmStr(l)}|` : ''} ${b}`)
  for (const r of Object.keys(ROLE_STYLE) as StepRole[]) L.push(`  classDef ${r} fill:${ROLE_STYLE[r].fill},stroke:${ROLE_STYLE[r].stroke},stroke-width:2px`)
  const byRole = new Map<StepRole, number[]>()
  for (const i of ids) {
    const r = roleOf(i)
    if (r) (byRole.get(r) ?? byRole.set(r, []).get(r)!).push(i)
  }
  for (const [r, list] of byRole) L.push(`  class ${list.map((i) => `n${i}`).join(',')} ${r}`)
  return L.join('\n')
}

/** Reads a model, runs the graph analysis and renders it with its trigger paths highlighted. */
export function renderOnnxGraph(filePath: string, opts: RenderOptions): {text: string; findings: Finding[]} {
  const {model, source} = openOnnx(filePath)
  try {
    const g = analyzeOnnxGraph(model, source, filePath)
    if (!g.flat) return {text: '', findings: g.findings}
    const backdoors = g.findings.filter((f) => f.category === 'graph-backdoor')
    return {text: renderGraph(g.flat, triggerPaths(backdoors.filter((f) => f.severity !== 'info')), opts), findings: g.findings}
  } finally {
    source.close()
  }
}
