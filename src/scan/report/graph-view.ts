/**
 * The part of a model graph a reviewer needs to see for one graph finding: the trigger path
 * (model input → trigger → merge → model output) highlighted, its immediate neighbours for context,
 * and everything else collapsed into labelled boxes. Linear in the graph's size, so a 50,000-node
 * model costs a few milliseconds here; the drawing itself stays under MAX_DRAWN_NODES.
 *
 * The path comes from the finding's evidence when it lists one (`evidence.path` entries naming
 * nodes); otherwise it is reconstructed from the trigger seed (`evidence.seedNode`) and the merge
 * node (`location.node`) by shortest data-flow paths.
 */
import {MAX_DRAWN_NODES, type DrawnEdge, type DrawnNode, type GraphDrawing} from '../../html/graph-svg.js'
import type {OnnxGraph, OnnxModel, OnnxNode} from '../../formats/onnx/types.js'
import {walkGraphs} from '../../formats/onnx/walk.js'
import type {Finding} from '../types.js'

/** Context nodes drawn around the path, beyond the path itself. */
const CONTEXT_NODES = 60

export interface PathStep {
  kind: 'input' | 'node' | 'output'
  name: string
  op?: string
}

export interface GraphView {
  graphPath: string
  totalNodes: number
  drawing: GraphDrawing
  /** The highlighted path in data-flow order. */
  steps: PathStep[]
}

interface Index {
  graph: OnnxGraph
  producer: Map<string, number>
  consumers: Map<string, number[]>
  inputs: Set<string>
  outputs: Set<string>
  initializers: Set<string>
}

function indexGraph(graph: OnnxGraph): Index {
  const producer = new Map<string, number>()
  const consumers = new Map<string, number[]>()
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o && !producer.has(o)) producer.set(o, i)
    for (const v of n.inputs) {
      if (!v) continue
      const list = consumers.get(v)
      if (list) {
        if (list[list.length - 1] !== i) list.push(i)
      } else consumers.set(v, [i])
    }
  })
  const initializers = new Set(graph.initializers.map((t) => t.name))
  return {
    graph,
    producer,
    consumers,
    initializers,
    inputs: new Set(graph.inputs.map((v) => v.name).filter((n) => !initializers.has(n))),
    outputs: new Set(graph.outputs.map((v) => v.name)),
  }
}

function findGraph(model: OnnxModel, f: Finding): OnnxGraph | undefined {
  const want = typeof f.location.graph === 'string' ? f.location.graph : 'main'
  const fn = typeof f.location.function === 'string' ? f.location.function : undefined
  for (const v of walkGraphs(model)) {
    if (v.graph.path === want) return v.graph
    if (fn && v.fn === fn && (v.graph.path === fn || v.graph.path.endsWith(`/${want}`))) return v.graph
  }
  return want === 'main' ? model.graph : undefined
}

function nodeByName(ix: Index, name: unknown): number | undefined {
  if (typeof name !== 'string' || name === '') return undefined
  const nodes = ix.graph.nodes
  const byName = nodes.findIndex((n) => n.name === name)
  if (byName >= 0) return byName
  // Unnamed nodes are located by their op type; accept that only when it is unambiguous.
  const byOp = nodes.flatMap((n, i) => (n.opType === name ? [i] : []))
  return byOp.length === 1 ? byOp[0] : undefined
}

/** Node names listed by the finding's evidence, in order, if it carries a path. */
function evidencePath(f: Finding): unknown[] | undefined {
  const ev = f.evidence ?? {}
  for (const key of ['path', 'triggerPath', 'trace']) {
    let v = (ev as Record<string, unknown>)[key]
    // The graph analysis writes {input, output, steps: [{node, op, graph, role, output}]} (docs/scan.md).
    if (v && typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as {steps?: unknown}).steps)) v = (v as {steps: unknown[]}).steps
    if (Array.isArray(v) && v.length > 0)
      return v.map((e) => (typeof e === 'object' && e !== null ? ((e as Record<string, unknown>).node ?? (e as Record<string, unknown>).name) : e))
  }
  return undefined
}

