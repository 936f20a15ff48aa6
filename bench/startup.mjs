#!/usr/bin/env node
// Start-up time of the built CLI beside `node -e 0`, measured in the same run and interleaved so
// machine load hits every command alike: the fixed cost of real commands (digest of a 1-byte file,
// verify key of a one-file model, scan of a tiny ONNX model), and --version / --help.
// Target (issue 12): each within 1.5 × node -e 0 (medians). Prints a table; with BENCH_RESULT_FILE
// set, appends JSON lines there.
import {spawnSync} from 'node:child_process'
import {appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.STARTUP_RUNS ?? argValue('--runs') ?? 20)

function argValue(name) {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

// Measured on an install-like copy (package.json, bin/ and the oclif manifest copied; dist and
// node_modules linked) so that nothing running from the sources (bin/dev.js removes the repo's
// manifest) can change it mid-run. Without the manifest oclif would import every command on each
// run; `npm run build` writes it.
const inst = mkdtempSync(path.join(tmpdir(), 'modelseal-startup-'))
mkdirSync(path.join(inst, 'bin'))
for (const f of ['run.cjs', 'run.js']) copyFileSync(path.join(root, 'bin', f), path.join(inst, 'bin', f))
copyFileSync(path.join(root, 'package.json'), path.join(inst, 'package.json'))
symlinkSync(path.join(root, 'dist'), path.join(inst, 'dist'))
symlinkSync(path.join(root, 'node_modules'), path.join(inst, 'node_modules'))
const manifestPath = path.join(root, 'oclif.manifest.json')
for (let i = 0; i < 3 && !existsSync(path.join(inst, 'oclif.manifest.json')); i++) {
  if (!existsSync(manifestPath)) spawnSync(process.execPath, [path.join(root, 'scripts', 'oclif-manifest.mjs')], {stdio: 'ignore'})
  try {
    copyFileSync(manifestPath, path.join(inst, 'oclif.manifest.json'))
  } catch {
    // removed again between writing and copying: try once more
  }
}
if (!existsSync(path.join(inst, 'oclif.manifest.json'))) console.error('bench/startup: no oclif.manifest.json (is dist/ built?): measuring without it')
process.on('exit', () => rmSync(inst, {recursive: true, force: true}))
// The installed `modelseal` command: the file package.json's "bin" names.
const runJs = path.join(inst, JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).bin.modelseal)

// Inputs of the command cases: a 1-byte file, a signed one-file model and a tiny ONNX model.
const work = path.join(inst, 'work')
mkdirSync(path.join(work, 'model'), {recursive: true})
writeFileSync(path.join(work, 'one-byte.bin'), 'x')
writeFileSync(path.join(work, 'model', 'weights.bin'), 'x')
const tinyOnnx = path.join(root, 'testdata', 'onnx', 'benign_last_token.onnx')
const key = path.join(work, 'key.pem')
const pub = path.join(work, 'key.pub')
const sig = path.join(work, 'model.sig')
for (const argv of [
  ['keys', 'generate', '--private-key', key, '--public-key', pub],
  ['sign', 'key', path.join(work, 'model'), '--private-key', key, '--signature', sig],
]) {
  const r = spawnSync(process.execPath, [runJs, ...argv], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`modelseal ${argv.join(' ')}: ${r.stderr}`)
}

const cases = [
  {name: 'node -e 0', argv: ['-e', '0']},
  {name: 'digest, 1-byte file', argv: [runJs, 'digest', path.join(work, 'one-byte.bin')]},
  {name: 'verify key, one-file model', argv: [runJs, 'verify', 'key', path.join(work, 'model'), '--signature', sig, '--public-key', pub]},
  ...(existsSync(tinyOnnx) ? [{name: 'scan, tiny ONNX', argv: [runJs, 'scan', tinyOnnx]}] : []),
  {name: 'modelseal --version', argv: [runJs, '--version']},
  {name: 'modelseal --help', argv: [runJs, '--help']},
  // help is not bundled (oclif's help plugin renders it): shown, no target
  {name: 'modelseal scan --help', argv: [runJs, 'scan', '--help'], info: true},
  // Node 20 parses NODE_EXTRA_CA_CERTS at every start (Node 22+ only when TLS needs it): every
  // row above pays it, the baseline too; shown so the ratios can be read against a machine
  // without it
  ...(process.env.NODE_EXTRA_CA_CERTS ? [{name: 'node -e 0, no extra CA certs', argv: ['-e', '0'], env: {NODE_EXTRA_CA_CERTS: undefined}, info: true}] : []),
]

function timeOnce(argv, env = {}) {
  const e = {...process.env, NO_COLOR: '1', ...env}
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k]
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, argv, {stdio: ['ignore', 'pipe', 'pipe'], env: e})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

// One warm-up round fills the page cache for node, oclif and the manifest.
for (const c of cases) timeOnce(c.argv, c.env)
const samples = cases.map(() => [])
for (let i = 0; i < runs; i++) cases.forEach((c, j) => samples[j].push(timeOnce(c.argv, c.env)))

const base = median(samples[0])
const results = cases.map((c, j) => ({name: c.name, info: c.info, median: median(samples[j]), min: Math.min(...samples[j])}))
console.log(`start-up, ${runs} runs each, node ${process.version}`)
for (const r of results) {
  const ratio = r.median / base
  console.log(`  ${r.name.padEnd(28)} median ${r.median.toFixed(1).padStart(7)} ms  min ${r.min.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)} × node -e 0`)
}
if (process.env.BENCH_RESULT_FILE) {
  for (const r of results.slice(1)) {
    const rec = {
      bench: 'startup',
      metric: `fixed cost: ${r.name} (median)`,
      value: Number(r.median.toFixed(1)),
      unit: 'ms',
      baseline: {name: 'node -e 0', value: Number(base.toFixed(1)), unit: 'ms'},
      target: r.info ? undefined : '≤ 1.5 × baseline',
      ratio: Number((r.median / base).toFixed(2)),
      pass: r.info ? undefined : r.median <= 1.5 * base,
    }
    appendFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(rec) + '\n')
  }
}
