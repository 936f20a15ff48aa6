/** Iterative walks over every graph, node and tensor of a model (no recursion: nesting is hostile input). */
import type {OnnxGraph, OnnxModel, OnnxNode, OnnxSparseTensor, OnnxTensor} from './types.js'

export interface GraphVisit {
  graph: OnnxGraph
  /** Function the graph belongs to (body or nested inside), if any. */
  fn?: string
}

/** Every graph: main, nested subgraphs (any GRAPH/GRAPHS attribute), function bodies, training graphs. */
export function* walkGraphs(model: OnnxModel): Generator<GraphVisit> {
  const stack: GraphVisit[] = []
  for (let i = model.functions.length - 1; i >= 0; i--) stack.push({graph: model.functions[i].body, fn: model.functions[i].body.path})
  for (let i = model.trainingGraphs.length - 1; i >= 0; i--) stack.push({graph: model.trainingGraphs[i]})
  stack.push({graph: model.graph})
  while (stack.length > 0) {
    const v = stack.pop()!
    yield v
    const subs: OnnxGraph[] = []
    for (const n of v.graph.nodes)
      for (const a of n.attributes) {
        if (a.g) subs.push(a.g)
        for (const g of a.graphs) subs.push(g)
      }
    for (let i = subs.length - 1; i >= 0; i--) stack.push({graph: subs[i], fn: v.fn})
  }
}

export function* walkNodes(model: OnnxModel): Generator<{node: OnnxNode; graph: OnnxGraph; fn?: string}> {
  for (const v of walkGraphs(model)) for (const node of v.graph.nodes) yield {node, graph: v.graph, fn: v.fn}
}

export type TensorRole = 'initializer' | 'sparse-values' | 'sparse-indices' | 'attribute'

export interface TensorVisit {
  tensor: OnnxTensor
  role: TensorRole
  graph: OnnxGraph
  node?: OnnxNode
  fn?: string
}

function* sparseParts(s: OnnxSparseTensor): Generator<[OnnxTensor, TensorRole]> {
  if (s.values) yield [s.values, 'sparse-values']
  if (s.indices) yield [s.indices, 'sparse-indices']
}

/** Every TensorProto: initializers, sparse initializers, Constant/attribute tensors, in every scope. */
export function* walkTensors(model: OnnxModel): Generator<TensorVisit> {
  for (const {graph, fn} of walkGraphs(model)) {
    for (const t of graph.initializers) yield {tensor: t, role: 'initializer', graph, fn}
    for (const s of graph.sparseInitializers) for (const [t, role] of sparseParts(s)) yield {tensor: t, role, graph, fn}
    for (const node of graph.nodes)
      for (const a of node.attributes) {
        if (a.t) yield {tensor: a.t, role: 'attribute', graph, node, fn}
        for (const t of a.tensors) yield {tensor: t, role: 'attribute', graph, node, fn}
        const sparse = a.sparseTensor ? [a.sparseTensor, ...a.sparseTensors] : a.sparseTensors
        for (const s of sparse) for (const [t] of sparseParts(s)) yield {tensor: t, role: 'attribute', graph, node, fn}
      }
  }
}