/** Shortest path by BFS over data-flow edges; `forward` follows consumers, else producers. */
function bfs(ix: Index, from: number, forward: boolean, isGoal: (node: number) => boolean): number[] | undefined {
  const parent = new Map<number, number>([[from, -1]])
  const queue = [from]
  for (let h = 0; h < queue.length; h++) {
    const cur = queue[h]
    if (cur !== from && isGoal(cur)) {
      const path: number[] = []
      for (let c = cur; c !== -1; c = parent.get(c)!) path.push(c)
      return forward ? path.reverse() : path
    }
    const node = ix.graph.nodes[cur]
    const next = forward
      ? node.outputs.flatMap((o) => ix.consumers.get(o) ?? [])
      : node.inputs.flatMap((v) => {
          const p = ix.producer.get(v)
          return p === undefined ? [] : [p]
        })
    for (const n of next) if (!parent.has(n)) parent.set(n, cur), queue.push(n)
  }
  return undefined
}

const feedsOutput = (ix: Index) => (i: number) => ix.graph.nodes[i].outputs.some((o) => ix.outputs.has(o))
const readsInput = (ix: Index) => (i: number) => ix.graph.nodes[i].inputs.some((v) => ix.inputs.has(v))

function highlightedNodes(ix: Index, f: Finding): number[] {
  const listed = evidencePath(f)
    ?.map((n) => nodeByName(ix, n))
    .filter((n): n is number => n !== undefined)
  const merge = nodeByName(ix, f.location.node)
  const seed = nodeByName(ix, f.evidence?.seedNode)
  let core: number[]
  if (listed && listed.length > 0) core = listed
  else if (seed !== undefined && merge !== undefined && seed !== merge) core = bfs(ix, seed, true, (n) => n === merge) ?? [seed, merge]
  else core = [merge ?? seed].filter((n): n is number => n !== undefined)
  if (core.length === 0) return []
  const first = core[0]
  const last = core[core.length - 1]
  const before = readsInput(ix)(first) ? [] : (bfs(ix, first, false, readsInput(ix)) ?? []).slice(0, -1).reverse()
  const after = feedsOutput(ix)(last) ? [] : (bfs(ix, last, true, feedsOutput(ix)) ?? []).slice(1)
  const seen = new Set<number>()
  return [...before.reverse(), ...core, ...after].filter((n) => (seen.has(n) ? false : (seen.add(n), true)))
}

function opCounts(nodes: Iterable<OnnxNode>): string {
  const counts = new Map<string, number>()
  for (const n of nodes) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1)
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([op, c]) => `${op} ×${c}`)
    .join(', ')
}

function hoverFor(n: OnnxNode, ix: Index): string {
  const weights = n.inputs.filter((v) => ix.initializers.has(v))
  return [
    `${n.opType}${n.domain ? ` (${n.domain})` : ''}`,
    `name: ${n.name || '(unnamed)'}`,
    `inputs: ${n.inputs.filter((v) => !ix.initializers.has(v)).join(', ') || '—'}`,
    weights.length ? `weights: ${weights.join(', ')}` : '',
    `outputs: ${n.outputs.join(', ')}`,
  ]
    .filter(Boolean)
    .join('\n')
}

