/**
 * Turns merge events of the data-flow analysis into graph-backdoor findings, scored as in the
 * detection.md §1.5 prototype: base 2 (1 for a weak seed) + 1 compare vs constant + 3 reduced to a
 * flag + 3 head region + 2 override; -3 when both If branches carry learned compute; index-typed
 * use capped at 3. high >= 8, medium >= 6, low >= 4, else info. One finding per seed (its best event).
 */
import {makeFinding} from '../rule-catalogue.js'
import type {Finding, Severity} from '../types.js'
import {KIND_DATA, nodeDist, type Facts, type MergeEvent} from './dataflow.js'
import type {FlatGraph, FlatNode} from './flatten.js'
import {COMPARE_OPS, MIXING_OPS, REDUCE_OPS, THRESHOLD_OPS} from './ops.js'

/** Info-level backdoor findings kept per file (attention masks in every layer would flood the report). */
export const MAX_INFO_FINDINGS = 10
/** Side branch: at most this share of the model's parameters... */
export const SIDE_MAX_SHARE = 0.01
/** ...joining a branch with at least this share. */
export const MAIN_MIN_SHARE = 0.5
const SIDE_CONE_LIMIT = 2000

export function scoreToSeverity(score: number): Severity {
  return score >= 8 ? 'high' : score >= 6 ? 'medium' : score >= 4 ? 'low' : 'info'
}

function score(e: MergeEvent): number {
  let s = e.seed.strong ? 2 : 1
  if (e.seed.constCompare) s += 1
  if (e.reduced) s += 3
  if (e.head) s += 3
  if (e.override) s += 2
  if (e.bothLearned) s -= 3
  if (e.viaIndex || e.gate) s = Math.min(s, 3)
  return s
}

export function nodeLocation(n: FlatNode): {node: string; graph: string; function?: string; opType: string} {
  return {node: n.node?.name || `${n.op}`, graph: n.graph, ...(n.fn ? {function: n.fn} : {}), opType: n.op}
}

function ruleFor(e: MergeEvent, sev: Severity): string {
  if (e.viaIndex) return 'MS-GB007'
  if (sev === 'info' || sev === 'low') return e.reduced ? (e.head ? 'MS-GB001' : 'MS-GB005') : 'MS-GB008'
  if (e.seed.tokenWindow) return 'MS-GB004'
  if (!e.head) return 'MS-GB005'
  if (e.kind === 'select' || e.kind === 'if') return 'MS-GB002'
  if (e.kind === 'arith') return 'MS-GB003'
  return 'MS-GB001'
}

export function backdoorFindings(fg: FlatGraph, f: Facts): Finding[] {
  const best = new Map<number, MergeEvent>()
  for (const e of f.events) {
    e.head = nodeDist(fg, f, fg.nodes[e.node]) === 0
    e.score = score(e)
    const cur = best.get(e.seed.id)
    if (!cur || e.score! > cur.score!) best.set(e.seed.id, e)
  }
  const out: Finding[] = []
  let infos = 0
  for (const e of [...best.values()].sort((a, b) => b.score! - a.score!)) {
    let sev = scoreToSeverity(e.score!)
    if (e.seed.tokenWindow && !e.viaIndex && (sev === 'low' || sev === 'info') && e.reduced) sev = 'medium'
    if (sev === 'info' && ++infos > MAX_INFO_FINDINGS) continue
    const seedNode = fg.nodes[e.seed.node]
    const merge = fg.nodes[e.node]
    const id = ruleFor(e, sev)
    const how = [
      e.seed.strong ? `${seedNode.op} on raw input` : `thresholded raw input reduced by ${seedNode.op}`,
      e.reduced ? 'reduced to a per-sample flag' : 'not reduced',
      `merged into learned data at ${merge.op} "${merge.node?.name ?? ''}"`,
      e.head ? 'in the head region (no learned layer before the output)' : 'before further learned layers',
      e.override ? 'with an override constant or weight-free branch' : '',
      e.bothLearned ? 'both branches carry learned compute' : '',
      e.viaIndex ? 'used only as an index' : '',
      e.gate ? 'only masks (zeroes or fills) positions' : '',
    ].filter(Boolean)
    out.push(makeFinding(id, how.join(', '), nodeLocation(merge), {
      severity: sev,
      evidence: {
        score: e.score, seedNode: seedNode.node?.name ?? seedNode.op, seedOp: seedNode.op, seedGraph: seedNode.graph,
        mergeOp: merge.op, reduced: e.reduced, headRegion: e.head, override: e.override, indexOnly: e.viaIndex, gate: e.gate ?? false,
        tokenWindow: e.seed.tokenWindow, weakSeed: !e.seed.strong,
      },
    }))
  }
  out.push(...sideBranchFindings(fg, f))
  // An exposed trigger flag only matters beside a learned output it could accompany; in a model
  // without learned outputs (a loss, a preprocessing graph) raw reductions are the model itself.
  const learnedOutput = fg.outputs.some((o) => f.learned[o] === 1)
  for (const o of learnedOutput ? fg.outputs : []) {
    const t = f.taint[o]
    if (t && !f.learned[o] && t.reduced && !t.viaIndex && f.kind[o] === KIND_DATA) {
      out.push(makeFinding('MS-GB009', `graph output "${fg.values[o].name}" is a flag computed from raw input`, {graph: 'main', tensor: fg.values[o].name}))
    }
  }
  for (const nid of f.configIfs.slice(0, MAX_INFO_FINDINGS)) {
    out.push(makeFinding('MS-GB010', 'If condition derives from scalar inputs only (configuration switch)', nodeLocation(fg.nodes[nid])))
  }
  return out
}

