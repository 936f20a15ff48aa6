/**
 * Small ONNX models for the policy tests, written with onnx-proto: a clean classifier, one using
 * a contrib-domain operator, and one with external data. (Backdoored models come from the
 * scanner's fixtures in testdata/onnx.)
 */
import {writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)
// onnx-proto is a CommonJS pbjs static module.
const {onnx} = require('onnx-proto') as {onnx: any}

const FLOAT = 1

function tensor(name: string, dims: number[], values: number[]): any {
  return onnx.TensorProto.create({name, dataType: FLOAT, dims, floatData: values})
}

function valueInfo(name: string, dims: number[]): any {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: FLOAT,
        shape: onnx.TensorShapeProto.create({dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({dimValue: d}))}),
      }),
    }),
  })
}

function node(opType: string, inputs: string[], outputs: string[], extra: Record<string, unknown> = {}): any {
  return onnx.NodeProto.create({opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, ...extra})
}

function model(nodes: any[], initializers: any[], opsets: {domain: string; version: number}[] = [{domain: '', version: 17}]): Buffer {
  const graph = onnx.GraphProto.create({
    name: 'g',
    node: nodes,
    initializer: initializers,
    input: [valueInfo('X', [1, 4])],
    output: [valueInfo('Y', [1, 3])],
  })
  const m = onnx.ModelProto.create({irVersion: 8, producerName: 'modelseal-test', graph, opsetImport: opsets.map((o) => onnx.OperatorSetIdProto.create(o))})
  return Buffer.from(onnx.ModelProto.encode(m).finish())
}

const W = () => tensor('W', [4, 3], [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, -1.0, 1.1, 1.2])
const B = () => tensor('B', [3], [0.01, 0.02, 0.03])

export function cleanOnnx(file: string): void {
  writeFileSync(file, model([node('MatMul', ['X', 'W'], ['mm']), node('Add', ['mm', 'B'], ['Y'])], [W(), B()]))
}

/** Uses com.microsoft:FusedMatMul (a contrib operator). */
export function contribOnnx(file: string): void {
  writeFileSync(
    file,
    model(
      [node('FusedMatMul', ['X', 'W'], ['mm'], {domain: 'com.microsoft'}), node('Add', ['mm', 'B'], ['Y'])],
      [W(), B()],
      [
        {domain: '', version: 17},
        {domain: 'com.microsoft', version: 1},
      ],
    ),
  )
}

/** W lives in an external file `weights.data` next to the model. */
export function externalOnnx(file: string, dataFile: string): void {
  const w = Buffer.alloc(48)
  for (let i = 0; i < 12; i++) w.writeFloatLE(i / 10, i * 4)
  writeFileSync(dataFile, w)
  const ext = onnx.TensorProto.create({
    name: 'W',
    dataType: FLOAT,
    dims: [4, 3],
    dataLocation: 1,
    externalData: [
      onnx.StringStringEntryProto.create({key: 'location', value: 'weights.data'}),
      onnx.StringStringEntryProto.create({key: 'offset', value: '0'}),
      onnx.StringStringEntryProto.create({key: 'length', value: '48'}),
    ],
  })
  writeFileSync(file, model([node('MatMul', ['X', 'W'], ['mm']), node('Add', ['mm', 'B'], ['Y'])], [ext, B()]))
}
