/**
 * ONNX tensors as the shared TensorView of src/formats/tensor.ts, for the weight checks: inline
 * raw_data (a view when the model is in memory, else a file range), packed float/double fields,
 * and external data that passed every safety check of external.ts. Nothing is copied up front.
 */
import path from 'node:path'

import type {TensorDType, TensorView} from '../tensor.js'
import {resolveExternal} from './external.js'
import type {ByteSource} from './source.js'
import {isExternal} from './tensors.js'
import {DATA_TYPE_NAMES, type OnnxModel, type OnnxTensor} from './types.js'
import {walkTensors} from './walk.js'

export interface OnnxTensorView extends TensorView {
  /** Graph path and role: "main:initializer", "main/If_0.then_branch/Constant_3", "function:d.f/...". */
  location: string
}

const DTYPES: Record<number, TensorDType> = {
  1: 'f32',
  2: 'u8',
  3: 'i8',
  4: 'u16',
  5: 'i16',
  6: 'i32',
  7: 'i64',
  9: 'bool',
  10: 'f16',
  11: 'f64',
  12: 'u32',
  13: 'u64',
  14: 'c64',
  15: 'c128',
  16: 'bf16',
  17: 'f8',
  18: 'f8',
  19: 'f8',
  20: 'f8',
  24: 'f8',
}

export function onnxDType(dataType: number): TensorDType {
  return DTYPES[dataType] ?? 'other'
}

/**
 * Yields every tensor whose bytes can be addressed as one little-endian range. `opts.weights`
 * (from the graph analysis) marks tensors that are weight operands of mixing ops. Tensors with
 * unsafe external references are skipped here (the graph rules report them) and never opened.
 */
export function* iterateOnnxTensors(
  model: OnnxModel,
  source: ByteSource,
  filePath: string,
  opts: {weights?: ReadonlySet<OnnxTensor>} = {},
): Generator<OnnxTensorView> {
  const modelDir = path.dirname(path.resolve(filePath))
  for (const v of walkTensors(model)) {
    const t = v.tensor
    const location = v.node ? `${v.graph.path}/${v.node.name || v.node.opType}` : `${v.graph.path}:${v.role}`
    const base = {
      name: t.name || `${location}`,
      dtype: onnxDType(t.dataType),
      sourceDType: DATA_TYPE_NAMES[t.dataType] ?? String(t.dataType),
      shape: t.dims,
      location,
      // Only set when known: the weight checks fall back to name heuristics otherwise.
      ...(opts.weights?.has(t) ? {role: 'weight' as const} : {}),
    }
    if (isExternal(t)) {
      const ref = resolveExternal(t, modelDir)
      if (ref.file) yield {...base, file: ref.file, byteOffset: ref.offset, byteLength: ref.length}
      continue
    }
    let span = t.raw
    if (!span && t.typed && t.typed.values.length === 0 && t.typed.spans.length === 1) {
      // float_data / double_data are packed little-endian IEEE values: byte-identical to raw_data.
      if ((t.typed.field === 'float' && t.dataType === 1) || (t.typed.field === 'double' && t.dataType === 11)) span = t.typed.spans[0]
    }
    if (!span || span.length === 0) continue
    const view: OnnxTensorView = {...base, file: filePath, byteOffset: span.offset, byteLength: span.length}
    if (source.inMemory) view.data = source.read(span.offset, span.length)
    yield view
  }
}
