/**
 * Flattens a model into one value graph for the data-flow analysis: subgraphs (If/Loop/Scan and
 * any GRAPH/GRAPHS attribute) are spliced in with pseudo nodes that bind their inputs and outputs,
 * model-local functions are inlined at every call site (keyed by domain, name and overload), and
 * implicit outer-scope captures become ordinary edges. Structural problems found on the way
 * (SSA violations, shadowing, undefined names, call cycles) are collected as issues.
 */
import type {OnnxFunction, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor} from '../../formats/onnx/index.js'
import {numel} from '../../formats/onnx/index.js'

/** Flattened nodes beyond this abort the analysis (function inlining can explode combinatorially). */
export const MAX_FLAT_NODES = 2_000_000
export const MAX_CALL_DEPTH = 32

export type FlatKind = 'op' | 'if' | 'phi'

export interface FlatNode {
  op: string
  domain: string
  kind: FlatKind
  inputs: number[]
  /**
   * Loop/Scan carried state: the body output that feeds this body input on the next iteration.
   * Kept apart from `inputs` so the node order stays a DAG; the data-flow analysis iterates them
   * to a bounded fixpoint.
   */
  back?: number[]
  outputs: number[]
  node?: OnnxNode
  graph: string
  fn?: string
}

export type ValueSource = 'input' | 'init' | 'node' | 'undefined' | 'bound' | 'iter'

export interface FlatValue {
  name: string
  source: ValueSource
  producer: number
  /** Main-graph input facts. */
  input?: {index: number; scalar: boolean; integer: boolean}
  tensor?: OnnxTensor
  numel: number
  graph: string
  consumers: number
}

export interface FlatIssue {
  kind: 'duplicate-name' | 'shadowing' | 'undefined-name' | 'call-cycle' | 'call-depth' | 'budget'
  message: string
  graph: string
  node?: string
  name?: string
}

export interface FlatGraph {
  nodes: FlatNode[]
  values: FlatValue[]
  inputs: number[]
  outputs: number[]
  initializers: number[]
  issues: FlatIssue[]
}

export class BudgetExceeded extends Error {}

interface Scope {
  names: Map<string, number>
  parent?: Scope
}

function lookup(scope: Scope, name: string): number | undefined {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const id = s.names.get(name)
    if (id !== undefined) return id
  }
  return undefined
}

const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 12, 13])

