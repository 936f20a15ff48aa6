/**
 * Graph analysis of one parsed ONNX model: data-flow backdoor rules, custom ops, external data,
 * structure, metadata and (optionally) a baseline diff.
 */
import type {ByteSource, OnnxModel, OnnxTensor} from '../../formats/onnx/index.js'
import {makeFinding} from '../rule-catalogue.js'
import {nowMs} from '../../util/clock.js'
import {severityRank, type Finding} from '../types.js'
import {backdoorFindings} from './backdoor.js'
import {baselineFindings} from './baseline.js'
import {analyzeDataflow, type Facts} from './dataflow.js'
import {BudgetExceeded, flattenModel, type FlatGraph} from './flatten.js'
import {customOpFindings, externalDataFindings, metadataFindings, structureFindings} from './structure.js'

export interface GraphAnalysis {
  findings: Finding[]
  /** External data files referenced but missing: the file could not be fully scanned. */
  missingExternal: string[]
  /** Tensors used as the weight operand of a mixing op (Conv/MatMul/Gemm/embedding...). */
  weightTensors: Set<OnnxTensor>
  /** The flattened graph the analysis ran on (absent when a budget stopped it). */
  flat?: FlatGraph
  stats: {flatNodes: number; values: number; seeds: number; mergeEvents: number; totalParams: number; passes: number; flattenMs: number; dataflowMs: number}
}

export interface GraphOptions {
  baseline?: {model: OnnxModel; source: ByteSource}
}

export function analyzeOnnxGraph(model: OnnxModel, source: ByteSource, filePath: string, opts: GraphOptions = {}): GraphAnalysis {
  const findings: Finding[] = []
  let fg: FlatGraph | undefined
  let facts: Facts | undefined
  const t0 = nowMs()
  let t1 = t0
  try {
    fg = flattenModel(model)
    t1 = nowMs()
    facts = analyzeDataflow(fg, source)
  } catch (err) {
    if (!(err instanceof BudgetExceeded)) throw err
    findings.push(makeFinding('MS-GS011', `graph too large to analyse: ${err.message}`, {graph: 'main'}))
    fg = undefined
  }
  const t2 = nowMs()
  if (fg && facts) {
    findings.push(...backdoorFindings(fg, facts))
    if (facts.cycle) findings.push(makeFinding('MS-GS008', 'the graph contains a dependency cycle', {graph: 'main'}))
  }
  findings.push(...customOpFindings(model))
  const ext = externalDataFindings(model, filePath)
  findings.push(...ext.findings)
  findings.push(...structureFindings(model, fg, source, facts))
  findings.push(...metadataFindings(model))
  if (opts.baseline) {
    const diff = baselineFindings(model, source, opts.baseline.model, opts.baseline.source)
    // An added node that is itself the merge point of a backdoor finding is the backdoor.
    const hot = new Set(
      findings.filter((f) => f.category === 'graph-backdoor' && severityRank(f.severity) >= 2).flatMap((f) => [f.location.node, f.evidence?.seedNode]),
    )
    for (const d of diff) if (d.id === 'MS-BD001' && hot.has(d.location.node)) d.severity = 'high'
    findings.push(...diff)
  }
  const weightTensors = new Set<OnnxTensor>()
  if (fg && facts) {
    fg.nodes.forEach((n, nid) => {
      if (!facts!.mixing[nid]) return
      for (const i of n.inputs) if (i >= 0 && fg!.values[i].tensor && fg!.values[i].numel >= 256) weightTensors.add(fg!.values[i].tensor!)
    })
  }
  return {
    findings,
    missingExternal: ext.missing,
    weightTensors,
    ...(fg ? {flat: fg} : {}),
    stats: {
      flatNodes: fg?.nodes.length ?? 0,
      values: fg?.values.length ?? 0,
      seeds: facts?.seeds.length ?? 0,
      mergeEvents: facts?.events.length ?? 0,
      totalParams: facts?.totalMass ?? 0,
      passes: facts?.passes ?? 0,
      flattenMs: Math.round(t1 - t0),
      dataflowMs: Math.round(t2 - t1),
    },
  }
}

export {flattenModel, analyzeDataflow, backdoorFindings}
