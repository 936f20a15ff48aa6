/**
 * Abstract interpretation of a flattened model (docs/scan.md, "Principle"): a graph backdoor is a
 * low-parameter path from the input (or an early feature) through a saturating or discontinuous
 * function that joins the output path with enough gain to override the learned computation.
 *
 * Every value gets: its kind (CONST / SHAPE / DATA), the learned-parameter mass and the number of
 * learned layers on its deepest path, the graph inputs it derives from, and — for low-parameter
 * data — the slope of the path since the last learned layer and whether it passed a kink or a
 * non-monotone function. A value that turns such data into a step (a comparison, Floor, a
 * Sigmoid of a steep input, a window like Relu(1 - k|x - c|)...) seeds a trigger taint; taint
 * flows through every operator (value operands; index operands select) carrying the trigger's
 * amplitude and whether it was reduced to a per-sample flag. Where a trigger meets learned data
 * that does not already carry it, a merge event is recorded. Loop/Scan carried state is iterated
 * to a bounded fixpoint (MAX_PASSES).
 */
import type {ByteSource} from '../../formats/onnx/index.js'
import {ConstSummaries, nonUniform} from './consts.js'
import type {FlatGraph} from './flatten.js'
import {
  COMPARE_OPS,
  DISCONTINUOUS_OPS,
  INTEGER_TYPES,
  isIndexOperand,
  LEARNED_MIN,
  MIXING_OPS,
  NON_MIXING_OPS,
  NON_MONOTONE_OPS,
  PASS_OPS,
  REDUCE_OPS,
  SATURATING_OPS,
  SHAPE_OPS,
} from './ops.js'

export const KIND_CONST = 0
export const KIND_SHAPE = 1
export const KIND_DATA = 2
/** Slope (output change per unit of input change) at which a saturating function acts as a step. */
export const STEEP = 4
/** Trigger amplitude that outweighs a learned output (logits and embeddings are O(1..10)). */
export const GAIN_MIN = 5
/** Below this amplitude an additive trigger cannot change a decision. */
export const GAIN_LOW = 1
/** Passes over the graph: carried Loop/Scan state converges within this many (or is cut off). */
export const MAX_PASSES = 4
/** Amplitude credited to a trigger scaled by a reduction of the learned output itself. */
export const ADAPTIVE_GAIN = 1000
/** Exponent from which Pow(x, k) acts as a step. */
export const POW_STEP = 8
/** Values a seed remembers it compared (for recognising a flag that gates its own source). */
export const MAX_SEED_OPERANDS = 8
/** A learned partner needs at least this share of the output's learned mass. */
export const PARTNER_SHARE = 0.1

/**
 * compare/discontinuous: a jump; steep: a saturation of a steep input; window: a saturation of a
 * non-monotone input (a bump); saturating: a plain kink or saturation of an early feature (weak:
 * legitimate activations look like this, so it never crosses a learned layer and needs gain).
 */
export type SeedKind = 'compare' | 'discontinuous' | 'steep' | 'window' | 'saturating'

export interface Seed {
  id: number
  node: number
  kind: SeedKind
  /** The low-parameter data value the step reads (for the evidence path). */
  source: number
  /** Learned layers between the graph input and the trigger's source (0 = raw input). */
  sourceDepth: number
  constCompare: boolean
  /** Integer input compared against >= 2 distinct constants (token-id window). */
  tokenWindow: boolean
  integerInput: boolean
  operands: number[]
}

export interface Taint {
  seed: Seed
  /** Collapsed to a per-sample or per-region flag (reduction, learned-looking mixing, lookup). */
  reduced: boolean
  /** Estimated magnitude of the trigger's effect: the step size times the constants applied since. */
  amp: number
  /** Passed a non-uniform constant (one-hot, sparse, target vector): it can point the output somewhere. */
  sparse: boolean
  /** Already joined learned data: the value is the learned path carrying the trigger, not the trigger. */
  merged: boolean
  /** Entered through index operands only (selecting learned data rather than adding to it). */
  viaIndex: boolean
  /** Shares a tensor with learned data (Concat/Pad): the next op mixing it is the merge. */
  mixed: boolean
}

export type MergeKind = 'select' | 'if' | 'arith' | 'scale' | 'index' | 'mix'

export interface MergeEvent {
  seed: Seed
  node: number
  kind: MergeKind
  /** The trigger operand and the learned operand at the merge (value ids). */
  trigger: number
  partner: number
  reduced: boolean
  viaIndex: boolean
  override: boolean
  gate: boolean
  bothLearned: boolean
  amp: number
  sparse: boolean
  head?: boolean
  score?: number
}