export function flattenModel(model: OnnxModel): FlatGraph {
  const fg: FlatGraph = {nodes: [], values: [], inputs: [], outputs: [], initializers: [], issues: []}
  const fns = new Map<string, OnnxFunction>()
  for (const f of model.functions) fns.set(`${f.domain}|${f.name}|${f.overload}`, f)
  const callStack: string[] = []

  const newValue = (name: string, source: ValueSource, graph: string, extra?: Partial<FlatValue>): number => {
    const v: FlatValue = {name, source, producer: -1, numel: -1, graph, consumers: 0}
    fg.values.push(extra ? Object.assign(v, extra) : v)
    return fg.values.length - 1
  }
  const emit = (n: FlatNode): number => {
    if (fg.nodes.length >= MAX_FLAT_NODES) throw new BudgetExceeded(`more than ${MAX_FLAT_NODES} nodes after inlining functions`)
    fg.nodes.push(n)
    const id = fg.nodes.length - 1
    for (const o of n.outputs) if (o >= 0 && fg.values[o].producer < 0) fg.values[o].producer = id
    for (const i of n.inputs) if (i >= 0) fg.values[i].consumers++
    return id
  }
  /** Binds name -> id in scope; false (and an issue) when the name was already bound there. */
  const define = (scope: Scope, name: string, id: number, graph: string, node?: string): boolean => {
    if (name === '') return true
    const before = scope.names.size
    scope.names.set(name, scope.names.get(name) ?? id)
    if (scope.names.size === before) {
      fg.issues.push({kind: 'duplicate-name', message: `value "${name}" is defined more than once`, graph, node, name})
      return false
    }
    if (scope.parent && lookup(scope.parent, name) !== undefined) {
      fg.issues.push({kind: 'shadowing', message: `subgraph value "${name}" shadows a value of an enclosing graph`, graph, node, name})
    }
    return true
  }
  const resolve = (scope: Scope, name: string, graph: string, node: OnnxNode): number => {
    if (name === '') return -1
    const id = lookup(scope, name)
    if (id !== undefined) return id
    fg.issues.push({kind: 'undefined-name', message: `node input "${name}" is not defined in scope`, graph, node: node.name || node.opType, name})
    const v = newValue(name, 'undefined', graph)
    scope.names.set(name, v)
    return v
  }

  /** Adds a graph's nodes in `scope`; its formal inputs must already be defined by the caller. */
  const addGraph = (g: OnnxGraph, scope: Scope, fn: string | undefined): void => {
    for (const t of g.initializers) {
      const id = newValue(t.name, 'init', g.path, {tensor: t, numel: numel(t.dims)})
      define(scope, t.name, id, g.path)
      if (g.depth === 0 && !fn) fg.initializers.push(id)
    }
    for (const s of g.sparseInitializers) {
      const t = s.values
      if (!t) continue
      const id = newValue(t.name, 'init', g.path, {numel: numel(s.dims)})
      define(scope, t.name, id, g.path)
    }
    const outIds: number[][] = []
    for (const n of g.nodes) {
      const ids: number[] = []
      for (const o of n.outputs) {
        if (o === '') {
          ids.push(-1)
          continue
        }
        // A duplicate definition gets its own value (first definition wins for readers).
        const id = newValue(o, 'node', g.path)
        define(scope, o, id, g.path, n.name || n.opType)
        ids.push(id)
      }
      outIds.push(ids)
    }
    g.nodes.forEach((n, i) => addNode(n, outIds[i], scope, g, fn))
  }

  /** Scope for a loop-like body; `phis[k]` is the pseudo node binding body input k (or -1). */
  const subScope = (g: OnnxGraph, parent: Scope, bind: number[]): {scope: Scope; phis: number[]} => {
    const scope: Scope = {names: new Map(), parent}
    const phis: number[] = []
    g.inputs.forEach((vi, k) => {
      const id = newValue(vi.name, 'bound', g.path)
      define(scope, vi.name, id, g.path)
      phis.push(bind[k] !== undefined ? emit({op: 'Phi', domain: '', kind: 'phi', inputs: bind[k] >= 0 ? [bind[k]] : [], outputs: [id], graph: g.path}) : -1)
    })
    return {scope, phis}
  }
  /** Carried state: body output `out` flows back into the body input bound by `phi`. */
  const backEdge = (phi: number, out: number | undefined): void => {
    if (phi < 0 || out === undefined || out < 0) return
    const n = fg.nodes[phi]
    ;(n.back ??= []).push(out)
    fg.values[out].consumers++
  }
  const graphOutputs = (g: OnnxGraph, scope: Scope, node: OnnxNode): number[] => g.outputs.map((o) => resolve(scope, o.name, g.path, node))

  const addNode = (n: OnnxNode, outs: number[], scope: Scope, g: OnnxGraph, fn: string | undefined): void => {
    const ins = n.inputs.map((i) => resolve(scope, i, g.path, n))
    const graphs: OnnxGraph[] = []
    for (const a of n.attributes) {
      if (a.g) graphs.push(a.g)
      if (a.graphs.length > 0) graphs.push(...a.graphs)
    }
    const key = fns.size > 0 ? `${n.domain}|${n.opType}|${n.overload}` : ''
    const f = fns.size > 0 ? fns.get(key) : undefined
    const isStd = n.domain === '' || n.domain === 'ai.onnx'
    if (isStd && n.opType === 'If' && graphs.length > 0) {
      const thenG = n.attributes.find((a) => a.name === 'then_branch')?.g
      const elseG = n.attributes.find((a) => a.name === 'else_branch')?.g
      const branch = (bg: OnnxGraph): number[] => {
        const s: Scope = {names: new Map(), parent: scope}
        addGraph(bg, s, fn)
        return graphOutputs(bg, s, n)
      }
      const thenOut = thenG ? branch(thenG) : []
      const elseOut = elseG ? branch(elseG) : []
      outs.forEach((o, k) => {
        emit({op: 'If', domain: '', kind: 'if', inputs: [ins[0] ?? -1, thenOut[k] ?? -1, elseOut[k] ?? -1], outputs: [o], node: n, graph: g.path, fn})
      })
      return
    }
    if (isStd && n.opType === 'Loop' && graphs.length > 0) {
      const body = graphs[0]
      const iter = newValue('loop-iteration', 'iter', body.path)
      const {scope: s, phis} = subScope(body, scope, [iter, ins[1] ?? -1, ...ins.slice(2)])
      addGraph(body, s, fn)
      const bo = graphOutputs(body, s, n)
      const carried = Math.max(0, ins.length - 2)
      // Body outputs are (condition, carried..., scan outputs...); body inputs (iteration, condition, carried...).
      for (let k = 0; k <= carried; k++) backEdge(phis[1 + k] ?? -1, bo[k])
      outs.forEach((o, k) => {
        const src = k < carried ? [ins[2 + k], bo[1 + k]] : [bo[1 + k]]
        emit({op: 'Phi', domain: '', kind: 'phi', inputs: src.filter((x) => x !== undefined && x >= 0), outputs: [o], node: n, graph: g.path, fn})
      })
      return
    }
    if (isStd && n.opType === 'Scan' && graphs.length > 0) {
      const body = graphs[0]
      const {scope: s, phis} = subScope(body, scope, ins)
      addGraph(body, s, fn)
      const bo = graphOutputs(body, s, n)
      // Scan (opset 9+): the first N = inputs - num_scan_inputs body inputs and outputs are the state.
      const nScan = n.attributes.find((a) => a.name === 'num_scan_inputs')?.i ?? 0
      const states = Math.max(0, ins.length - nScan)
      for (let k = 0; k < states; k++) backEdge(phis[k] ?? -1, bo[k])
      outs.forEach((o, k) =>
        emit({op: 'Phi', domain: '', kind: 'phi', inputs: bo[k] !== undefined && bo[k] >= 0 ? [bo[k]] : [], outputs: [o], node: n, graph: g.path, fn}),
      )
      return
    }
    if (f && graphs.length === 0) {
      if (callStack.includes(key)) {
        fg.issues.push({kind: 'call-cycle', message: `function ${n.domain}.${n.opType} calls itself (directly or indirectly)`, graph: g.path, node: n.name})
      } else if (callStack.length >= MAX_CALL_DEPTH) {
        fg.issues.push({kind: 'call-depth', message: `function calls nested deeper than ${MAX_CALL_DEPTH}`, graph: g.path, node: n.name})
      } else {
        callStack.push(key)
        const fscope: Scope = {names: new Map()}
        f.inputs.forEach((name, k) => fscope.names.set(name, ins[k] ?? newValue(name, 'undefined', f.body.path)))
        addGraph(f.body, fscope, f.body.path)
        outs.forEach((o, k) => {
          const src = lookup(fscope, f.outputs[k] ?? '')
          emit({op: 'Identity', domain: '', kind: 'phi', inputs: src !== undefined ? [src] : [], outputs: [o], node: n, graph: g.path, fn})
        })
        callStack.pop()
        return
      }
    }
    if (graphs.length > 0) {
      // Any other graph-carrying op (SequenceMap, BeamSearch, custom ops): bodies see all node inputs.
      const bodyOuts: number[] = []
      for (const body of graphs) {
        const {scope: s} = subScope(
          body,
          scope,
          body.inputs.map(() => -1),
        )
        for (const vi of body.inputs) {
          const id = s.names.get(vi.name)!
          emit({op: 'Phi', domain: '', kind: 'phi', inputs: ins.filter((x) => x >= 0), outputs: [id], graph: body.path})
        }
        addGraph(body, s, fn)
        bodyOuts.push(...graphOutputs(body, s, n).filter((x) => x >= 0))
      }
      emit({op: n.opType, domain: n.domain, kind: 'op', inputs: [...ins, ...bodyOuts], outputs: outs, node: n, graph: g.path, fn})
      return
    }
    emit({op: n.opType, domain: n.domain, kind: 'op', inputs: ins, outputs: outs, node: n, graph: g.path, fn})
    if (n.opType === 'Constant' && isStd) {
      const a = n.attributes.find((x) => x.t) ?? n.attributes[0]
      const v = fg.values[outs[0]]
      if (v && a) {
        if (a.t) {
          v.tensor = a.t
          v.numel = numel(a.t.dims)
        } else if (a.sparseTensor) v.numel = numel(a.sparseTensor.dims)
        else v.numel = a.floats.length || a.ints.length || a.strings.length || 1
      }
    }
  }

  const main = model.graph
  const mainScope: Scope = {names: new Map()}
  const initNames = new Set(main.initializers.map((t) => t.name))
  main.inputs.forEach((vi, index) => {
    if (initNames.has(vi.name)) return // IR < 4 lists weights as inputs: they are weights
    const shape = vi.type?.shape
    const scalar = shape?.every((d) => typeof d === 'number' && d <= 1) ?? false
    const integer = vi.type?.elemType !== undefined && INT_TYPES.has(vi.type.elemType)
    const id = newValue(vi.name, 'input', main.path, {input: {index, scalar, integer}})
    define(mainScope, vi.name, id, main.path)
    fg.inputs.push(id)
  })
  addGraph(main, mainScope, undefined)
  for (const o of main.outputs) {
    const id = lookup(mainScope, o.name)
    if (id !== undefined) {
      fg.outputs.push(id)
      fg.values[id].consumers++
    } else fg.issues.push({kind: 'undefined-name', message: `graph output "${o.name}" is not produced by any node`, graph: main.path, name: o.name})
  }
  return fg
}
