/**
 * The value lattice of docs/design-notes.md §1 over a flattened model: every value is CONST, SHAPE or
 * DATA; DATA carries learned-ness, parameter mass, raw-input ancestry, and whether it passed a
 * threshold-like op or a reduction while still raw. Trigger seeds (comparisons on raw input, or
 * thresholded-then-reduced raw data) taint forward; where a raw tainted value meets a learned one
 * at a merge op, a merge event is recorded. Head distance = mixing ops between a value and an output.
 * Everything is iterative: node order comes from a Kahn topological sort.
 */
import type {ByteSource} from '../../formats/onnx/index.js'
import {decodeValues} from '../../formats/onnx/index.js'
import type {FlatGraph, FlatNode} from './flatten.js'
import {COMPARE_OPS, isIndexOperand, LEARNED_MIN, MERGE_OPS, MIXING_OPS, REDUCE_OPS, SHAPE_OPS, THRESHOLD_OPS} from './ops.js'

export const KIND_CONST = 0
export const KIND_SHAPE = 1
export const KIND_DATA = 2
/** Compared values remembered per seed chain (for recognising a flag that gates its own source). */
export const MAX_SEED_OPERANDS = 8
/** Constants decoded at most this large when judging override-likeness. */
export const MAX_DECODE = 10_000_000

export interface Seed {
  id: number
  node: number
  strong: boolean
  constCompare: boolean
  /** Integer input compared against >= 2 distinct constants (token-id window). */
  tokenWindow: boolean
  integerInput: boolean
  /** Values compared by this seed and by the seeds whose taint it refines (bounded). */
  operands?: number[]
}

export interface Taint {
  seed: Seed
  reduced: boolean
  viaIndex: boolean
  override: boolean
}

export interface MergeEvent {
  seed: Seed
  node: number
  kind: 'select' | 'if' | 'arith' | 'other'
  reduced: boolean
  viaIndex: boolean
  override: boolean
  bothLearned: boolean
  /** Unreduced flag gating learned data (Mul by the mask, Where on it): masking, not an override. */
  gate?: boolean
  /** Filled after head distances are known. */
  head?: boolean
  score?: number
}

export interface Facts {
  order: number[]
  kind: Uint8Array
  learned: Uint8Array
  thr: Uint8Array
  red: Uint8Array
  rawMask: Int32Array
  mass: Float64Array
  taint: (Taint | undefined)[]
  mixing: Uint8Array
  dist: Float64Array
  seeds: Seed[]
  events: MergeEvent[]
  totalMass: number
  cycle: boolean
  /** 'If' nodes whose condition comes from scalar (config) inputs only. */
  configIfs: number[]
}

