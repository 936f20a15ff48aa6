/**
 * The evidence of a graph-backdoor finding: the trigger path from a graph input through the
 * trigger's source and step, along the trigger to the merge, and on to a graph output. Its JSON
 * shape is documented in docs/scan.md ("Evidence") and kept flat so reports can draw it.
 */
import type {Facts, MergeEvent} from './dataflow.js'
import type {FlatGraph} from './flatten.js'

export type StepRole = 'source' | 'seed' | 'trigger' | 'merge' | 'sink'

export interface PathStep {
  role: StepRole
  /** Node name as written in the model (or "<op>#<index>" for an unnamed node). */
  node: string
  op: string
  /** Graph path ("main", "main/If_0.then_branch", "function:domain.name"...). */
  graph: string
  /** The function call this node was inlined from, if any. */
  function?: string
  /** The value the node produces on this path. */
  output: string
}

export interface TriggerPath {
  input: string | null
  output: string | null
  steps: PathStep[]
  /** Steps left out of long segments (the middle of each segment is elided). */
  elided: number
}

/** Steps kept per segment: the first and last half of this many. */
export const MAX_SEGMENT_STEPS = 12

/** The name a path step (and a rendered graph) uses for a node. */
export function stepName(fg: FlatGraph, nid: number): string {
  const n = fg.nodes[nid]
  return n.node?.name || `${n.node?.opType ?? n.op}#${nid}`
}

function step(fg: FlatGraph, nid: number, role: StepRole, output: number): PathStep | null {
  const n = fg.nodes[nid]
  if (n.kind === 'phi' && !n.node) return null // binding of a subgraph input: not a model node
  return {
    role,
    node: stepName(fg, nid),
    op: n.node?.opType ?? n.op,
    graph: n.graph,
    ...(n.fn ? {function: n.fn} : {}),
    output: output >= 0 ? fg.values[output].name : '',
  }
}

function clip(steps: PathStep[], counter: {elided: number}): PathStep[] {
  if (steps.length <= MAX_SEGMENT_STEPS) return steps
  const half = MAX_SEGMENT_STEPS / 2
  counter.elided += steps.length - MAX_SEGMENT_STEPS
  return [...steps.slice(0, half), ...steps.slice(-half)]
}

export function triggerPath(fg: FlatGraph, f: Facts, e: MergeEvent): TriggerPath {
  const counter = {elided: 0}
  const limit = fg.nodes.length + 1
  // 1. graph input -> the trigger's source value (walking producers along raw-derived inputs).
  const source: PathStep[] = []
  let v = e.seed.source
  let input: string | null = null
  for (let k = 0; v >= 0 && k < limit; k++) {
    const val = fg.values[v]
    if (val.source === 'input') {
      input = val.name
      break
    }
    if (val.producer < 0) break
    const s = step(fg, val.producer, 'source', v)
    if (s) source.push(s)
    v = f.dprev[v]
  }
  source.reverse()
  // 2. the step (seed) -> the trigger operand of the merge (walking taint predecessors).
  const trigger: PathStep[] = []
  v = e.trigger
  for (let k = 0; v >= 0 && k < limit; k++) {
    const p = fg.values[v].producer
    if (p < 0) break
    if (p === e.seed.node) break
    const s = step(fg, p, 'trigger', v)
    if (s) trigger.push(s)
    v = f.tprev[v]
  }
  trigger.reverse()
  const seedOut = fg.nodes[e.seed.node].outputs.find((o) => o >= 0) ?? -1
  const seed = step(fg, e.seed.node, 'seed', seedOut)
  // 3. the merge -> a graph output (along the least-learned-mass path).
  const mergeOut = fg.nodes[e.node].outputs.reduce((b, o) => (o >= 0 && (b < 0 || f.massAfter[o] < f.massAfter[b]) ? o : b), -1)
  const merge = step(fg, e.node, 'merge', mergeOut)
  const sink: PathStep[] = []
  const outputs = new Set(fg.outputs)
  v = mergeOut
  let output: string | null = null
  for (let k = 0; v >= 0 && k < limit; k++) {
    if (outputs.has(v)) {
      output = fg.values[v].name
      break
    }
    const nid = f.toOut[v]
    if (nid < 0) break
    const outs = fg.nodes[nid].outputs
    const next = outs.reduce((b, o) => (o >= 0 && (b < 0 || f.massAfter[o] < f.massAfter[b]) ? o : b), -1)
    const s = step(fg, nid, 'sink', next)
    if (s) sink.push(s)
    v = next
  }
  const steps = [...clip(source, counter), ...(seed ? [seed] : []), ...clip(trigger, counter), ...(merge ? [merge] : []), ...clip(sink, counter)]
  return {input, output, steps, elided: counter.elided}
}

/** One line for text reports: input → Op(name) → … → output. */
export function formatPath(p: TriggerPath): string {
  const parts: string[] = []
  if (p.input) parts.push(p.input)
  for (const s of p.steps) parts.push(`${s.role === 'merge' ? '*' : ''}${s.op}(${s.node})${s.role === 'merge' ? '*' : ''}`)
  if (p.output) parts.push(p.output)
  return parts.join(' → ') + (p.elided ? ` (${p.elided} steps elided)` : '')
}
