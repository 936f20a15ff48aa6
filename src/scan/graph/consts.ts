/**
 * Order-free summaries of constant tensors (range, magnitude, non-zeros), computed from
 * initializers and Constant nodes and carried through the ops that build constants in real
 * exports: casts, reshapes, DequantizeLinear, negation and element-wise arithmetic (interval
 * arithmetic on the summaries). The gain of a trigger path and the shape of an override constant
 * come from here.
 */
import type {ByteSource} from '../../formats/onnx/index.js'
import {decodeValues, numel} from '../../formats/onnx/index.js'
import type {FlatGraph} from './flatten.js'

export interface ConstSummary {
  n: number
  min: number
  max: number
  absMax: number
  /** Smallest non-zero magnitude (Infinity when all zero). */
  absMinNz: number
  nnz: number
}

/** Constants decoded at most this large; bigger ones are weights, not trigger parameters. */
export const MAX_SUMMARY_ELEMENTS = 1 << 20

function fromValues(vals: ArrayLike<number>): ConstSummary {
  let min = Infinity
  let max = -Infinity
  let absMax = 0
  let absMinNz = Infinity
  let nnz = 0
  for (let i = 0; i < vals.length; i++) {
    const x = vals[i]
    if (x < min) min = x
    if (x > max) max = x
    const a = Math.abs(x)
    if (a > absMax) absMax = a
    if (a !== 0) {
      nnz++
      if (a < absMinNz) absMinNz = a
    }
  }
  return {n: vals.length, min, max, absMax, absMinNz, nnz}
}

const scalar = (x: number): ConstSummary => fromValues([x])

function combine(op: string, a: ConstSummary, b: ConstSummary): ConstSummary | null {
  const n = Math.max(a.n, b.n)
  let lo: number
  let hi: number
  if (op === 'Add' || op === 'Sub') {
    const [bl, bh] = op === 'Add' ? [b.min, b.max] : [-b.max, -b.min]
    lo = a.min + bl
    hi = a.max + bh
  } else if (op === 'Mul' || op === 'Div') {
    if (op === 'Div' && b.min <= 0 && b.max >= 0) return null
    const [bl, bh] = op === 'Mul' ? [b.min, b.max] : [1 / b.max, 1 / b.min]
    const c = [a.min * bl, a.min * bh, a.max * bl, a.max * bh]
    lo = Math.min(...c)
    hi = Math.max(...c)
  } else return null
  const absMax = Math.max(Math.abs(lo), Math.abs(hi))
  // Multiplying by a non-zero scalar keeps the non-zero pattern (a one-hot times a gain stays one-hot).
  const keepsPattern = (op === 'Mul' || op === 'Div') && (b.n === 1 ? b.nnz === 1 : a.n === 1 && a.nnz === 1)
  const nnz = keepsPattern ? (b.n === 1 ? a.nnz : b.nnz) : op === 'Mul' ? Math.min(n, Math.max(a.nnz, b.nnz)) : n
  return {n, min: lo, max: hi, absMax, absMinNz: Math.min(a.absMinNz, b.absMinNz), nnz}
}

/** Memoised summaries over a flat graph's constant values. */
export class ConstSummaries {
  private memo = new Map<number, ConstSummary | null>()

  constructor(
    private fg: FlatGraph,
    private src: ByteSource,
    private isConst: (v: number) => boolean,
  ) {}

  get(v: number, depth = 0): ConstSummary | null {
    if (v < 0 || !this.isConst(v)) return null
    const hit = this.memo.get(v)
    if (hit !== undefined) return hit
    this.memo.set(v, null) // guards cycles
    const r = this.compute(v, depth)
    this.memo.set(v, r)
    return r
  }

  private gains = new Map<number, number | null>()

