import {Args, Flags} from '@oclif/core'

import {InputError} from '../src/errors.js'
import {inspectOnnx, type OnnxInspection} from '../src/formats/onnx/index.js'
import {renderOnnxGraph, type GraphFormat} from '../src/scan/graph/render.js'
import {readFileHead} from '../src/io/index.js'
import {pickScanner} from '../src/scan/engine.js'
import {ModelsealCommand} from './_lib/base-command.js'

function shape(s: (number | string | null)[] | undefined): string {
  return s ? `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '[?]'
}

/**
 * When a file fails to parse as ONNX, say what it is instead (by content, as `scan` recognises
 * formats): "x.pkl is a pickle, not ONNX" is actionable, "field number 0 at 4" is not.
 */
function notOnnx(file: string): InputError | undefined {
  let head: Buffer
  try {
    head = readFileHead(file, 4096, {code: 'E_NOT_REGULAR_FILE', followSymlinks: true}).head
  } catch {
    return undefined
  }
  const format = pickScanner(head, file)?.format
  if (!format || format === 'onnx' || format === 'unsupported' || format === 'unknown') return undefined
  const article = /^[aeiou]/i.test(format) ? 'an' : 'a'
  return new InputError(
    'E_NOT_ONNX',
    `${file} is ${article} ${format} file, not ONNX: \`modelseal inspect\` reads ONNX models; use \`modelseal scan ${file}\` for ${format}`,
  )
}

export default class Inspect extends ModelsealCommand {
  static override summary = 'Describe an ONNX model: IR, opsets, producer, inputs/outputs, op counts, weights, external data'
  static override description =
    'Reads the model with the same bounded parser as `scan` (no external data is opened; locations are only checked). Counts include nodes inside subgraphs and model-local functions. Exit 3 when the file is not a readable ONNX model.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> model.onnx',
    '<%= config.bin %> <%= command.id %> model.onnx --json',
    '<%= config.bin %> <%= command.id %> model.onnx --graph dot | dot -Tsvg > model.svg',
    '<%= config.bin %> <%= command.id %> model.onnx --graph mermaid',
  ]
  static override args = {model: Args.string({required: true, description: 'ONNX model file'})}
  static override flags = {
    graph: Flags.string({
      description:
        'Print the graph (Graphviz DOT or Mermaid) instead of the summary, graph-backdoor trigger paths highlighted; large graphs are cut to the paths and their neighbours',
      options: ['dot', 'mermaid'],
    }),
  }

  public async run(): Promise<OnnxInspection | {graph: string; format: string}> {
    const {args, flags} = await this.parse(Inspect)
    if (flags.graph) {
      let text: string
      try {
        text = renderOnnxGraph(args.model, {format: flags.graph as GraphFormat}).text
      } catch (err) {
        throw notOnnx(args.model) ?? err
      }
      if (!this.jsonEnabled()) this.log(text)
      return {format: flags.graph, graph: text}
    }
    let r: OnnxInspection
    try {
      r = inspectOnnx(args.model)
    } catch (err) {
      throw notOnnx(args.model) ?? err
    }
    this.log(`${r.path}: ONNX IR ${r.irVersion}, ${r.fileSize} bytes`)
    this.log(`producer: ${r.producer.name || '-'} ${r.producer.version}`.trimEnd())
    this.log(`opsets: ${r.opsets.map((o) => `${o.domain}=${o.version}`).join(', ') || '-'}`)
    this.log('inputs:')
    for (const i of r.inputs) this.log(`  ${i.name}: ${i.elemType ?? i.type} ${shape(i.shape)}`)
    this.log('outputs:')
    for (const o of r.outputs) this.log(`  ${o.name}: ${o.elemType ?? o.type} ${shape(o.shape)}`)
    this.log(`nodes: ${r.nodes.total} in ${r.nodes.graphs} graph(s), max nesting ${r.nodes.maxDepth}`)
    for (const [op, n] of Object.entries(r.nodes.byOpType)) this.log(`  ${op}: ${n}`)
    if (r.functions.length) this.log(`functions: ${r.functions.map((f) => `${f.domain}.${f.name}`).join(', ')}`)
    const w = r.weights
    this.log(`weights: ${w.count} tensors, ${w.bytes} bytes (inline ${w.inline.count}/${w.inline.bytes} B, external ${w.external.count}/${w.external.bytes} B)`)
    for (const e of r.externalData)
      this.log(`  external ${e.location}: ${e.tensors} tensors, ${e.bytes} bytes${e.problems.length ? ` — ${e.problems.join('; ')}` : ''}`)
    return r
  }
}