export interface Facts {
  order: number[]
  cycle: boolean
  kind: Uint8Array
  /** Learned-parameter mass on the deepest path. */
  mass: Float64Array
  /** Learned layers on the deepest path. */
  depth: Uint16Array
  rawMask: Int32Array
  taint: (Taint | undefined)[]
  /** Value the taint came from (-1 at a seed). */
  tprev: Int32Array
  /** A raw-derived data input of the value's producer (for walking back to the graph input). */
  dprev: Int32Array
  mixing: Uint8Array
  /** Least learned mass between a value and a graph output (Infinity = reaches no output). */
  massAfter: Float64Array
  /** Next node on that least-mass path. */
  toOut: Int32Array
  seeds: Seed[]
  events: MergeEvent[]
  totalMass: number
  outMass: number
  learnedMin: number
  mixingMin: number
  passes: number
  configIfs: number[]
  /** Kept for callers of the former lattice: 1 when the value is learned data. */
  learned: Uint8Array
}

function topoOrder(fg: FlatGraph): {order: number[]; cycle: boolean} {
  const n = fg.nodes.length
  const nv = fg.values.length
  const indeg = new Int32Array(n)
  const start = new Int32Array(nv + 1)
  for (let id = 0; id < n; id++) {
    for (const i of fg.nodes[id].inputs) {
      if (i < 0) continue
      const p = fg.values[i].producer
      if (p >= 0 && p !== id) start[i + 1]++
    }
  }
  for (let v = 0; v < nv; v++) start[v + 1] += start[v]
  const fill = start.slice(0, nv)
  const cons = new Int32Array(start[nv])
  for (let id = 0; id < n; id++) {
    for (const i of fg.nodes[id].inputs) {
      if (i < 0) continue
      const p = fg.values[i].producer
      if (p >= 0 && p !== id) {
        indeg[id]++
        cons[fill[i]++] = id
      }
    }
  }
  const order: number[] = []
  const queue: number[] = []
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i)
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q]
    order.push(id)
    for (const o of fg.nodes[id].outputs) {
      if (o < 0) continue
      for (let k = start[o]; k < start[o + 1]; k++) if (--indeg[cons[k]] === 0) queue.push(cons[k])
    }
  }
  const cycle = order.length < n
  if (cycle) for (let i = 0; i < n; i++) if (indeg[i] > 0) order.push(i)
  return {order, cycle}
}

function better(a: Taint | undefined, b: Taint): boolean {
  if (!a) return true
  if (a.merged !== b.merged) return a.merged
  if (a.viaIndex !== b.viaIndex) return a.viaIndex
  if (a.reduced !== b.reduced) return !a.reduced
  return b.amp > a.amp
}

