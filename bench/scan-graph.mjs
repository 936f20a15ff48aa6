#!/usr/bin/env node
/**
 * Graph-scan benchmark (part of `npm run bench:scan`; run alone: `node bench/scan-graph.mjs`).
 *  1. a ~50,000-node ONNX model (residual MLP blocks + an attention-style mask): parse time,
 *     graph analysis time (flatten + data-flow + rules), peak RSS. Target: analysis < 1 s.
 *  2. an ONNX model with 1 GiB of inline weights (16 x 64 MiB initializers): parse + graph
 *     analysis with peak RSS. Target: < 1.5 GiB (weights are never copied: windowed reads).
 * Each case runs in a child process so peak RSS (maxRSS) belongs to that case alone; times are the
 * best of BENCH_REPS (default 3) parses/analyses, wall clock and (in parentheses) process CPU time.
 * Env: BENCH_DIR (default bench/.data), BENCH_FROM_SRC=1 (import src/ through tsx instead of dist/),
 * BENCH_GRAPH_ONLY=1 (skip the 1 GiB case).
 */
import {spawnSync} from 'node:child_process'
import {randomFillSync} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {len, str, varint, vint} from '../testdata/lib/protobuf-wire.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dataDir = process.env.BENCH_DIR ?? path.join(repo, 'bench', '.data')

const node = (op, ins, outs, name) => len(1, Buffer.concat([...ins.map((i) => str(1, i)), ...outs.map((o) => str(2, o)), str(3, name), str(4, op)]))
const valueInfo = (f, name, elem, dims) =>
  len(
    f,
    Buffer.concat([
      str(1, name),
      len(2, len(1, Buffer.concat([vint(1, elem), len(2, Buffer.concat(dims.map((d) => len(1, typeof d === 'string' ? str(2, d) : vint(1, d)))))]))),
    ]),
  )
const tensorHeader = (name, dims, rawLen) => Buffer.concat([...dims.map((d) => vint(1, d)), vint(2, 1), str(8, name), varint(9 * 8 + 2), varint(rawLen)])

/** ~50k nodes: 12,500 blocks of MatMul(16x16) -> Add(bias) -> Relu -> Add(residual), plus a mask. */
export function makeLargeGraph(file, blocks = 12_500) {
  const parts = []
  const w = Buffer.alloc(16 * 16 * 4)
  randomFillSync(w)
  for (let i = 0; i < w.length; i += 4) w.writeFloatLE((w.readUInt32LE(i) / 2 ** 32 - 0.5) * 0.1, i)
  let prev = 'x'
  for (let b = 0; b < blocks; b++) {
    parts.push(node('MatMul', [prev, `w${b}`], [`m${b}`], `/blk${b}/MatMul`))
    parts.push(node('Add', [`m${b}`, 'bias'], [`a${b}`], `/blk${b}/Add`))
    parts.push(node('Relu', [`a${b}`], [`r${b}`], `/blk${b}/Relu`))
    parts.push(node('Add', [`r${b}`, prev], [`h${b}`], `/blk${b}/Residual`))
    prev = `h${b}`
  }
  parts.push(node('Equal', ['mask', 'zero'], ['is_pad'], '/mask/Equal'))
  parts.push(node('Where', ['is_pad', 'neg', prev], ['y'], '/mask/Where'))
  const inits = []
  for (let b = 0; b < blocks; b++) inits.push(len(5, Buffer.concat([tensorHeader(`w${b}`, [16, 16], w.length), w])))
  const f32 = (name, v) => {
    const raw = Buffer.alloc(4)
    raw.writeFloatLE(v)
    return len(5, Buffer.concat([tensorHeader(name, [], 4), raw]))
  }
  inits.push(len(5, Buffer.concat([tensorHeader('bias', [16], 64), Buffer.alloc(64)])), f32('zero', 0), f32('neg', -1e9))
  const graph = Buffer.concat([
    ...parts,
    str(2, 'large'),
    ...inits,
    valueInfo(11, 'x', 1, ['batch', 16]),
    valueInfo(11, 'mask', 1, ['batch', 16]),
    valueInfo(12, 'y', 1, ['batch', 16]),
  ])
  fs.writeFileSync(file, Buffer.concat([vint(1, 8), len(8, vint(2, 17)), len(7, graph)]))
  return parts.length
}

/**
 * A hostile Loop/If nest: `depth` Loops inside each other (the parser's nesting limit is 64), each
 * body carrying a value around its back edge through `width` nodes — a comparison seeding a
 * trigger, arithmetic, an If — so the fixpoint has work at every level. Target: ends < 5 s.
 */
