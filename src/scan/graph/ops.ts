/**
 * Operator classes for the data-flow analysis (docs/scan.md, "Transfer functions"). These tables
 * refine the default; an operator in none of them is still analysed: its value operands carry
 * taint to its outputs, it counts as learned compute when a large constant feeds it, and it can
 * be a merge point like any other node.
 */

/** Ops that mix a weight into data; with a large constant operand their output is learned compute. */
export const MIXING_OPS = new Set([
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'MatMulInteger', 'ConvInteger', 'QLinearConv', 'QLinearMatMul', 'LSTM',
  'GRU', 'RNN', 'Einsum', 'Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'MatMulNBits', 'FusedMatMul',
  'QAttention', 'QGemm', 'FusedConv', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'FusedGemm', 'DynamicQuantizeLSTM',
  'TreeEnsembleClassifier', 'TreeEnsembleRegressor', 'TreeEnsemble', 'LinearClassifier', 'LinearRegressor',
  'SVMClassifier', 'SVMRegressor', 'EmbedLayerNormalization', 'SkipLayerNormalization', 'BiasGelu', 'GatherBlockQuantized',
  'DeformConv',
])
/** Largest share of the mixing-weight total below which a mixing op's constant is not "learned" (see mixingMin). */
export const LEARNED_MIN = 256

/**
 * Ops known to apply their constant operands element-wise or structurally: a large constant here
 * (a bias, a LayerNorm scale, an attention-mask table) is not learned mixing. Unknown ops with a
 * large constant operand count as mixing (the conservative default: it makes them learned, never
 * hides a trigger, because taint passes through every op).
 */
export const NON_MIXING_OPS = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Where', 'Clip', 'Concat', 'Slice', 'Pad', 'Expand', 'Tile',
  'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Cast', 'CastLike', 'Split', 'Shape', 'Size',
  'ConstantOfShape', 'Range', 'GatherElements', 'GatherND', 'ScatterND', 'ScatterElements', 'Scatter', 'DequantizeLinear',
  'QuantizeLinear', 'DynamicQuantizeLinear', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'And', 'Or', 'Xor',
  'Not', 'Mod', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'LayerNormalization', 'BatchNormalization',
  'InstanceNormalization', 'GroupNormalization', 'SimplifiedLayerNormalization', 'RMSNormalization', 'PRelu', 'Resize',
  'Upsample', 'OneHot', 'TopK', 'CumSum', 'Trilu', 'If', 'Loop', 'Scan', 'NonMaxSuppression', 'RoiAlign', 'Softmax',
  'LogSoftmax', 'ArgMax', 'ArgMin', 'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'Compress',
  'SequenceConstruct', 'SequenceInsert', 'ConcatFromSequence', 'SplitToSequence', 'RotaryEmbedding', 'Neg', 'Abs',
])

export const SHAPE_OPS = new Set(['Shape', 'Size'])
export const COMPARE_OPS = new Set(['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'RegexFullMatch', 'StringEqual'])

/** Discontinuous functions: their output jumps for an arbitrarily small change of the input. */
export const DISCONTINUOUS_OPS = new Set([
  ...COMPARE_OPS, 'Floor', 'Ceil', 'Round', 'Sign', 'Mod', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot',
  'IsNaN', 'IsInf', 'Not', 'And', 'Or', 'Xor', 'ArgMax', 'ArgMin', 'TopK', 'NonZero', 'OneHot', 'Hardmax', 'Unique',
])

/**
 * Saturating or piecewise functions with their largest slope (attribute-dependent ones are read
 * from the node). Steep input into one of these — or a non-monotone input such as |x - c| — makes
 * a step or a narrow window: a trigger detector.
 */
export const SATURATING_OPS: Record<string, number> = {
  Sigmoid: 0.25, Tanh: 1, HardSigmoid: 0.2, Softsign: 1, Erf: 1.13, Relu: 1, Clip: 1, Min: 1, Max: 1, ThresholdedRelu: 1,
  Shrink: 1, Softplus: 1, LeakyRelu: 1, PRelu: 1, Elu: 1, Selu: 1.05, Celu: 1, HardSwish: 1, Gelu: 1, FastGelu: 1,
  QuickGelu: 1, Mish: 1, Exp: 1, Atan: 1, Swish: 1, Relu6: 1, Softmax: 0.25,
}
/** Functions whose output is not monotone in the input (|x|, x^2, sin): a later saturation makes a window. */
export const NON_MONOTONE_OPS = new Set(['Abs', 'Cos', 'Sin', 'Square'])

/** Reductions: a trigger passing one collapses positions into a per-sample (or per-region) flag. */
export const REDUCE_OPS = new Set([
  'ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin', 'GlobalMaxPool', 'GlobalAveragePool', 'GlobalLpPool', 'TopK',
])

/** Ops whose output is a selection of the data operand at positions given by another operand. */
export const SELECT_OPS = new Set(['Gather', 'GatherElements', 'GatherND', 'Slice', 'Pad', 'ScatterND', 'ScatterElements', 'Scatter', 'Compress', 'TopK'])

/** Operand positions that are indices/shapes, not values: taint entering here selects, it does not add. */
export const INDEX_OPERANDS: Record<string, number[]> = {
  Gather: [1], GatherElements: [1], GatherND: [1], Slice: [1, 2, 3, 4], Reshape: [1], Expand: [1], Tile: [1], TopK: [1],
  OneHot: [0, 1], ScatterElements: [1], ScatterND: [1], Scatter: [1], Range: [0, 1, 2], Pad: [1, 3], Resize: [1, 2, 3],
  Upsample: [1], CumSum: [1], Squeeze: [1], Unsqueeze: [1], ReduceMax: [1], ReduceMin: [1], ReduceMean: [1],
  ReduceSum: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1], ReduceLogSum: [1], ReduceLogSumExp: [1],
  ReduceSumSquare: [1], ConstantOfShape: [0], Split: [1], Trilu: [1], CenterCropPad: [1], Col2Im: [1, 2], Compress: [1],
  Loop: [0, 1], NonMaxSuppression: [2, 3, 4],
}

export function isIndexOperand(op: string, position: number): boolean {
  return INDEX_OPERANDS[op]?.includes(position) ?? false
}

/** Ops that pass a tensor through with its values unchanged (reshaping, casting, quantising). */
export const PASS_OPS = new Set([
  'Identity', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Expand', 'Tile', 'Cast', 'CastLike', 'Split',
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'Dropout', 'Phi', 'Concat', 'Slice', 'Gather',
])

/** ONNX TensorProto data types that hold integers or booleans. */
export const INTEGER_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13, 21, 22])
