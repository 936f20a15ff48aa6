/**
 * Pictures of the analysis (inspect --graph, scan --explain) and the bounded fixpoint over
 * hostile Loop/If nests.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import onnxProto from 'onnx-proto'

import {MemorySource, parseModelSource} from '../../../src/formats/onnx/index.js'
import {MAX_PASSES} from '../../../src/scan/graph/dataflow.js'
import {analyzeDataflow, analyzeOnnxGraph, flattenModel} from '../../../src/scan/graph/index.js'
import {renderGraph, triggerPaths} from '../../../src/scan/graph/render.js'
import {repoRoot, runCli, tempDir} from '../../helpers/cli.js'

const {onnx} = onnxProto
const DT = onnx.TensorProto.DataType
const AT = onnx.AttributeProto.AttributeType
const fx = (name: string) => path.join(repoRoot, 'testdata', 'onnx', name)
const redteam = (pattern: RegExp) =>
  path.join(repoRoot, 'testdata', 'redteam', 'models', readdirSync(path.join(repoRoot, 'testdata', 'redteam', 'models')).find((f) => pattern.test(f))!)

describe('graph pictures', () => {
  it('inspect --graph dot: clusters for the loop body, the merge node highlighted', async () => {
    const file = redteam(/^bd_.*_where_loop\.onnx$|^bd_.*_add_loop\.onnx$|^bd_.*_loop\.onnx$/)
    const r = await runCli(['inspect', file, '--graph', 'dot'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^digraph onnx \{/)
    assert.match(r.stdout, /subgraph cluster_\d+ \{\n\s+label="main\/[^"]*body/)
    assert.match(r.stdout, /\[merge\][^\n]*fillcolor="#ff8787"/)
    assert.match(r.stdout, /\[seed\]/)
    assert.match(r.stdout, /in\d+ -> n\d+/)
  })

  it('inspect --graph mermaid and --json', async () => {
    const r = await runCli(['inspect', fx('backdoor_where.onnx'), '--graph', 'mermaid'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^flowchart TB/)
    assert.match(r.stdout, /class n\d+ merge/)
    const j = await runCli(['inspect', fx('backdoor_where.onnx'), '--graph', 'mermaid', '--json'])
    assert.equal(j.code, 0, j.stderr)
    assert.equal(JSON.parse(j.stdout).format, 'mermaid')
    const bad = await runCli(['inspect', fx('backdoor_where.onnx'), '--graph', 'svg'])
    assert.equal(bad.code, 2)
  })

  it('scan --explain prints the trigger path and a Mermaid drawing', async () => {
    const r = await runCli(['scan', fx('backdoor_where.onnx'), '--explain'])
    assert.equal(r.code, 1)
    assert.match(r.stdout, /trigger path: images → .*\*Where\([^)]*\)\* → .*logits/)
    assert.match(r.stdout, /```mermaid\nflowchart TB/)
    const clean = await runCli(['scan', fx('clean_cnn.onnx'), '--explain'])
    assert.equal(clean.code, 0)
    assert.doesNotMatch(clean.stdout, /mermaid/)
  })

  it('a large graph is cut to the trigger path and its neighbours', () => {
    const file = redteam(/^bd_.*_cnn_.*_main\.onnx$/)
    const b = readFileSync(file)
    const model = parseModelSource(new MemorySource(b))
    const g = analyzeOnnxGraph(model, new MemorySource(b), file)
    const paths = triggerPaths(g.findings.filter((f) => f.category === 'graph-backdoor' && f.severity === 'high'))
    assert.ok(paths.length > 0)
    const full = renderGraph(g.flat!, paths, {format: 'dot'})
    const cut = renderGraph(g.flat!, paths, {format: 'dot', maxNodes: 12})
    const count = (s: string) => (s.match(/^\s+n\d+ \[label=/gm) ?? []).length
    assert.ok(count(cut) <= 12 && count(cut) < count(full), `${count(cut)} vs ${count(full)}`)
    assert.match(cut, /only the \d+ nodes on and around trigger paths of \d+ are drawn/)
    assert.match(cut, /\[merge\]/)
  })
})

describe('bounded fixpoint', () => {
  /** `depth` Loops nested in each other, each carrying a value through its body and an If inside. */
  function hostileNest(depth: number): Buffer {
    let body: object | undefined
    for (let d = depth; d >= 0; d--) {
      const inner = body
        ? [{opType: 'Loop', input: ['m', '', `c${d}`], output: [`c${d}_out`], name: `/L${d}`, attribute: [{name: 'body', type: AT.GRAPH, g: body}]}]
        : [
            {opType: 'Greater', input: [`c${d}`, 'thr'], output: [`c${d}_g`], name: `/G${d}`},
            {opType: 'Cast', input: [`c${d}_g`], output: [`c${d}_out`], name: `/C${d}`, attribute: [{name: 'to', type: AT.INT, i: DT.FLOAT}]},
          ]
      const ifNode = {
        opType: 'If',
        input: ['cond'],
        output: [`c${d}_if`],
        name: `/If${d}`,
        attribute: [
          {
            name: 'then_branch',
            type: AT.GRAPH,
            g: {name: `t${d}`, node: [{opType: 'Identity', input: [`c${d}_out`], output: [`t${d}_o`]}], output: [{name: `t${d}_o`}]},
          },
          {
            name: 'else_branch',
            type: AT.GRAPH,
            g: {name: `e${d}`, node: [{opType: 'Neg', input: [`c${d}_out`], output: [`e${d}_o`]}], output: [{name: `e${d}_o`}]},
          },
        ],
      }
      body = {
        name: `body${d}`,
        node: [...inner, ifNode, {opType: 'Identity', input: ['cond_in'], output: [`cond${d}`]}],
        input: [{name: `i${d}`}, {name: 'cond_in'}, {name: `c${d}`}],
        output: [{name: `cond${d}`}, {name: `c${d}_if`}],
      }
    }
    const main = {
      name: 'g',
      node: [{opType: 'Loop', input: ['m', '', 'x'], output: ['y'], name: '/Lmain', attribute: [{name: 'body', type: AT.GRAPH, g: body}]}],
      input: [{name: 'x', type: {tensorType: {elemType: DT.FLOAT, shape: {dim: [{dimValue: 1}, {dimValue: 8}]}}}}],
      output: [{name: 'y'}],
      initializer: [
        {name: 'm', dims: [], dataType: DT.INT64, int64Data: [1000]},
        {name: 'thr', dims: [], dataType: DT.FLOAT, floatData: [0.5]},
        {name: 'cond', dims: [], dataType: DT.BOOL, int32Data: [1]},
      ],
    }
    return Buffer.from(onnx.ModelProto.encode(onnx.ModelProto.create({irVersion: 8, opsetImport: [{domain: '', version: 17}], graph: main})).finish())
  }

  it('a 60-deep Loop/If nest with carried state ends within MAX_PASSES passes', () => {
    const b = hostileNest(60)
    const model = parseModelSource(new MemorySource(b))
    const fg = flattenModel(model)
    assert.ok(
      fg.nodes.some((n) => n.back && n.back.length > 0),
      'carried state becomes back edges',
    )
    const f = analyzeDataflow(fg, new MemorySource(b))
    assert.ok(f.passes >= 2 && f.passes <= MAX_PASSES, `${f.passes} passes`)
  })

  it('the CLI scans a 60-deep nest and refuses a 150-deep one (exit 3, one line)', async () => {
    const {dir, cleanup} = tempDir()
    try {
      for (const [depth, codes] of [
        [60, [0, 1]],
        [150, [3]],
      ] as const) {
        const p = path.join(dir, `nest${depth}.onnx`)
        writeFileSync(p, hostileNest(depth))
        const r = await runCli(['scan', p, '--json'])
        assert.ok((codes as readonly number[]).includes(r.code ?? -1), `depth ${depth}: exit ${r.code}: ${r.stderr}`)
        assert.doesNotMatch(r.stderr, /\n\s+at /)
      }
    } finally {
      cleanup()
    }
  })
})