/** Builds the view, or undefined when the finding names nothing in this model. */
export function buildGraphView(model: OnnxModel, f: Finding): GraphView | undefined {
  const graph = findGraph(model, f)
  if (!graph || graph.nodes.length === 0) return undefined
  const ix = indexGraph(graph)
  const hlList = highlightedNodes(ix, f).slice(0, MAX_DRAWN_NODES - 40)
  if (hlList.length === 0) return undefined
  const hl = new Set(hlList)

  // Context: one hop around the path, nearest first, bounded.
  const shown = new Set(hlList)
  const budget = Math.min(MAX_DRAWN_NODES - 12, hlList.length + CONTEXT_NODES)
  for (const i of hlList) {
    const n = graph.nodes[i]
    const around = [...n.inputs.map((v) => ix.producer.get(v)), ...n.outputs.flatMap((o) => ix.consumers.get(o) ?? [])]
    for (const a of around) if (a !== undefined && shown.size < budget) shown.add(a)
  }

  const nodes: DrawnNode[] = []
  const edges: DrawnEdge[] = []
  const drawnIndex = new Map<number, number>()
  for (const i of shown) {
    const n = graph.nodes[i]
    drawnIndex.set(i, nodes.length)
    nodes.push({label: n.opType, sublabel: n.name || undefined, hover: hoverFor(n, ix), kind: 'op', highlighted: hl.has(i)})
  }

  const firstHl = hlList[0]
  const lastHl = hlList[hlList.length - 1]
  const ioNode = new Map<string, number>()
  const io = (name: string, isInput: boolean, highlighted: boolean) => {
    const key = `${isInput ? 'in' : 'out'}:${name}`
    let at = ioNode.get(key)
    if (at === undefined) {
      at = nodes.length
      ioNode.set(key, at)
      nodes.push({
        label: isInput ? 'model input' : 'model output',
        sublabel: name,
        hover: `${isInput ? 'graph input' : 'graph output'}: ${name}`,
        kind: 'io',
        highlighted,
      })
    } else if (highlighted) nodes[at].highlighted = true
    return at
  }

  let upstream: Set<number> | undefined
  let downstream: Set<number> | undefined
  const hiddenIn: number[] = []
  const hiddenOut: number[] = []
  for (const i of shown) {
    const n = graph.nodes[i]
    const at = drawnIndex.get(i)!
    for (const v of n.inputs) {
      if (!v || ix.initializers.has(v)) continue
      const p = ix.producer.get(v)
      if (p !== undefined) {
        if (shown.has(p)) edges.push({from: drawnIndex.get(p)!, to: at, highlighted: hl.has(p) && hl.has(i)})
        else hiddenIn.push(at)
      } else if (ix.inputs.has(v) && nodes.length < MAX_DRAWN_NODES - 3) {
        const onPath = i === firstHl
        edges.push({from: io(v, true, onPath), to: at, highlighted: onPath})
      }
    }
    for (const o of n.outputs) {
      if (ix.outputs.has(o) && nodes.length < MAX_DRAWN_NODES - 3) {
        const onPath = i === lastHl
        edges.push({from: at, to: io(o, false, onPath), highlighted: onPath})
      }
      if ((ix.consumers.get(o) ?? []).some((c) => !shown.has(c))) hiddenOut.push(at)
    }
  }

  // Collapsed boxes: the hidden nodes feeding the drawing, the hidden nodes it feeds, the rest.
  if (hiddenIn.length > 0) {
    upstream = new Set<number>()
    const stack = [...shown].flatMap((i) => graph.nodes[i].inputs.map((v) => ix.producer.get(v)).filter((p): p is number => p !== undefined && !shown.has(p)))
    while (stack.length) {
      const p = stack.pop()!
      if (upstream.has(p) || shown.has(p)) continue
      upstream.add(p)
      for (const v of graph.nodes[p].inputs) {
        const q = ix.producer.get(v)
        if (q !== undefined && !upstream.has(q)) stack.push(q)
      }
    }
  }
  if (hiddenOut.length > 0) {
    downstream = new Set<number>()
    const stack = [...shown].flatMap((i) => graph.nodes[i].outputs.flatMap((o) => ix.consumers.get(o) ?? []).filter((c) => !shown.has(c)))
    while (stack.length) {
      const c = stack.pop()!
      if (downstream.has(c) || shown.has(c) || upstream?.has(c)) continue
      downstream.add(c)
      for (const o of graph.nodes[c].outputs) for (const d of ix.consumers.get(o) ?? []) if (!downstream.has(d)) stack.push(d)
    }
  }
  const box = (set: Set<number>, where: string) => {
    nodes.push({
      label: `${set.size} more node${set.size === 1 ? '' : 's'}`,
      sublabel: where,
      hover: `${set.size} nodes ${where}, not drawn: ${opCounts([...set].map((i) => graph.nodes[i]))}`,
      kind: 'collapsed',
      highlighted: false,
    })
    return nodes.length - 1
  }
  if (upstream && upstream.size > 0) {
    const b = box(upstream, 'upstream')
    for (const to of new Set(hiddenIn)) edges.push({from: b, to, highlighted: false})
  }
  if (downstream && downstream.size > 0) {
    const b = box(downstream, 'downstream')
    for (const from of new Set(hiddenOut)) edges.push({from, to: b, highlighted: false})
  }
  const other = graph.nodes.length - shown.size - (upstream?.size ?? 0) - (downstream?.size ?? 0)
  if (other > 0) box(new Set(graph.nodes.map((_, i) => i).filter((i) => !shown.has(i) && !upstream?.has(i) && !downstream?.has(i))), 'elsewhere')

  const steps: PathStep[] = []
  const inName = graph.nodes[firstHl].inputs.find((v) => ix.inputs.has(v))
  if (inName) steps.push({kind: 'input', name: inName})
  for (const i of hlList) steps.push({kind: 'node', name: graph.nodes[i].name, op: graph.nodes[i].opType})
  const outName = graph.nodes[lastHl].outputs.find((o) => ix.outputs.has(o))
  if (outName) steps.push({kind: 'output', name: outName})
  return {graphPath: graph.path, totalNodes: graph.nodes.length, drawing: {nodes, edges}, steps}
}