function topoOrder(fg: FlatGraph): {order: number[]; cycle: boolean} {
  const n = fg.nodes.length
  const nv = fg.values.length
  const indeg = new Int32Array(n)
  // Consumers per value in CSR form (two flat arrays, no per-value arrays to collect).
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

export function analyzeDataflow(fg: FlatGraph, src: ByteSource): Facts {
  const nv = fg.values.length
  const {order, cycle} = topoOrder(fg)
  const f: Facts = {
    order, cycle, kind: new Uint8Array(nv), learned: new Uint8Array(nv), thr: new Uint8Array(nv), red: new Uint8Array(nv),
    rawMask: new Int32Array(nv), mass: new Float64Array(nv), taint: new Array(nv), mixing: new Uint8Array(fg.nodes.length),
    dist: new Float64Array(nv).fill(Number.POSITIVE_INFINITY), seeds: [], events: [], totalMass: 0, configIfs: [],
  }
  fg.values.forEach((v, id) => {
    if (v.source === 'input') {
      f.kind[id] = KIND_DATA
      if (!v.input!.scalar) f.rawMask[id] = 1 << Math.min(v.input!.index, 30)
    } else if (v.source === 'undefined' || v.source === 'bound') f.kind[id] = KIND_DATA
    else if (v.source === 'iter') f.kind[id] = KIND_SHAPE
  })
  // Total parameter mass: every constant feeding a mixing op, counted once.
  const counted = new Set<number>()
  for (const node of fg.nodes) {
    if (!MIXING_OPS.has(node.op) && node.op !== 'Gather') continue
    for (const i of node.inputs) {
      if (i >= 0 && fg.values[i].numel > 0 && !counted.has(i) && fg.values[i].source !== 'input') {
        if (node.op === 'Gather' && i !== node.inputs[0]) continue
        if (fg.values[i].tensor || fg.values[i].source === 'init') {
          counted.add(i)
          f.totalMass += fg.values[i].numel
        }
      }
    }
  }
  const overrideCache = new Map<number, boolean>()
  const isOverrideConst = (id: number): boolean => {
    if (overrideCache.has(id)) return overrideCache.get(id)!
    const v = fg.values[id]
    let r = false
    if (v.tensor && v.numel >= 2 && v.numel <= MAX_DECODE) {
      const vals = decodeValues(v.tensor, src, MAX_DECODE)
      if (vals) {
        let nnz = 0
        let maxAbs = 0
        let second = 0
        for (const x of vals) {
          const a = Math.abs(x)
          if (a !== 0) nnz++
          if (a > maxAbs) {
            second = maxAbs
            maxAbs = a
          } else if (a > second) second = a
        }
        r = (nnz <= Math.max(1, 0.1 * vals.length) && maxAbs >= 1) || (maxAbs >= 1 && maxAbs >= 10 * Math.max(second, 1e-12) && vals.length <= 100_000)
      }
    }
    overrideCache.set(id, r)
    return r
  }
  const distinctConsts = (id: number): number => {
    const v = fg.values[id]
    if (!v.tensor || v.numel > 4096) return v.numel > 4096 ? 2 : 0
    const vals = decodeValues(v.tensor, src, 4096)
    return vals ? new Set(vals).size : 0
  }

  const isRaw = (i: number) => i >= 0 && f.kind[i] === KIND_DATA && !f.learned[i] && f.rawMask[i] !== 0
  for (const nid of order) {
    const node = fg.nodes[nid]
    const ins = node.inputs
    const isOp = node.kind === 'op'
    let nData = 0
    let anyShape = false
    let anyLearned = false
    let anyThr = false
    let anyRed = false
    let rawMask = 0
    let mass = 0
    let anyRawThr = false
    for (const i of ins) {
      if (i < 0) continue
      const k = f.kind[i]
      if (k === KIND_DATA) {
        nData++
        if (f.learned[i]) anyLearned = true
        if (f.thr[i]) {
          anyThr = true
          if (f.rawMask[i] !== 0) anyRawThr = true
        }
        if (f.red[i]) anyRed = true
        rawMask |= f.rawMask[i]
        mass += f.mass[i]
      } else if (k === KIND_SHAPE) anyShape = true
    }
    let kind: number
    if (isOp && SHAPE_OPS.has(node.op)) kind = KIND_SHAPE
    else if (nData > 0) kind = KIND_DATA
    else kind = anyShape ? KIND_SHAPE : KIND_CONST
    let learned = 0
    let thr = 0
    let red = 0
    if (kind === KIND_DATA) {
      let w = 0
      if (isOp && MIXING_OPS.has(node.op)) {
        for (const i of ins) if (i >= 0 && f.kind[i] === KIND_CONST && fg.values[i].numel > w) w = fg.values[i].numel
      } else if (isOp && node.op === 'Gather' && ins[0] >= 0 && f.kind[ins[0]] === KIND_CONST) w = fg.values[ins[0]].numel
      if (w >= LEARNED_MIN) f.mixing[nid] = 1
      learned = w >= LEARNED_MIN || anyLearned ? 1 : 0
      mass = Math.min(f.totalMass, mass + Math.max(0, w))
      if (!learned) {
        thr = anyThr || THRESHOLD_OPS.has(node.op) ? 1 : 0
        red = anyRed || REDUCE_OPS.has(node.op) ? 1 : 0
      }
    } else {
      rawMask = 0
      mass = 0
    }
    // Taint: prefer value operands; index-only entry marks index-typed use (H5).
    let taint: Taint | undefined
    for (let pos = 0; pos < ins.length; pos++) {
      const i = ins[pos]
      if (i < 0) continue
      const t = f.taint[i]
      if (!t) continue
      const idx = isOp && isIndexOperand(node.op, pos)
      if (!taint || (taint.viaIndex && !idx)) taint = idx && !t.viaIndex ? {...t, viaIndex: true} : t
    }
    if (taint && !learned && !taint.reduced && REDUCE_OPS.has(node.op)) taint = {...taint, reduced: true}
    // Seeds.
    if (kind === KIND_DATA && !learned && isOp) {
      if (COMPARE_OPS.has(node.op) && ins.length >= 2) {
        const [a, b] = ins
        const rawSide = isRaw(a) ? a : isRaw(b) ? b : -1
        const other = rawSide === a ? b : a
        if (rawSide >= 0 && other >= 0 && (f.kind[other] === KIND_CONST || isRaw(other))) {
          const integerInput = fg.inputs.some((inp) => (f.rawMask[rawSide] & f.rawMask[inp]) !== 0 && fg.values[inp].input!.integer)
          const seed: Seed = {
            id: f.seeds.length, node: nid, strong: true, constCompare: f.kind[other] === KIND_CONST,
            integerInput, tokenWindow: integerInput && f.kind[other] === KIND_CONST && distinctConsts(other) >= 2,
            operands: [...(taint?.seed.operands ?? []).slice(-MAX_SEED_OPERANDS + 2), a, b],
          }
          f.seeds.push(seed)
          taint = {seed, reduced: f.red[rawSide] === 1 || (taint?.reduced ?? false), viaIndex: false, override: false}
        }
      } else if (!taint && anyRawThr && REDUCE_OPS.has(node.op)) {
        const seed: Seed = {id: f.seeds.length, node: nid, strong: false, constCompare: false, tokenWindow: false, integerInput: false}
        f.seeds.push(seed)
        taint = {seed, reduced: true, viaIndex: false, override: false}
      }
    }
    // Override constants multiplied by / selected with the flag.
    if (taint && !taint.override && !learned && (node.op === 'Mul' || node.op === 'Where')) {
      const consts = node.op === 'Where' ? ins.slice(1) : ins
      if (consts.some((i) => i >= 0 && f.kind[i] === KIND_CONST && (node.op === 'Where' ? fg.values[i].numel >= 2 : isOverrideConst(i)))) {
        taint = {...taint, override: true}
      }
    }
    // A reduced flag multiplied into the very tensor it was computed from only keeps or zeroes that
    // tensor's rows (HF `_unmask_unattended`: mask * ~all(mask == min, -1)): the product is gated
    // data, no longer a per-sample flag that could override anything by itself.
    if (taint?.reduced && !taint.override && !learned && node.op === 'Mul') {
      const ops = taint.seed.operands ?? []
      if (ins.some((i) => i >= 0 && !f.taint[i] && f.kind[i] === KIND_DATA && !f.learned[i] && !f.red[i] && ops.includes(i))) taint = {...taint, reduced: false}
    }
    // Merge events: a raw (not learned) tainted operand meets a learned operand.
    if (MERGE_OPS.has(node.op) && kind === KIND_DATA) {
      const tIn = ins.findIndex((i) => i >= 0 && f.taint[i] && !f.learned[i])
      const partner = ins.findIndex((i, pos) => pos !== tIn && i >= 0 && f.kind[i] === KIND_DATA && f.learned[i])
      if (tIn >= 0 && partner >= 0) {
        const t = f.taint[ins[tIn]]!
        let override = t.override
        let bothLearned = false
        let ek: MergeEvent['kind'] = 'arith'
        if (node.op === 'Where' || node.kind === 'if') {
          ek = node.kind === 'if' ? 'if' : 'select'
          const sides = ins.slice(1)
          if (tIn === 0) {
            const learnedSides = sides.filter((i) => i >= 0 && f.kind[i] === KIND_DATA && f.learned[i]).length
            bothLearned = learnedSides >= 2
            const weightFree = sides.some((i) => i >= 0 && !(f.kind[i] === KIND_DATA && f.learned[i]) && (node.kind === 'if' || f.kind[i] === KIND_DATA || fg.values[i].numel >= 2))
            override ||= weightFree && !bothLearned
          }
        } else if (node.op === 'Concat') ek = 'other'
        // Masked mean: sum(h * m) / count(m). The divisor is a count of the same mask that already
        // gated the (learned) numerator, so dividing by it only normalises; it selects nothing.
        const norm = node.op === 'Div' && tIn === 1 && !override && f.learned[ins[0]] === 1 && f.taint[ins[0]]?.seed === t.seed
        const reduced = t.reduced && !norm
        // An unreduced mask that multiplies learned values, or is the condition of a Where without
        // a non-scalar override constant, can only zero or fill positions (padding/attention masks).
        const gate = norm || (!reduced && !override && (node.op === 'Mul' || (node.op === 'Where' && tIn === 0)))
        f.events.push({seed: t.seed, node: nid, kind: ek, reduced, viaIndex: t.viaIndex, override, bothLearned, gate})
      }
    }
    if (node.kind === 'if' && ins[0] >= 0 && f.kind[ins[0]] === KIND_DATA && !f.learned[ins[0]] && f.rawMask[ins[0]] === 0) f.configIfs.push(nid)
    for (const o of node.outputs) {
      if (o < 0) continue
      f.kind[o] = kind
      f.learned[o] = learned
      f.mass[o] = mass
      f.rawMask[o] = rawMask
      f.thr[o] = thr
      f.red[o] = red
      f.taint[o] = taint
    }
  }
  // Head distance: mixing ops between each value and a graph output (reverse topological DP).
  for (const o of fg.outputs) f.dist[o] = 0
  for (let k = order.length - 1; k >= 0; k--) {
    const nid = order[k]
    const node = fg.nodes[nid]
    let d = Number.POSITIVE_INFINITY
    for (const o of node.outputs) if (o >= 0 && f.dist[o] < d) d = f.dist[o]
    if (d === Number.POSITIVE_INFINITY) continue
    const nd = d + (f.mixing[nid] ? 1 : 0)
    for (const i of node.inputs) if (i >= 0 && nd < f.dist[i]) f.dist[i] = nd
  }
  return f
}

export function nodeDist(_fg: FlatGraph, f: Facts, node: FlatNode): number {
  let d = Number.POSITIVE_INFINITY
  for (const o of node.outputs) if (o >= 0 && f.dist[o] < d) d = f.dist[o]
  return d
}