export function makeHostileNest(file, depth = 30, width = 600) {
  const attrGraph = (name, g) => len(5, Buffer.concat([str(1, name), vint(20, 5), len(6, g)]))
  const nodeA = (op, ins, outs, name, attrs) =>
    len(1, Buffer.concat([...ins.map((i) => str(1, i)), ...outs.map((o) => str(2, o)), str(3, name), str(4, op), ...attrs]))
  const vi = (f, name) => len(f, str(1, name))
  let body
  for (let d = depth; d >= 0; d--) {
    const parts = []
    let v = `c${d}`
    for (let k = 0; k < width; k++) {
      const o = `d${d}_${k}`
      if (k % 3 === 0) parts.push(node('Greater', [v, 'thr'], [`${o}_g`], `/L${d}/Greater_${k}`), node('Where', [`${o}_g`, 'big', v], [o], `/L${d}/Where_${k}`))
      else parts.push(node(k % 3 === 1 ? 'Mul' : 'Add', [v, 'thr'], [o], `/L${d}/Op_${k}`))
      v = o
    }
    if (body) {
      parts.push(nodeA('Loop', ['m', '', v], [`c${d}_loop`], `/L${d}/Loop`, [attrGraph('body', body)]))
      v = `c${d}_loop`
    }
    const branch = (tag, op) => Buffer.concat([node(op, [v], [`${tag}${d}_o`], `/L${d}/${tag}`), str(2, `${tag}${d}`), vi(12, `${tag}${d}_o`)])
    parts.push(
      nodeA('If', ['cond'], [`c${d}_if`], `/L${d}/If`, [attrGraph('then_branch', branch('t', 'Identity')), attrGraph('else_branch', branch('e', 'Neg'))]),
    )
    parts.push(node('Identity', ['cond_in'], [`cond${d}`], `/L${d}/cond`))
    body = Buffer.concat([...parts, str(2, `body${d}`), vi(11, `i${d}`), vi(11, 'cond_in'), vi(11, `c${d}`), vi(12, `cond${d}`), vi(12, `c${d}_if`)])
  }
  const scalar = (name, type, bytes) => len(5, Buffer.concat([vint(2, type), str(8, name), varint(9 * 8 + 2), varint(bytes.length), bytes]))
  const f32 = (v) => {
    const b = Buffer.alloc(4)
    b.writeFloatLE(v)
    return b
  }
  const i64 = Buffer.alloc(8)
  i64.writeBigInt64LE(1000n)
  const graph = Buffer.concat([
    nodeA('Loop', ['m', '', 'x'], ['y'], '/Lmain', [attrGraph('body', body)]),
    str(2, 'nest'),
    scalar('m', 7, i64),
    scalar('thr', 1, f32(0.5)),
    scalar('big', 1, f32(1e4)),
    scalar('cond', 9, Buffer.from([1])),
    valueInfo(11, 'x', 1, [1, 8]),
    vi(12, 'y'),
  ])
  fs.writeFileSync(file, Buffer.concat([vint(1, 8), len(8, vint(2, 17)), len(7, graph)]))
}

/** 1 GiB of weights as 16 inline 64 MiB initializers feeding a MatMul chain; written in pieces. */
export function makeHeavyModel(file, tensors = 16, tensorBytes = 64 * 1024 * 1024) {
  const n = tensorBytes / 4
  const side = Math.sqrt(n)
  const nodes = []
  let prev = 'x'
  for (let i = 0; i < tensors; i++) {
    nodes.push(node('MatMul', [prev, `W${i}`], [`y${i}`], `/layer${i}/MatMul`))
    prev = `y${i}`
  }
  const head = Buffer.concat([...nodes, str(2, 'heavy'), valueInfo(11, 'x', 1, ['batch', side]), valueInfo(12, prev, 1, ['batch', side])])
  const tHeads = Array.from({length: tensors}, (_, i) => tensorHeader(`W${i}`, [side, side], tensorBytes))
  const initLens = tHeads.map((h) => h.length + tensorBytes)
  const graphLen = head.length + initLens.reduce((a, l, _i) => a + varint(5 * 8 + 2).length + varint(l).length + l, 0)
  const fd = fs.openSync(file, 'w')
  fs.writeSync(fd, Buffer.concat([vint(1, 8), len(8, vint(2, 17)), varint(7 * 8 + 2), varint(graphLen), head]))
  const chunk = Buffer.alloc(tensorBytes)
  randomFillSync(chunk)
  for (let i = 0; i < tensorBytes; i += 4) chunk.writeFloatLE(((chunk.readUInt32LE(i) >>> 9) / 2 ** 23 - 0.5) * 0.05, i)
  for (let i = 0; i < tensors; i++) {
    fs.writeSync(fd, Buffer.concat([varint(5 * 8 + 2), varint(initLens[i]), tHeads[i]]))
    fs.writeSync(fd, chunk)
  }
  fs.closeSync(fd)
}

