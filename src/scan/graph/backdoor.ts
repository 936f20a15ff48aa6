/**
 * Turns merge events of the data-flow analysis into graph-backdoor findings. Severity model
 * (docs/scan.md): a score of 2 for the trigger (any kind), +3 when it is reduced to a per-sample flag, +2 when the merge is in the head
 * (little learned mass between it and an output), +3 when it can override (a constant or
 * weight-free branch replaces the output, an index selects into a constant, or the trigger's
 * amplitude reaches GAIN_MIN); -1 when both If branches compute with their own weights.
 * Caps: masks and index-only use at 3 (info); no override at 5 (low), 3 for a plain saturation or
 * an amplitude below GAIN_LOW.
 * high >= 8, medium >= 6, low >= 4. One finding per trigger seed (its best merge), carrying the
 * trigger path as evidence.
 */
import {makeFinding} from '../rule-catalogue.js'
import type {Finding, Severity} from '../types.js'
import {GAIN_LOW, inHead, KIND_DATA, reachesOutput, type Facts, type MergeEvent, type Seed} from './dataflow.js'
import type {FlatGraph, FlatNode} from './flatten.js'
import {COMPARE_OPS, MIXING_OPS, REDUCE_OPS, SATURATING_OPS} from './ops.js'
import {triggerPath, type TriggerPath} from './evidence.js'

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

export function scoreEvent(e: MergeEvent): number {
  let s = 2
  if (e.reduced) s += 3
  if (e.head) s += 2
  if (e.override) s += 3
  if (e.bothLearned) s -= 1
  if (e.viaIndex || e.gate) s = Math.min(s, 3)
  else if (!e.override) s = Math.min(s, e.seed.kind === 'saturating' || e.amp < GAIN_LOW ? 3 : 5)
  return s
}

export function nodeLocation(n: FlatNode): {node: string; graph: string; function?: string; opType: string} {
  return {node: n.node?.name || `${n.op}`, graph: n.graph, ...(n.fn ? {function: n.fn} : {}), opType: n.op}
}

function ruleFor(e: MergeEvent, sev: Severity): string {
  if (e.viaIndex) return 'MS-GB007'
  if (sev === 'info' || sev === 'low') return e.gate ? 'MS-GB008' : e.head ? 'MS-GB001' : 'MS-GB005'
  if (e.seed.tokenWindow) return 'MS-GB004'
  if (!e.head) return 'MS-GB005'
  if (e.kind === 'select' || e.kind === 'if' || e.kind === 'index') return 'MS-GB002'
  return 'MS-GB003'
}

const SEED_WORDS: Record<string, string> = {
  compare: 'comparison',
  discontinuous: 'discontinuous function',
  steep: 'steep saturating function',
  window: 'narrow window (bump) function',
  saturating: 'saturating function',
}
const KIND_WORDS: Record<string, string> = {
  select: 'selects between learned data and a replacement',
  if: 'switches an If between branches',
  arith: 'is added into the learned output',
  scale: 'scales the learned output',
  index: 'selects positions of learned data',
  mix: 'is mixed into the learned output by a weight',
}

export function backdoorFindings(fg: FlatGraph, f: Facts): Finding[] {
  const best = new Map<number, MergeEvent>()
  for (const e of f.events) {
    if (!reachesOutput(fg, f, e.node)) continue
    e.head = inHead(fg, f, e.node)
    e.score = scoreEvent(e)
    const cur = best.get(e.seed.id)
    if (!cur || e.score > cur.score!) best.set(e.seed.id, e)
  }
  const out: Finding[] = []
  let infos = 0
  for (const e of [...best.values()].sort((a, b) => b.score! - a.score!)) {
    let sev = scoreToSeverity(e.score!)
    if (e.seed.tokenWindow && !e.viaIndex && !e.gate && (sev === 'low' || sev === 'info') && e.reduced) sev = 'medium'
    if (sev === 'info' && ++infos > MAX_INFO_FINDINGS) continue
    const seedNode = fg.nodes[e.seed.node]
    const merge = fg.nodes[e.node]
    const id = ruleFor(e, sev)
    const path: TriggerPath = triggerPath(fg, f, e)
    const how = [
      `${seedNode.op} "${seedNode.node?.name ?? ''}" (${SEED_WORDS[e.seed.kind]}) on ${e.seed.sourceDepth === 0 ? 'raw input' : 'an early feature'}`,
      e.reduced ? 'reduced to a per-sample flag' : 'not reduced',
      `${KIND_WORDS[e.kind]} at ${merge.op} "${merge.node?.name ?? ''}"`,
      e.head ? 'in the head region' : 'before further learned layers',
      e.override ? `with override strength (amplitude ${fmt(e.amp)})` : `amplitude ${fmt(e.amp)}`,
      e.bothLearned ? 'both branches carry learned compute' : '',
      e.viaIndex ? 'used only as an index' : '',
      e.gate ? 'only masks positions' : '',
    ].filter(Boolean)
    out.push(
      makeFinding(id, how.join(', '), nodeLocation(merge), {
        severity: sev,
        evidence: {
          score: e.score,
          seedNode: seedNode.node?.name ?? seedNode.op,
          seedOp: seedNode.op,
          seedKind: e.seed.kind,
          seedGraph: seedNode.graph,
          sourceDepth: e.seed.sourceDepth,
          mergeOp: merge.op,
          mergeKind: e.kind,
          reduced: e.reduced,
          headRegion: e.head,
          override: e.override,
          amplitude: round(e.amp),
          indexOnly: e.viaIndex,
          gate: e.gate,
          bothLearned: e.bothLearned,
          tokenWindow: e.seed.tokenWindow,
          weakSeed: e.seed.kind === 'saturating',
          triggerPath: path,
        },
      }),
    )
  }
  const reported = new Set([...best.values()].filter((e) => e.score! >= 6).map((e) => e.seed))
  out.push(...sideBranchFindings(fg, f, reported))
  // An exposed trigger flag only matters beside a learned output it could accompany.
  const learnedOutput = fg.outputs.some((o) => f.learned[o] === 1)
  for (const o of learnedOutput ? fg.outputs : []) {
    const t = f.taint[o]
    if (t && !t.merged && !f.learned[o] && t.reduced && !t.viaIndex && f.kind[o] === KIND_DATA && t.seed.kind !== 'saturating') {
      out.push(makeFinding('MS-GB009', `graph output "${fg.values[o].name}" is a flag computed from raw input`, {graph: 'main', tensor: fg.values[o].name}))
    }
  }
  for (const nid of f.configIfs.slice(0, MAX_INFO_FINDINGS)) {
    out.push(makeFinding('MS-GB010', 'If condition derives from scalar inputs only (configuration switch)', nodeLocation(fg.nodes[nid])))
  }
  return out
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)) : x > 0 ? 'Infinity' : 0)
const fmt = (x: number) => String(round(x))

