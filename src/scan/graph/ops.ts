/** Operator classes used by the data-flow analysis (docs/design-notes.md §1). */

/** Ops that mix a weight into data; with a constant operand of >= LEARNED_MIN elements their output is "learned". */
export const MIXING_OPS = new Set([
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'MatMulInteger', 'ConvInteger', 'QLinearConv', 'QLinearMatMul', 'LSTM',
  'GRU', 'RNN', 'Einsum', 'Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'MatMulNBits', 'FusedMatMul',
  'QAttention', 'QGemm', 'FusedConv', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'FusedGemm', 'DynamicQuantizeLSTM',
  'TreeEnsembleClassifier', 'TreeEnsembleRegressor', 'TreeEnsemble', 'LinearClassifier', 'LinearRegressor',
  'SVMClassifier', 'SVMRegressor', 'EmbedLayerNormalization', 'SkipLayerNormalization', 'BiasGelu', 'GatherBlockQuantized',
])
/** Weight elements a constant operand needs before its op counts as learned compute. */
export const LEARNED_MIN = 256

export const SHAPE_OPS = new Set(['Shape', 'Size'])
export const COMPARE_OPS = new Set(['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'RegexFullMatch', 'StringEqual'])
export const THRESHOLD_OPS = new Set([
  'Sign', 'Relu', 'Round', 'Floor', 'Ceil', 'Clip', 'Max', 'Min', 'HardSigmoid', 'MaxPool', 'IsInf', 'IsNaN', 'Not',
  'And', 'Or', 'Xor', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'ThresholdedRelu', 'Shrink',
  'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor',
])
export const REDUCE_OPS = new Set([
  'ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin', 'GlobalMaxPool', 'GlobalAveragePool', 'GlobalLpPool',
])
/** Where a flag can meet a learned tensor and gate or override it. */
export const MERGE_OPS = new Set(['Where', 'Mul', 'Add', 'Sub', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Concat', 'Clip', 'Pow', 'If'])

/** Operand positions that are indices/shapes, not values (H5: taint entering only here is index-typed use). */
export const INDEX_OPERANDS: Record<string, number[]> = {
  Gather: [1], GatherElements: [1], GatherND: [1], Slice: [1, 2, 3, 4], Reshape: [1], Expand: [1], Tile: [1], TopK: [1],
  OneHot: [0, 1], ScatterElements: [1], ScatterND: [1], Scatter: [1], Range: [0, 1, 2], Pad: [1, 3], Resize: [1, 2, 3],
  Upsample: [1], CumSum: [1], Squeeze: [1], Unsqueeze: [1], ReduceMax: [1], ReduceMin: [1], ReduceMean: [1],
  ReduceSum: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1], ReduceLogSum: [1], ReduceLogSumExp: [1],
  ReduceSumSquare: [1], ConstantOfShape: [0], Split: [1], Trilu: [1], CenterCropPad: [1], Col2Im: [1, 2],
}

export function isIndexOperand(op: string, position: number): boolean {
  return INDEX_OPERANDS[op]?.includes(position) ?? false
}