/** H7: a tiny branch forking from the same input joins a big one near the output. */
function sideBranchFindings(fg: FlatGraph, f: Facts): Finding[] {
  if (f.totalMass <= 0) return []
  const out: Finding[] = []
  const seen = new Set<number>()
  for (const nid of f.order) {
    const node = fg.nodes[nid]
    if (!['Add', 'Sub', 'Sum', 'Mul', 'Max', 'Where', 'Concat', 'Mean', 'Min'].includes(node.op)) continue
    if (nodeDist(fg, f, node) !== 0) continue
    const data = node.inputs.filter((i) => i >= 0 && f.kind[i] === KIND_DATA)
    const big = data.find((i) => f.mass[i] >= MAIN_MIN_SHARE * f.totalMass)
    if (big === undefined) continue
    for (const small of data) {
      if (small === big || seen.has(small) || f.mass[small] > SIDE_MAX_SHARE * f.totalMass) continue
      if ((f.rawMask[small] & f.rawMask[big]) === 0 || fg.values[small].source === 'input') continue
      // A branch carrying a trigger seed is already reported by the seed's own finding.
      if (f.taint[small] && !f.taint[small]!.viaIndex) continue
      const cone = privateCone(fg, small, nid)
      if (!cone) continue
      seen.add(small)
      const strong = cone.thresholds || cone.seeded
      out.push(makeFinding('MS-GB006',
        `a branch with ${f.mass[small]} of ${f.totalMass} parameters (${cone.nodes} nodes: ${cone.ops.slice(0, 8).join(', ')}) forks from the model input and joins the output at ${node.op} "${node.node?.name ?? ''}"${strong ? ', thresholding its input' : ''}`,
        nodeLocation(node),
        {severity: strong ? 'high' : 'medium', evidence: {sideMass: f.mass[small], totalMass: f.totalMass, sideNodes: cone.nodes, sideOps: cone.ops}}))
    }
  }
  return out
}

/**
 * The cone of `v` back to the graph inputs, if none of its intermediate values is used outside
 * it (so it shares nothing with the main branch) and it does real work on the input.
 */
function privateCone(fg: FlatGraph, v: number, mergeNode: number): {nodes: number; ops: string[]; thresholds: boolean; seeded: boolean} | null {
  const inCone = new Set<number>()
  const stack = [fg.values[v].producer]
  const values: number[] = [v]
  while (stack.length > 0) {
    const nid = stack.pop()!
    if (nid < 0 || inCone.has(nid)) continue
    if (inCone.size >= SIDE_CONE_LIMIT) return null
    inCone.add(nid)
    for (const i of fg.nodes[nid].inputs) {
      if (i < 0) continue
      const val = fg.values[i]
      if (val.source === 'input' || val.source === 'init' || val.tensor) continue
      values.push(i)
      stack.push(val.producer)
    }
  }
  // Every intermediate value must be consumed only inside the cone (or by the merge node).
  const allowed = new Set(inCone).add(mergeNode)
  let uses = 0
  const valueSet = new Set(values)
  for (const nid of allowed) for (const i of fg.nodes[nid].inputs) if (valueSet.has(i)) uses++
  let consumers = 0
  for (const i of valueSet) consumers += fg.values[i].consumers
  if (consumers > uses) return null
  const ops = [...inCone].map((n) => fg.nodes[n].op)
  const work = ops.some((o) => MIXING_OPS.has(o) || o === 'Slice' || o === 'Gather' || THRESHOLD_OPS.has(o) || COMPARE_OPS.has(o) || REDUCE_OPS.has(o))
  if (!work) return null
  return {nodes: inCone.size, ops, thresholds: ops.some((o) => THRESHOLD_OPS.has(o) || COMPARE_OPS.has(o)), seeded: false}
}