/** H7: a tiny branch forking from the same input joins a big one near the output. */
function sideBranchFindings(fg: FlatGraph, f: Facts, reported: Set<Seed>): Finding[] {
  if (f.totalMass <= 0) return []
  const out: Finding[] = []
  const seen = new Set<number>()
  for (const nid of f.order) {
    const node = fg.nodes[nid]
    if (!['Add', 'Sub', 'Sum', 'Mul', 'Max', 'Where', 'Concat', 'Mean', 'Min'].includes(node.op)) continue
    if (!inHead(fg, f, nid)) continue
    const data = node.inputs.filter((i) => i >= 0 && f.kind[i] === KIND_DATA)
    const big = data.find((i) => f.mass[i] >= MAIN_MIN_SHARE * f.totalMass)
    if (big === undefined) continue
    for (const small of data) {
      if (small === big || seen.has(small) || f.mass[small] > SIDE_MAX_SHARE * f.totalMass) continue
      if ((f.rawMask[small] & f.rawMask[big]) === 0 || fg.values[small].source === 'input') continue
      // A branch carrying a trigger is already reported by the trigger's own finding.
      // A branch carrying a trigger already reported at medium or above is not reported twice.
      const t = f.taint[small]
      // A trigger whose amplitude is provably small (a position count scaled by 0.01) cannot override either.
      if (t && (reported.has(t.seed) || t.amp < GAIN_LOW)) continue
      const cone = privateCone(fg, small, nid)
      if (!cone) continue
      seen.add(small)
      out.push(
        makeFinding(
          'MS-GB006',
          `a branch with ${f.mass[small]} of ${f.totalMass} parameters (${cone.nodes} nodes: ${cone.ops.slice(0, 8).join(', ')}) forks from the model input and joins the output at ${node.op} "${node.node?.name ?? ''}"${cone.thresholds ? ', thresholding its input' : ''}`,
          nodeLocation(node),
          {
            severity: cone.thresholds ? 'high' : 'medium',
            evidence: {sideMass: f.mass[small], totalMass: f.totalMass, sideNodes: cone.nodes, sideOps: cone.ops},
          },
        ),
      )
    }
  }
  return out
}

/**
 * The cone of `v` back to the graph inputs, if none of its intermediate values is used outside
 * it (so it shares nothing with the main branch) and it does real work on the input.
 */
function privateCone(fg: FlatGraph, v: number, mergeNode: number): {nodes: number; ops: string[]; thresholds: boolean} | null {
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
  const allowed = new Set(inCone).add(mergeNode)
  let uses = 0
  const valueSet = new Set(values)
  for (const nid of allowed) for (const i of fg.nodes[nid].inputs) if (valueSet.has(i)) uses++
  let consumers = 0
  for (const i of valueSet) consumers += fg.values[i].consumers
  if (consumers > uses) return null
  const ops = [...inCone].map((n) => fg.nodes[n].op)
  const work = ops.some((o) => MIXING_OPS.has(o) || o === 'Slice' || o === 'Gather' || o in SATURATING_OPS || COMPARE_OPS.has(o) || REDUCE_OPS.has(o))
  if (!work) return null
  return {nodes: inCone.size, ops, thresholds: ops.some((o) => o in SATURATING_OPS || COMPARE_OPS.has(o))}
}