export function analyzeDataflow(fg: FlatGraph, src: ByteSource): Facts {
  const nv = fg.values.length
  const nn = fg.nodes.length
  const {order, cycle} = topoOrder(fg)
  const f: Facts = {
    order,
    cycle,
    kind: new Uint8Array(nv),
    mass: new Float64Array(nv),
    depth: new Uint16Array(nv),
    rawMask: new Int32Array(nv),
    taint: new Array(nv),
    tprev: new Int32Array(nv).fill(-1),
    dprev: new Int32Array(nv).fill(-1),
    mixing: new Uint8Array(nn),
    massAfter: new Float64Array(nv).fill(Number.POSITIVE_INFINITY),
    toOut: new Int32Array(nv).fill(-1),
    seeds: [],
    events: [],
    totalMass: 0,
    outMass: 0,
    learnedMin: 0,
    mixingMin: 0,
    passes: 0,
    configIfs: [],
    learned: new Uint8Array(nv),
  }
  // Per-value scratch facts for low-parameter data.
  const cnum = new Float64Array(nv) // parameter count of a constant (seen through DQ/Cast/Reshape...)
  const slope = new Float64Array(nv)
  const kinked = new Uint8Array(nv)
  const mono = new Uint8Array(nv)
  const red = new Uint8Array(nv)
  const isInt = new Uint8Array(nv)
  const cpart = new Uint8Array(nv)
  const lred = new Uint8Array(nv) // a reduction of learned data (max(y), a norm), not a tensor
  const summaries = new ConstSummaries(fg, src, (v) => f.kind[v] === KIND_CONST)
  const absMax = (v: number): number | undefined => summaries.get(v)?.absMax

  for (let v = 0; v < nv; v++) {
    const val = fg.values[v]
    if (val.source === 'input') {
      f.kind[v] = KIND_DATA
      if (!val.input!.scalar) f.rawMask[v] = 1 << Math.min(val.input!.index, 30)
      slope[v] = 1
      mono[v] = 1
      isInt[v] = val.input!.integer ? 1 : 0
    } else if (val.source === 'undefined') f.kind[v] = KIND_DATA
    else if (val.source === 'iter') f.kind[v] = KIND_SHAPE
    else if (val.source === 'init' || val.tensor) cnum[v] = Math.max(0, val.numel)
  }
  // Total parameter mass: every constant feeding a mixing op (or an embedding Gather), counted once.
  const counted = new Set<number>()
  for (const node of fg.nodes) {
    if (!MIXING_OPS.has(node.op) && node.op !== 'Gather') continue
    node.inputs.forEach((i, pos) => {
      if (i < 0 || counted.has(i) || (node.op === 'Gather' && pos !== 0)) return
      const v = fg.values[i]
      if ((v.tensor || v.source === 'init') && v.numel > 0) {
        counted.add(i)
        f.totalMass += v.numel
      }
    })
  }
  // Quantized weights are reached through DequantizeLinear: count the integer tensor behind it.
  for (const node of fg.nodes) {
    if (node.op !== 'DequantizeLinear' || node.inputs[0] < 0) continue
    const v = fg.values[node.inputs[0]]
    const used = fg.values[node.outputs[0]]?.consumers ?? 0
    if (v.tensor && v.numel >= 16 && used > 0 && !counted.has(node.inputs[0])) {
      counted.add(node.inputs[0])
      f.totalMass += v.numel
    }
  }
  f.mixingMin = Math.min(LEARNED_MIN, Math.max(16, 0.02 * f.totalMass))
  f.learnedMin = f.mixingMin
  const seedAt = new Map<number, Seed>()

  const runPass = (): boolean => {
    f.events = []
    f.configIfs = []
    let changed = false
    for (const nid of order) {
      const node = fg.nodes[nid]
      const ins = node.back ? node.inputs.concat(node.back) : node.inputs
      const isOp = node.kind === 'op'
      const op = node.op
      let nData = 0
      let anyShape = false
      let mass = 0
      let depth = 0
      let rawMask = 0
      let sl = 0
      let kink = 0
      let mn = 1
      let rd = 0
      let allInt = 1
      let allLred = 1
      let cn = 0
      let dprev = -1
      let anyRaw = -1 // for the evidence walk: index operands count too (an embedding lookup's ids)
      for (let pos = 0; pos < ins.length; pos++) {
        const i = ins[pos]
        if (i < 0) continue
        const k = f.kind[i]
        if (k === KIND_DATA) {
          nData++
          if (f.mass[i] > mass) mass = f.mass[i]
          if (f.depth[i] > depth) depth = f.depth[i]
          rawMask |= f.rawMask[i]
          if (f.rawMask[i] !== 0 && anyRaw < 0) anyRaw = i
          if (isOp && isIndexOperand(op, pos)) continue
          if (slope[i] > sl) sl = slope[i]
          if (kinked[i]) kink = 1
          if (!mono[i]) mn = 0
          if (red[i]) rd = 1
          if (!isInt[i]) allInt = 0
          if (!lred[i]) allLred = 0
          if (f.rawMask[i] !== 0 && (dprev < 0 || f.depth[i] < f.depth[dprev])) dprev = i
        } else if (k === KIND_SHAPE) anyShape = true
        else if (cnum[i] > cn) cn = cnum[i]
      }
      let kind: number
      if (isOp && SHAPE_OPS.has(op)) kind = KIND_SHAPE
      else if (nData > 0) kind = KIND_DATA
      else kind = anyShape ? KIND_SHAPE : KIND_CONST

      // Learned compute: a large constant mixed into data.
      let w = 0
      if (kind === KIND_DATA && isOp) {
        if (op === 'Gather') {
          if (ins[0] >= 0 && f.kind[ins[0]] === KIND_CONST) w = cnum[ins[0]]
        } else if (MIXING_OPS.has(op) || !NON_MIXING_OPS.has(op)) {
          ins.forEach((i, pos) => {
            if (i >= 0 && f.kind[i] === KIND_CONST && !isIndexOperand(op, pos) && cnum[i] > w) w = cnum[i]
          })
        }
      }
      const mixing = w >= f.mixingMin
      f.mixing[nid] = mixing ? 1 : 0

      // Slope, kinks and monotonicity of low-parameter data.
      let outSlope = sl
      let outKink = kink
      let outMono = mn
      let outInt = allInt
      const constAbs = (): number => {
        let m = 0
        ins.forEach((i, pos) => {
          if (i >= 0 && f.kind[i] === KIND_CONST && !isIndexOperand(op, pos)) m = Math.max(m, absMax(i) ?? 1)
        })
        return m
      }
      let sharp: Seed['kind'] | undefined
      if (kind === KIND_DATA && isOp) {
        if (mixing) {
          outSlope = 1
          outKink = 0
          outMono = 1
          outInt = 0
        } else if (op === 'Mul' || op === 'MatMul' || op === 'Gemm' || op === 'Conv' || op === 'Einsum') {
          const c = constAbs()
          if (c > 0) outSlope = sl * c
          if (op === 'Mul' && ins[0] === ins[1]) outMono = 0
          outInt = 0
        } else if (op === 'Div') {
          const d = ins[1] >= 0 && f.kind[ins[1]] === KIND_CONST ? summaries.get(ins[1]) : null
          if (d && d.absMinNz > 0 && d.absMinNz !== Infinity) outSlope = sl / d.absMinNz
          else if (ins[1] >= 0 && f.kind[ins[1]] === KIND_DATA) outKink = 1
          outInt = 0
        } else if (op === 'Pow') {
          const e = ins[1] >= 0 ? summaries.get(ins[1]) : null
          outKink = 1
          if (e && e.n === 1 && Number.isInteger(e.max) && e.max % 2 === 0) outMono = 0
          // x^k for a large k is flat, then explodes: a step at |x| = 1.
          if (e && e.n === 1 && Math.abs(e.max) >= POW_STEP && dprev >= 0 && f.depth[dprev] <= 1) sharp = 'steep'
        } else if (op in SATURATING_OPS) {
          let k = SATURATING_OPS[op]
          if (op === 'HardSigmoid') k = node.node?.attributes.find((a) => a.name === 'alpha')?.f ?? 0.2
          // A saturation of a steep input is a step; of a non-monotone input (|x - c|) a window.
          const eligible = dprev >= 0 && f.depth[dprev] <= 1
          if (eligible) sharp = sl >= STEEP ? 'steep' : !mn ? 'window' : 'saturating'
          outSlope = sl * k
          outKink = 1
        } else if (NON_MONOTONE_OPS.has(op)) {
          outMono = 0
          outKink = 1
        } else if (op === 'Cast') {
          const to = node.node?.attributes.find((a) => a.name === 'to')?.i ?? 0
          outInt = INTEGER_TYPES.has(to) ? 1 : 0
          // float -> integer truncates; anything -> bool tests for non-zero.
          if (INTEGER_TYPES.has(to) && (!allInt || to === 9) && dprev >= 0 && f.depth[dprev] <= 1) sharp = 'discontinuous'
        }
        if (DISCONTINUOUS_OPS.has(op) && dprev >= 0 && f.depth[dprev] <= 1) {
          if (COMPARE_OPS.has(op)) {
            const other = ins[0] === dprev ? ins[1] : ins[0]
            if (other === undefined || other < 0 || f.kind[other] !== KIND_DATA || f.depth[other] <= 1) sharp = 'compare'
          } else sharp = 'discontinuous'
          outInt = 1
        }
        // A kink followed by a large gain (255 * Relu(x - 254/255)) is a step too.
        if (!sharp && outKink && outSlope >= STEEP && sl < STEEP && dprev >= 0 && f.depth[dprev] <= 1) sharp = 'steep'
        // A small weight over the source (TrojanNet's tiny MatMul) aggregates it like a reduction.
        if (
          REDUCE_OPS.has(op) ||
          (!mixing && (op === 'MatMul' || op === 'Gemm' || op === 'Conv' || op === 'Einsum') && ins.some((i) => i >= 0 && f.kind[i] === KIND_CONST))
        )
          rd = 1
      }
      if (mixing) rd = 0

      // Taint through value operands; index operands select.
      let taint: Taint | undefined
      let tprev = -1
      let idxTaint: Taint | undefined
      let idxFrom = -1
      for (let pos = 0; pos < ins.length; pos++) {
        const i = ins[pos]
        if (i < 0) continue
        const t = f.taint[i]
        if (!t) continue
        if (isOp && isIndexOperand(op, pos)) {
          if (better(idxTaint, t)) {
            idxTaint = t
            idxFrom = i
          }
        } else if (node.kind === 'if' && pos === 0) {
          // the condition selects a branch: handled as a merge below, and it taints the result
          if (better(taint, t)) {
            taint = {...t, viaIndex: false}
            tprev = i
          }
        } else if (better(taint, t)) {
          taint = t
          tprev = i
        }
      }
      const events: MergeEvent[] = []
      const dataLearned = (i: number) => i >= 0 && f.kind[i] === KIND_DATA && f.mass[i] >= f.learnedMin
      if (idxTaint && !taint && kind === KIND_DATA && isOp) {
        const data = ins[0]
        const table = data >= 0 && f.kind[data] === KIND_CONST
        if ((table && cnum[data] < f.mixingMin) || (data >= 0 && f.kind[data] === KIND_DATA && !dataLearned(data))) {
          // A lookup in a small table (or in trigger data): the result is the trigger itself.
          const a = table ? (absMax(data) ?? 1) : idxTaint.amp
          taint = {...idxTaint, amp: a, reduced: true, sparse: idxTaint.sparse || (table && nonUniform(summaries.get(data)))}
          tprev = idxFrom
        } else {
          taint = {...idxTaint, viaIndex: true, merged: true}
          tprev = idxFrom
          if (!idxTaint.merged && (dataLearned(data) || table)) {
            const writes = op.startsWith('Scatter') || op === 'Pad'
            const override = writes || (data >= 0 && cpart[data] === 1)
            events.push({
              seed: idxTaint.seed,
              node: nid,
              kind: 'index',
              trigger: idxFrom,
              partner: data,
              reduced: idxTaint.reduced || override,
              viaIndex: !override,
              override,
              gate: false,
              bothLearned: false,
              amp: idxTaint.amp,
              sparse: idxTaint.sparse,
            })
          }
        }
      } else if (idxTaint && !taint) {
        taint = {...idxTaint, viaIndex: true}
        tprev = idxFrom
      }

      // Seeds: a step on low-parameter data that is not already a trigger.
      let seeded = false
      if (sharp && kind === KIND_DATA && isOp && (!taint || taint.merged) && dprev >= 0) {
        let seed = seedAt.get(nid)
        if (!seed) {
          const other = COMPARE_OPS.has(op) ? (ins[0] === dprev ? ins[1] : ins[0]) : -1
          const integerInput = fg.inputs.some((inp) => (f.rawMask[dprev] & f.rawMask[inp]) !== 0 && fg.values[inp].input!.integer)
          const constCompare = other >= 0 && f.kind[other] === KIND_CONST
          const distinct = constCompare ? summaries.get(other) : null
          seed = {
            id: seedAt.size,
            node: nid,
            kind: sharp,
            source: dprev,
            sourceDepth: f.depth[dprev],
            constCompare,
            integerInput,
            tokenWindow: integerInput && constCompare && !!distinct && distinct.n >= 2 && distinct.min !== distinct.max,
            operands: [...(taint?.seed.operands ?? []).slice(-MAX_SEED_OPERANDS + 2), ...ins.filter((i) => i >= 0).slice(0, 2)],
          }
          seedAt.set(nid, seed)
        }
        f.seeds.push(seed)
        taint = {seed, reduced: red[dprev] === 1, amp: 1, sparse: false, merged: false, viaIndex: false, mixed: false}
        tprev = -1
        seeded = true
      }

      // An ordinary activation feeding a learned layer is the network itself, not a trigger.
      if (taint && !taint.merged && !seeded && mixing && taint.seed.kind === 'saturating') {
        taint = undefined
        tprev = -1
      }
      // Amplitude and shape of the trigger through this op.
      if (taint && !taint.merged && !seeded && kind === KIND_DATA && isOp) {
        let amp = taint.amp
        let sparse = taint.sparse
        let reduced = taint.reduced
        const consts = ins.filter((i, pos) => i >= 0 && f.kind[i] === KIND_CONST && !isIndexOperand(op, pos))
        const sums = consts.map((i) => summaries.get(i))
        if (op === 'Mul' || op === 'MatMul' || op === 'Gemm' || op === 'Conv' || op === 'Einsum' || mixing) {
          // Element-wise: the constant's magnitude; a weight: its largest row or column L1 norm
          // (what a flag spread over its inputs can add up to).
          const c = Math.max(0, ...consts.map((i) => (op === 'Mul' ? absMax(i) : summaries.lineGain(i)) ?? 1))
          if (consts.length) amp *= c
          if (sums.some((s) => nonUniform(s))) sparse = true
          if (op !== 'Mul') reduced = true
        } else if (op === 'Div') {
          const d = ins[1] >= 0 && f.kind[ins[1]] === KIND_CONST ? summaries.get(ins[1]) : null
          if (d && d.absMinNz !== Infinity && d.absMinNz > 0) amp /= d.absMinNz
        } else if (op === 'Where') {
          amp = Math.max(amp, ...sums.map((s) => s?.absMax ?? 0))
          if (sums.some((s) => nonUniform(s))) sparse = true
        } else if (op === 'Min' || op === 'Clip') {
          const bound = Math.max(0, ...sums.map((s) => s?.absMax ?? 0))
          if (op === 'Min' && bound > 0) amp = Math.min(amp, bound)
        } else if (op in SATURATING_OPS && op !== 'Relu' && op !== 'LeakyRelu' && op !== 'Max' && op !== 'Exp') amp = Math.min(amp, 1)
        else if (op === 'ScatterND' || op === 'ScatterElements') {
          if (ins[0] >= 0 && f.kind[ins[0]] === KIND_CONST) sparse = true
        }
        if (REDUCE_OPS.has(op)) reduced = true
        // A reduced flag multiplied into the very tensor it was computed from only keeps or zeroes
        // that tensor's rows (HF `_unmask_unattended`): gated data, no longer a per-sample flag.
        // The same holds when the other factor is the (unreduced) mask carrying the same trigger.
        if (
          reduced &&
          op === 'Mul' &&
          ins.some(
            (i) =>
              i >= 0 &&
              f.kind[i] === KIND_DATA &&
              f.mass[i] < f.learnedMin &&
              !red[i] &&
              ((!f.taint[i] && taint!.seed.operands.includes(i)) || (f.taint[i]?.seed === taint!.seed && !f.taint[i]!.reduced)),
          )
        )
          reduced = false
        if (amp !== taint.amp || sparse !== taint.sparse || reduced !== taint.reduced) taint = {...taint, amp, sparse, reduced}
      }

      // Merges: an unmerged trigger meets learned data that does not already carry it.
      if (kind === KIND_DATA && (isOp || node.kind === 'if') && !seeded && ins.some((i) => i >= 0 && f.taint[i] && !f.taint[i]!.merged)) {
        for (let pos = 0; pos < ins.length; pos++) {
          const i = ins[pos]
          const t = i >= 0 ? f.taint[i] : undefined
          if (!t || t.merged || (isOp && isIndexOperand(op, pos))) continue
          let partner = -1
          for (let q = 0; q < ins.length; q++) {
            const j = ins[q]
            if (q === pos || j < 0 || !dataLearned(j) || f.depth[j] <= t.seed.sourceDepth || (isOp && isIndexOperand(op, q))) continue
            const pt = f.taint[j]
            if (pt && !pt.merged && pt.seed === t.seed) continue
            if (node.kind === 'if' && pos !== 0) continue
            partner = j
            break
          }
          // Input substitution: a reduced trigger that swaps or pushes the model's own input
          // (Where(flag, stored_image, images), images + flag * patch) before the learned layers.
          if (partner < 0 && t.reduced && !(node.kind === 'if') && inputOverride(node, pos, t)) {
            partner =
              ins.find((j, q) => q !== pos && j >= 0 && f.kind[j] === KIND_DATA && f.rawMask[j] !== 0 && !f.taint[j] && !(isOp && isIndexOperand(op, q))) ?? -1
          }
          const selfMixed = partner < 0 && t.mixed && !PASS_OPS.has(op) && op !== 'Concat'
          if (partner < 0 && !selfMixed) continue
          if (partner >= 0 && op === 'Mul' && lred[partner] === 1) {
            // Scaled by a reduction of the learned output (ind * (1 + max(y) - min(y))): the trigger
            // now carries a gain sized to beat the output it will be added to.
            taint = {...t, amp: Math.max(t.amp, ADAPTIVE_GAIN)}
            tprev = i
            continue
          }
          if (partner >= 0 && (op === 'Concat' || op === 'Pad' || op === 'Sequence' || op === 'SequenceConstruct')) {
            // Trigger and learned data side by side in one tensor: the op mixing them is the merge.
            taint = {...t, mixed: true}
            tprev = i
            continue
          }
          // A weight mixing the trigger into the learned values applies its gain here.
          events.push(mergeEvent(nid, pos, i, selfMixed ? i : partner, selfMixed && taint ? {...t, amp: taint.amp, reduced: taint.reduced} : t))
        }
        if (events.length > 0) {
          const best = events[events.length - 1]
          const from = f.taint[best.trigger] ?? {
            seed: best.seed,
            reduced: best.reduced,
            amp: best.amp,
            sparse: best.sparse,
            merged: true,
            viaIndex: false,
            mixed: false,
          }
          taint = {...from, merged: true, mixed: false}
          tprev = best.trigger
        }
      }
      for (const e of events) f.events.push(e)

      // Constant segments next to learned data (Concat([logits, c])): selecting into them overrides.
      let cp = 0
      if (isOp && kind === KIND_DATA) {
        if (
          (op === 'Concat' || op === 'Pad' || op.startsWith('Scatter')) &&
          ins.some((i, pos) => i >= 0 && f.kind[i] === KIND_CONST && !isIndexOperand(op, pos))
        )
          cp = 1
        else if (PASS_OPS.has(op) && ins[0] >= 0 && cpart[ins[0]]) cp = 1
      }
      if (node.kind === 'if' && ins[0] >= 0 && f.kind[ins[0]] === KIND_DATA && f.rawMask[ins[0]] === 0 && f.mass[ins[0]] < f.learnedMin) f.configIfs.push(nid)

      for (const o of node.outputs) {
        if (o < 0) continue
        if (
          node.back &&
          (f.kind[o] !== kind ||
            !!f.taint[o] !== !!taint ||
            f.taint[o]?.reduced !== taint?.reduced ||
            f.mass[o] !== (kind === KIND_DATA ? mass + (mixing ? w : 0) : 0))
        )
          changed = true
        f.kind[o] = kind
        f.mass[o] = kind === KIND_DATA ? mass + (mixing ? w : 0) : 0
        f.depth[o] = kind === KIND_DATA ? depth + (mixing ? 1 : 0) : 0
        f.rawMask[o] = kind === KIND_DATA ? rawMask : 0
        f.taint[o] = kind === KIND_DATA ? taint : undefined
        f.tprev[o] = tprev
        f.dprev[o] = dprev >= 0 ? dprev : anyRaw
        slope[o] = outSlope
        kinked[o] = outKink
        mono[o] = outMono
        red[o] = rd
        isInt[o] = outInt
        cpart[o] = cp
        lred[o] = kind === KIND_DATA && !mixing && ((REDUCE_OPS.has(op) && mass >= f.learnedMin) || (nData > 0 && allLred && !REDUCE_OPS.has(op))) ? 1 : 0
        if (kind === KIND_CONST) cnum[o] = op === 'ConstantOfShape' ? 0 : Math.max(cn, fg.values[o].numel)
      }
    }
    return changed
  }

  /** The trigger replaces data with a non-scalar constant, or adds a pointed constant with gain. */
  const inputOverride = (node: FlatGraph['nodes'][number], pos: number, t: Taint): boolean => {
    const ins = node.inputs
    if (node.op === 'Where')
      return pos === 0 && ins.slice(1).some((i) => i >= 0 && f.kind[i] === KIND_CONST && fg.values[i].numel >= 2 && nonUniform(summaries.get(i)))
    return (
      (node.op === 'Add' || node.op === 'Sub' || node.op === 'Sum') &&
      t.amp >= GAIN_MIN &&
      t.sparse &&
      node.outputs.some((o) => o >= 0 && f.massAfter[o] > 0 && f.massAfter[o] !== Number.POSITIVE_INFINITY)
    )
  }

  const mergeEvent = (nid: number, pos: number, trig: number, partner: number, t: Taint): MergeEvent => {
    const node = fg.nodes[nid]
    const op = node.op
    const ins = node.inputs
    let kind: MergeKind = 'arith'
    let override = false
    let bothLearned = false
    let gate = false
    const reduced = t.reduced
    if ((op === 'Where' || node.kind === 'if') && pos === 0) {
      kind = node.kind === 'if' ? 'if' : 'select'
      const sides = ins.slice(1)
      const learnedSides = sides.filter((i) => i >= 0 && f.kind[i] === KIND_DATA && f.mass[i] >= f.learnedMin)
      if (node.kind === 'if') {
        bothLearned = learnedSides.length >= 2 && ifBranchesLearned(fg, f, nid)
        override = !bothLearned
      } else {
        // A pointed constant (or weight-free) side replaces the learned one; a scalar fill of an
        // unreduced mask is attention/padding
        // mask; a uniform constant (an empty-input guard's zeros) replaces only in the head.
        const head = node.outputs.some((o) => o >= 0 && f.massAfter[o] <= PARTNER_SHARE * Math.max(f.outMass, 1))
        override = sides.some(
          (i) =>
            i >= 0 && !(f.kind[i] === KIND_DATA && f.mass[i] >= f.learnedMin) && (f.kind[i] === KIND_DATA || nonUniform(summaries.get(i)) || (reduced && head)),
        )
        bothLearned = learnedSides.length >= 2
      }
      gate = !override && !reduced
    } else if (op === 'Mul' || op === 'Div' || op === 'Pow') {
      kind = 'scale'
      // Masked mean: sum(h * m) / count(m) — the divisor counts the mask that gated the numerator.
      const norm = op === 'Div' && pos === 1 && f.taint[ins[0]]?.seed === t.seed
      // A plain saturation (a clamped count, an activation) needs gain to override by scaling.
      override = reduced && !norm && (op !== 'Mul' || t.amp >= GAIN_LOW) && (t.seed.kind !== 'saturating' || t.amp >= GAIN_MIN)
      gate = !override
    } else if (t.mixed && partner === trig) {
      kind = 'mix'
      override = t.amp >= GAIN_MIN
    } else {
      override = t.amp >= GAIN_MIN
      // An unreduced trigger added everywhere (an attention-mask bias) only adjusts positions,
      // unless it points somewhere (a non-uniform constant) or lands on an output directly.
      const direct = node.outputs.some((o) => o >= 0 && f.massAfter[o] === 0)
      if (!reduced && !(override && (t.sparse || direct))) gate = true
    }
    return {seed: t.seed, node: nid, kind, trigger: trig, partner, reduced, viaIndex: false, override, gate, bothLearned, amp: t.amp, sparse: t.sparse}
  }

  /** Learned mass between each value and the nearest graph output (reverse topological DP). */
  const computeMassAfter = (): void => {
    f.massAfter.fill(Number.POSITIVE_INFINITY)
    f.toOut.fill(-1)
    for (const o of fg.outputs) f.massAfter[o] = 0
    for (let k = order.length - 1; k >= 0; k--) {
      const nid = order[k]
      const node = fg.nodes[nid]
      let d = Number.POSITIVE_INFINITY
      for (const o of node.outputs) if (o >= 0 && f.massAfter[o] < d) d = f.massAfter[o]
      if (d === Number.POSITIVE_INFINITY) continue
      let w = 0
      if (f.mixing[nid]) for (const i of node.inputs) if (i >= 0 && f.kind[i] === KIND_CONST) w = Math.max(w, cnum[i])
      const nd = d + w
      for (const i of node.inputs) {
        if (i >= 0 && nd < f.massAfter[i]) {
          f.massAfter[i] = nd
          f.toOut[i] = nid
        }
      }
    }
  }

  // Pass 1 finds the learned mass of the outputs (the partner threshold) and the head region; later
  // passes use them and carry Loop/Scan state around back edges until nothing changes.
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    f.seeds = []
    const changed = runPass()
    f.passes = pass + 1
    let outMass = 0
    for (const o of fg.outputs) if (f.kind[o] === KIND_DATA && f.mass[o] > outMass) outMass = f.mass[o]
    f.outMass = outMass
    const learnedMin = Math.max(f.mixingMin, PARTNER_SHARE * outMass)
    const stable = learnedMin === f.learnedMin && !changed
    f.learnedMin = learnedMin
    computeMassAfter()
    if (stable && pass > 0) break
  }
  f.seeds = [...new Set(f.seeds)]
  for (let v = 0; v < nv; v++) f.learned[v] = f.kind[v] === KIND_DATA && f.mass[v] >= f.learnedMin ? 1 : 0
  return f
}

