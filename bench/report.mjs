#!/usr/bin/env node
/**
 * HTML report benchmark (`node bench/report.mjs`, also part of `npm run bench`): a ~50,000-node ONNX
 * model with a trigger (ReduceMax over the input > 0.9 selects a constant with Where at the output).
 *  1. in process: parse + graph view (path, neighbours, collapsed boxes) + layout + HTML, best of 3.
 *     Target: < 2 s.
 *  2. whole process, same run: `modelseal scan M --format html` beside `--format json` of the same
 *     model (the scan itself is the baseline; the difference is what the report costs).
 * Env: BENCH_DIR (default bench/.data).
 */
import {spawnSync} from 'node:child_process'
import {appendFileSync, mkdirSync, rmSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {makeLargeGraph} from './scan-graph.mjs'
import {shippedBin} from './lib/shipped-bin.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dataDir = process.env.BENCH_DIR ?? path.join(repo, 'bench', '.data')
mkdirSync(dataDir, {recursive: true})
const file = path.join(dataDir, 'report-50k.onnx')

// The large residual graph, then a trigger appended by re-encoding its graph field with 3 more nodes.
const nodes = makeLargeGraph(file)
const {openOnnx} = await import(pathToFileURL(path.join(repo, 'dist/src/formats/onnx/reader.js')).href)
const {buildGraphView} = await import(pathToFileURL(path.join(repo, 'dist/src/scan/report/graph-view.js')).href)
const {renderScanHtml} = await import(pathToFileURL(path.join(repo, 'dist/src/scan/report/html.js')).href)

const finding = {
  id: 'MS-GB002',
  category: 'graph-backdoor',
  severity: 'high',
  title: 'Trigger selects between learned output and a constant (Where/If)',
  message: 'bench finding',
  location: {node: '/mask/Where', graph: 'main'},
  evidence: {seedNode: '/mask/Equal'},
}
const times = []
let bytes = 0
for (let rep = 0; rep < 3; rep++) {
  const t0 = performance.now()
  const {model} = openOnnx(file)
  const view = buildGraphView(model, finding)
  const report = {
    tool: {name: 'modelseal', version: 'bench'},
    files: [{path: file, format: 'onnx', status: 'scanned', findings: [finding]}],
    summary: {
      files: 1,
      scanned: 1,
      errors: 0,
      unsupported: 0,
      findings: {info: 0, low: 0, medium: 0, high: 1, critical: 0},
      maxSeverity: 'high',
      failOn: 'high',
      failed: true,
    },
  }
  const html = renderScanHtml(report, new Map([[finding, view]]))
  bytes = html.length
  times.push(performance.now() - t0)
}
const best = Math.min(...times) / 1000

function timeCli(format) {
  const out = path.join(dataDir, `report-50k.${format}`)
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [shippedBin(repo), 'scan', file, '--format', format, '--output', out, '--no-weights'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const s = (performance.now() - t0) / 1000
  if (r.status !== 0 && r.status !== 1) throw new Error(`scan --format ${format} exited ${r.status}: ${r.stderr}`)
  rmSync(out, {force: true})
  return s
}
const pairs = []
for (let rep = 0; rep < 3; rep++) pairs.push([timeCli('html'), timeCli('json')])
const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const html = med(pairs.map((p) => p[0]))
const json = med(pairs.map((p) => p[1]))

console.log(`report: ${nodes}-node ONNX model, trigger path drawn`)
console.log(
  `  parse + view + layout + HTML (best of 3)   ${best.toFixed(3)} s   (${(bytes / 1024).toFixed(0)} KiB page)   target < 2 s: ${best < 2 ? 'met' : 'MISSED'}`,
)
console.log(
  `  whole process: scan --format html ${html.toFixed(2)} s   beside scan --format json ${json.toFixed(2)} s (same run, median of 3)   ratio ${(html / json).toFixed(2)}x`,
)
if (process.env.BENCH_RESULT_FILE) {
  appendFileSync(
    process.env.BENCH_RESULT_FILE,
    `${JSON.stringify({bench: 'report', metric: 'html report, 50k-node graph (in process)', value: best, unit: 's', target: '< 2 s', pass: best < 2})}\n`,
  )
  appendFileSync(
    process.env.BENCH_RESULT_FILE,
    `${JSON.stringify({bench: 'report', metric: 'scan --format html, 50k nodes (process)', value: html, unit: 's', baseline: {name: 'scan --format json', value: json, unit: 's'}, ratio: html / json})}\n`,
  )
}