async function child(file) {
  const base = process.env.BENCH_FROM_SRC === '1' ? path.join(repo, 'src') : path.join(repo, 'dist', 'src')
  const ext = process.env.BENCH_FROM_SRC === '1' ? '.ts' : '.js'
  const onnx = await import(pathToFileURL(path.join(base, 'formats', 'onnx', `index${ext}`)).href)
  const graph = await import(pathToFileURL(path.join(base, 'scan', 'graph', `index${ext}`)).href)
  const cpu = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
  // Best of REPS (parse and analysis each), to see through a loaded machine; RSS is the peak over all.
  const REPS = Number(process.env.BENCH_REPS ?? 3)
  let best = {parseMs: Infinity, analysisMs: Infinity, parseCpuMs: Infinity, analysisCpuMs: Infinity}
  let model, a
  for (let r = 0; r < REPS; r++) {
    const c0 = cpu()
    const t0 = performance.now()
    const opened = onnx.openOnnx(file)
    const t1 = performance.now()
    const c1 = cpu()
    a = graph.analyzeOnnxGraph(opened.model, opened.source, file)
    const t2 = performance.now()
    const c2 = cpu()
    opened.source.close()
    model = opened.model
    best = {
      parseMs: Math.min(best.parseMs, t1 - t0),
      analysisMs: Math.min(best.analysisMs, t2 - t1),
      parseCpuMs: Math.min(best.parseCpuMs, c1 - c0),
      analysisCpuMs: Math.min(best.analysisCpuMs, c2 - c1),
    }
  }
  const {parseMs, analysisMs, parseCpuMs, analysisCpuMs} = best
  process.stdout.write(
    JSON.stringify({
      parseMs,
      analysisMs,
      parseCpuMs,
      analysisCpuMs,
      nodes: model.counts.nodes,
      findings: a.findings.length,
      stats: a.stats,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  )
}

function runChild(file) {
  const args =
    process.env.BENCH_FROM_SRC === '1'
      ? ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', file]
      : [fileURLToPath(import.meta.url), '--child', file]
  const r = spawnSync(process.execPath, args, {encoding: 'utf8', maxBuffer: 1 << 24})
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

export async function runGraphBench() {
  fs.mkdirSync(dataDir, {recursive: true})
  const large = path.join(dataDir, 'graph-50k.onnx')
  if (!fs.existsSync(large)) makeLargeGraph(large)
  const nest = path.join(dataDir, 'loop-if-nest.onnx')
  makeHostileNest(nest)
  const cases = [
    ['50k-node graph', large, 'analysis < 1000 ms'],
    ['Loop/If nest x31', nest, 'analysis < 5000 ms'],
  ]
  if (process.env.BENCH_GRAPH_ONLY !== '1') {
    const heavy = path.join(dataDir, 'weights-1gib.onnx')
    if (!fs.existsSync(heavy)) makeHeavyModel(heavy)
    cases.push(['1 GiB inline weights', heavy, 'peak RSS < 1536 MiB'])
  }
  const rows = []
  for (const [label, file, target] of cases) {
    const best = runChild(file)
    rows.push({label, file, size: fs.statSync(file).size, ...best, target})
  }
  console.log(
    `\n== graph scan (ONNX parse + graph rules, no weight checks); load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${os.cpus().length} CPUs ==`,
  )
  console.log('case                    file MiB   nodes   parse ms (cpu)   analysis ms (cpu)  peak RSS MiB  target')
  for (const r of rows) {
    const pair = (w, c) => `${w.toFixed(0)} (${c.toFixed(0)})`
    console.log(
      `${r.label.padEnd(22)} ${(r.size / 2 ** 20).toFixed(0).padStart(9)} ${String(r.nodes).padStart(7)} ${pair(r.parseMs, r.parseCpuMs).padStart(16)} ${pair(r.analysisMs, r.analysisCpuMs).padStart(19)} ${r.maxRssMiB.toFixed(0).padStart(13)}  ${r.target}`,
    )
  }
  return rows
}

if (process.argv[2] === '--child') await child(process.argv[3])
else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runGraphBench()