/** Both branches of an If compute with their own weights (Silero's per-sample-rate networks). */
function ifBranchesLearned(fg: FlatGraph, f: Facts, nid: number): boolean {
  const n = fg.nodes[nid].node
  if (!n) return false
  const paths = n.attributes
    .filter((a) => a.name === 'then_branch' || a.name === 'else_branch')
    .map((a) => a.g?.path)
    .filter((p): p is string => !!p)
  if (paths.length < 2) return false
  return paths.every((p) => fg.nodes.some((m, k) => f.mixing[k] === 1 && (m.graph === p || m.graph.startsWith(`${p}/`))))
}

/** True when the merge's output reaches a graph output through little learned mass (the head). */
export function inHead(fg: FlatGraph, f: Facts, nid: number): boolean {
  let d = Number.POSITIVE_INFINITY
  for (const o of fg.nodes[nid].outputs) if (o >= 0 && f.massAfter[o] < d) d = f.massAfter[o]
  return d <= PARTNER_SHARE * Math.max(f.outMass, 1) && d !== Number.POSITIVE_INFINITY
}

export function reachesOutput(fg: FlatGraph, f: Facts, nid: number): boolean {
  return fg.nodes[nid].outputs.some((o) => o >= 0 && f.massAfter[o] !== Number.POSITIVE_INFINITY)
}
