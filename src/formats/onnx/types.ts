/** The parsed shape of an ONNX model: just the fields modelseal needs, with byte spans for payloads. */

export interface ByteSpan {
  offset: number
  length: number
}

export interface KeyValue {
  key: string
  value: string
}

/** A string field: decoded text (truncated to STRING_KEEP bytes) plus its full size. */
export interface TextField {
  text: string
  length: number
  offset: number
}

export interface OnnxTensor {
  name: string
  dataType: number
  dims: number[]
  raw?: ByteSpan
  /** Typed payload fields (float_data, int32_data, ...) as packed spans and/or unpacked values. */
  typed?: {field: TypedField; spans: ByteSpan[]; values: number[]}
  /** string_data entries. */
  strings: ByteSpan[]
  external: KeyValue[]
  dataLocation: number
  docString?: TextField
  metadata: KeyValue[]
  /** Where the tensor was found (graph path, node/attribute). */
  where: string
}

export type TypedField = 'float' | 'int32' | 'int64' | 'double' | 'uint64'

export interface OnnxSparseTensor {
  values?: OnnxTensor
  indices?: OnnxTensor
  dims: number[]
}

export interface OnnxTypeInfo {
  /** tensor | sequence | map | optional | sparse_tensor | opaque | unknown */
  kind: string
  elemType?: number
  /** dim_value (number) or dim_param (string); undefined shape = unknown rank. */
  shape?: (number | string | null)[]
}

export interface OnnxValueInfo {
  name: string
  type?: OnnxTypeInfo
  docString?: TextField
  metadata: KeyValue[]
}

export const AttrType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const

export interface OnnxAttribute {
  name: string
  type: number
  refAttrName?: string
  f?: number
  i?: number
  s?: TextField
  t?: OnnxTensor
  g?: OnnxGraph
  sparseTensor?: OnnxSparseTensor
  floats: number[]
  ints: number[]
  strings: TextField[]
  tensors: OnnxTensor[]
  graphs: OnnxGraph[]
  sparseTensors: OnnxSparseTensor[]
  docString?: TextField
}

export interface OnnxNode {
  inputs: string[]
  outputs: string[]
  name: string
  opType: string
  domain: string
  overload: string
  attributes: OnnxAttribute[]
  docString?: TextField
  metadata: KeyValue[]
}

export interface OnnxGraph {
  name: string
  /** Stable location string: "main", "main/If_0.then_branch", "function:dom.f", "training[0].algorithm". */
  path: string
  depth: number
  nodes: OnnxNode[]
  initializers: OnnxTensor[]
  sparseInitializers: OnnxSparseTensor[]
  inputs: OnnxValueInfo[]
  outputs: OnnxValueInfo[]
  valueInfo: OnnxValueInfo[]
  docString?: TextField
  metadata: KeyValue[]
}

export interface OnnxOpset {
  domain: string
  version: number
}

export interface OnnxFunction {
  name: string
  domain: string
  overload: string
  inputs: string[]
  outputs: string[]
  attributes: string[]
  nodes: OnnxNode[]
  opsets: OnnxOpset[]
  docString?: TextField
  metadata: KeyValue[]
  /** A graph view of the body (path "function:<domain>.<name>") for rules that walk graphs. */
  body: OnnxGraph
}

/** Something the parser noticed about the encoding itself (evasion channels, parser differentials). */
export interface ParseAnomaly {
  kind: 'unknown-field' | 'duplicate-field' | 'wire-type-mismatch'
  message: string
  field: number
  offset: number
  size: number
}

export interface OnnxModel {
  irVersion: number
  opsets: OnnxOpset[]
  producerName: string
  producerVersion: string
  domain: string
  modelVersion: number
  docString?: TextField
  graph: OnnxGraph
  metadata: KeyValue[]
  trainingGraphs: OnnxGraph[]
  functions: OnnxFunction[]
  anomalies: ParseAnomaly[]
  fileSize: number
  /** Counters gathered while parsing (all scopes). */
  counts: {nodes: number; graphs: number; tensors: number; maxDepth: number}
}

export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const

/** Bits per element of each TensorProto.DataType (0 = not fixed width / unknown). */
export const DATA_TYPE_BITS: Record<number, number> = {
  1: 32,
  2: 8,
  3: 8,
  4: 16,
  5: 16,
  6: 32,
  7: 64,
  8: 0,
  9: 8,
  10: 16,
  11: 64,
  12: 32,
  13: 64,
  14: 64,
  15: 128,
  16: 16,
  17: 8,
  18: 8,
  19: 8,
  20: 8,
  21: 4,
  22: 4,
  23: 4,
  24: 8,
  25: 2,
  26: 2,
}

export const DATA_TYPE_NAMES: Record<number, string> = {
  0: 'undefined',
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
  24: 'float8e8m0',
  25: 'uint2',
  26: 'int2',
}