  /**
   * Largest L1 norm of a row or a column of a constant matrix (first axis against the rest):
   * the most a bounded input spread across a weight's inputs can add to one output.
   */
  lineGain(v: number, depth = 0): number | null {
    if (v < 0 || !this.isConst(v)) return null
    const hit = this.gains.get(v)
    if (hit !== undefined) return hit
    this.gains.set(v, null)
    let r: number | null = null
    const val = this.fg.values[v]
    if (val.tensor && val.tensor.dims.length >= 2) {
      const n = numel(val.tensor.dims)
      const vals = n <= MAX_SUMMARY_ELEMENTS ? decodeValues(val.tensor, this.src, MAX_SUMMARY_ELEMENTS) : null
      if (vals) {
        const rows = val.tensor.dims[0]
        const cols = n / rows
        const colSum = new Float64Array(cols)
        let best = 0
        for (let i = 0; i < rows; i++) {
          let row = 0
          for (let j = 0; j < cols; j++) {
            const a = Math.abs(vals[i * cols + j])
            row += a
            colSum[j] += a
          }
          if (row > best) best = row
        }
        for (const c of colSum) if (c > best) best = c
        r = best
      }
    } else if (val.producer >= 0 && depth < 16) {
      const node = this.fg.nodes[val.producer]
      if (node.op === 'DequantizeLinear') {
        const g = this.lineGain(node.inputs[0], depth + 1)
        const s = this.get(node.inputs[1] ?? -1)
        r = g !== null && s ? g * s.absMax : null
      } else if (['Identity', 'Reshape', 'Transpose', 'Cast', 'Squeeze', 'Unsqueeze', 'Flatten'].includes(node.op)) r = this.lineGain(node.inputs[0], depth + 1)
    }
    r ??= this.get(v)?.absMax ?? null
    this.gains.set(v, r)
    return r
  }

  private compute(v: number, depth: number): ConstSummary | null {
    const val = this.fg.values[v]
    if (val.tensor) {
      const n = numel(val.tensor.dims)
      if (!(n <= MAX_SUMMARY_ELEMENTS)) return null
      const vals = decodeValues(val.tensor, this.src, MAX_SUMMARY_ELEMENTS)
      return vals && vals.length > 0 ? fromValues(vals) : null
    }
    if (depth > 64 || val.producer < 0) return null
    const node = this.fg.nodes[val.producer]
    const ins = node.inputs
    const g = (k: number) => (ins[k] !== undefined ? this.get(ins[k], depth + 1) : null)
    switch (node.op) {
      case 'Constant': {
        const a = node.node?.attributes[0]
        if (!a) return null
        if (a.floats.length) return fromValues(a.floats)
        if (a.ints.length) return fromValues(a.ints)
        if (a.f !== undefined && a.name === 'value_float') return scalar(a.f)
        if (a.i !== undefined && a.name === 'value_int') return scalar(a.i)
        return null
      }
      case 'ConstantOfShape': {
        const t = node.node?.attributes.find((a) => a.name === 'value')?.t
        const vals = t ? decodeValues(t, this.src, 1) : null
        return scalar(vals?.[0] ?? 0)
      }
      case 'Identity':
      case 'Reshape':
      case 'Transpose':
      case 'Squeeze':
      case 'Unsqueeze':
      case 'Flatten':
      case 'Expand':
      case 'Tile':
      case 'Cast':
      case 'CastLike':
      case 'Slice':
      case 'Gather':
      case 'Phi':
      case 'Relu':
        return g(0)
      case 'Neg': {
        const a = g(0)
        return a && {...a, min: -a.max, max: -a.min}
      }
      case 'Abs': {
        const a = g(0)
        return a && {...a, min: a.min >= 0 ? a.min : a.max <= 0 ? -a.max : 0, max: a.absMax}
      }
      case 'DequantizeLinear': {
        const x = g(0)
        const s = g(1)
        const z = ins[2] !== undefined && ins[2] >= 0 ? g(2) : scalar(0)
        if (!x || !s || !z) return null
        const shifted = z.absMax === 0 ? x : combine('Sub', x, z)
        return shifted && combine('Mul', shifted, s.n === 1 ? s : {...s, min: s.min, max: s.max})
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        const a = g(0)
        const b = g(1)
        return a && b ? combine(node.op, a, b) : null
      }
      case 'Concat': {
        const parts = ins.map((_, k) => g(k))
        if (parts.some((p) => !p)) return null
        const ps = parts as ConstSummary[]
        return {
          n: ps.reduce((s, p) => s + p.n, 0),
          min: Math.min(...ps.map((p) => p.min)),
          max: Math.max(...ps.map((p) => p.max)),
          absMax: Math.max(...ps.map((p) => p.absMax)),
          absMinNz: Math.min(...ps.map((p) => p.absMinNz)),
          nnz: ps.reduce((s, p) => s + p.nnz, 0),
        }
      }
      default:
        return null
    }
  }
}

/** A constant that can override an output: not uniform (one-hot, sparse, a target vector). */
export function nonUniform(s: ConstSummary | null): boolean {
  return !!s && s.n >= 2 && s.max !== s.min
}
