#!/usr/bin/env node
/**
 * Dataset manifest benchmark (`npm run bench:dataset`, after the build).
 *
 * Makes N small files (default 100,000; `--large` (1,000,000), `--files N` or BENCH_FILES) of
 * 200..2,200 random bytes in 1,000 directories (BENCH_DIR, default $TMPDIR/modelseal-bench-dataset;
 * made once and reused), then, warm page cache, in the same run:
 *   baseline:  find DIR -type f -print0 | xargs -0 openssl dgst -sha256 > /dev/null
 *   modelseal: `dataset manifest DIR --output OUT` (the CLI, start-up included) and
 *              `dataset verify DIR --manifest OUT --unsigned`, each with its peak RSS
 * and reports files/s, MB/s, CPU time (all threads / all processes), peak RSS and the speed-up over
 * the baseline. Best of BENCH_RUNS (2).
 * Targets (issue 12): manifest ≥ 1.5× and verify ≥ 1.2× the baseline at 100k files (start-up
 * included); peak RSS < 500 MB at 1M files (`npm run bench:dataset -- --large`).
 */
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {shippedBin} from './lib/shipped-bin.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const arg = (name) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : undefined
}
const nFiles = Number(arg('--files') ?? (process.argv.includes('--large') ? 1_000_000 : undefined) ?? process.env.BENCH_FILES ?? 100_000)
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 2))
const dataDir = path.resolve(process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'modelseal-bench-dataset'), `files-${nFiles}`)
const DIRS = 1000

function makeData() {
  const marker = path.join(dataDir, '.complete')
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8'))
  fs.rmSync(dataDir, {recursive: true, force: true})
  const t0 = Date.now()
  let bytes = 0
  const pool = randomBytes(4 << 20)
  for (let d = 0; d < DIRS; d++) fs.mkdirSync(path.join(dataDir, 'data', `d${String(d).padStart(4, '0')}`), {recursive: true})
  for (let i = 0; i < nFiles; i++) {
    const size = 200 + ((i * 7919) % 2001)
    const off = (i * 104_729) % (pool.length - size)
    fs.writeFileSync(path.join(dataDir, 'data', `d${String(i % DIRS).padStart(4, '0')}`, `f${i}.bin`), pool.subarray(off, off + size))
    bytes += size
  }
  const info = {files: nFiles, bytes}
  fs.writeFileSync(marker, JSON.stringify(info))
  console.log(`made ${nFiles} files (${(bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s under ${dataDir}`)
  return info
}

/** Wall time, and the CPU time of the whole pipeline (bash `times`: children's user + sys). */
function timeShell(cmd) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync('bash', ['-c', `${cmd}; times`], {stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`)
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  const lines = r.stdout.trim().split('\n')
  const secs = (lines[lines.length - 1] ?? '').match(/(\d+)m([\d.]+)s/g) ?? []
  const cpuMs = secs.reduce((a, t) => {
    const [, m, s] = /(\d+)m([\d.]+)s/.exec(t)
    return a + (Number(m) * 60 + Number(s)) * 1000
  }, 0)
  return {ms, cpuMs}
}

/** The real CLI (package.json's bin, as shipped), wall time from here, peak RSS and CPU reported at its exit. */
function timeCli(args) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, ['--require', path.join(repo, 'bench', 'lib', 'rss-report.cjs'), shippedBin(repo), ...args], {
    encoding: 'utf8',
    env: {...process.env, MODELSEAL_NO_PROGRESS: '1'},
    maxBuffer: 64 << 20,
  })
  const wall = Number(process.hrtime.bigint() - t0) / 1e6
  const m = /RSS_KB=(\d+) CPU_MS=(\d+)/.exec(r.stderr ?? '')
  if (r.status !== 0 || !m) throw new Error(`modelseal ${args.join(' ')} exited ${r.status}:\n${r.stderr}`)
  return {ms: wall, cpuMs: Number(m[2]), rssMB: Number(m[1]) / 1024}
}

const best = (f) => {
  const all = Array.from({length: runs}, f)
  return all.reduce((a, b) => (b.ms < a.ms ? b : a))
}

const info = makeData()
const data = path.join(dataDir, 'data')
const out = path.join(dataDir, 'manifest')
// Warm the page cache (and the dentry cache) for both sides.
timeShell(`find '${data}' -type f -print0 | xargs -0 cat > /dev/null`)
const baseline = best(() => timeShell(`find '${data}' -type f -print0 | xargs -0 openssl dgst -sha256 > /dev/null`))
const manifest = best(() => timeCli(['dataset', 'manifest', data, '--output', out, '--force']))
const verify = best(() => timeCli(['dataset', 'verify', data, '--manifest', out, '--unsigned']))

const row = (label, r) => {
  const s = r.ms / 1000
  return `${label.padEnd(54)} ${s.toFixed(2).padStart(7)} s ${String(Math.round(info.files / s)).padStart(8)} files/s ${(info.bytes / 1e6 / s).toFixed(1).padStart(6)} MB/s ${(r.cpuMs / 1000).toFixed(2).padStart(6)} s CPU ${r.rssMB ? `${r.rssMB.toFixed(0).padStart(5)} MB RSS` : ''}`
}
console.log(
  `\n${info.files} files, ${(info.bytes / 1e6).toFixed(1)} MB, ${os.availableParallelism()} cores, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; best of ${runs}, warm cache`,
)
console.log(row('find | xargs -0 openssl dgst -sha256 (baseline)', baseline))
console.log(row('modelseal dataset manifest (CLI, start-up included)', manifest))
console.log(row('modelseal dataset verify --unsigned (CLI, full)', verify))
console.log(
  `speed-up over baseline (wall): manifest ${(baseline.ms / manifest.ms).toFixed(2)}×, verify ${(baseline.ms / verify.ms).toFixed(2)}× (target ≥ 1.5× at 100k files)`,
)
console.log(
  `CPU time relative to baseline: manifest ${(manifest.cpuMs / baseline.cpuMs).toFixed(2)}×, verify ${(verify.cpuMs / baseline.cpuMs).toFixed(2)}× (all threads; on a loaded machine wall times mostly measure the load)`,
)
console.log(`peak RSS: manifest ${manifest.rssMB.toFixed(0)} MB, verify ${verify.rssMB.toFixed(0)} MB (target < 500 MB at 1M files)`)
if (process.env.BENCH_RESULT_FILE) {
  const rssLimit = info.files >= 1_000_000 ? 500 : undefined
  for (const [what, r, target] of [
    ['manifest', manifest, 1.5],
    ['verify', verify, 1.2],
  ]) {
    const ratio = baseline.ms / r.ms
    const rec = {
      bench: 'dataset',
      metric: `dataset ${what} (CLI, start-up included), ${info.files} files`,
      value: Math.round(info.files / (r.ms / 1000)),
      unit: 'files/s',
      baseline: {name: 'find | xargs -0 openssl dgst -sha256', value: Math.round(info.files / (baseline.ms / 1000)), unit: 'files/s'},
      ratio: Number(ratio.toFixed(2)),
      target: `≥ ${target} × baseline${rssLimit ? `, RSS < ${rssLimit} MB` : ''}`,
      pass: ratio >= target && (!rssLimit || r.rssMB < rssLimit),
      rss: `${r.rssMB.toFixed(0)} MB`,
    }
    fs.appendFileSync(process.env.BENCH_RESULT_FILE, `${JSON.stringify(rec)}\n`)
  }
}
