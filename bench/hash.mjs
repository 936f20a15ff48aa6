#!/usr/bin/env node
/**
 * Hashing benchmark (`npm run bench:hash`, after the build): modelseal digest vs
 * `openssl dgst -sha256` on the same bytes, in the same run, warm page cache.
 *
 * Models (made once, reused; BENCH_DIR or bench/.data): a 2 GiB single file and 8 × 256 MiB files.
 * For each: openssl (baseline), the library in-process (serializeModel), and the CLI as a child
 * process (start-up included) with its peak RSS. MB/s = 10^6 bytes per second; best of BENCH_RUNS
 * (default 3) runs, median in the table too.
 *
 * Env: BENCH_DIR, BENCH_RUNS, BENCH_SCALE (fraction of the full sizes, e.g. 0.25 for a quick run),
 * BENCH_EXTRA=1 (also blake2b / blake3 and worker-count rows).
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {makeRandomFile} from './lib/random-file.mjs'
import {shippedBin} from './lib/shipped-bin.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

// The CLI as shipped starts from oclif.manifest.json; without it (e.g. after a bare `tsc`) oclif
// globs and imports all ~20 commands on every run, ~0.2 s that would be charged to hashing.
if (!fs.existsSync(path.join(repo, 'oclif.manifest.json'))) {
  process.stderr.write('oclif.manifest.json missing: writing it (npm run build does this)\n')
  spawnSync(process.execPath, [path.join(repo, 'scripts', 'oclif-manifest.mjs')], {stdio: ['ignore', 'ignore', 'inherit']})
}

const {serializeModel} = await import(pathToFileURL(path.join(repo, 'dist', 'src', 'oms', 'serialize.js')).href)

const MiB = 1 << 20
const scale = Number(process.env.BENCH_SCALE ?? 1)
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3))
const extra = process.env.BENCH_EXTRA === '1'
const dataDir = path.resolve(process.env.BENCH_DIR ?? path.join(repo, 'bench', '.data'))
const singleSize = Math.round(2048 * MiB * scale)
const partSize = Math.round(256 * MiB * scale)

const single = path.join(dataDir, `single-${singleSize}`)
const multi = path.join(dataDir, `multi-${partSize}`)
process.stderr.write(`bench data in ${dataDir} (creating if missing)...\n`)
makeRandomFile(path.join(single, 'model.bin'), singleSize)
const parts = Array.from({length: 8}, (_, i) => path.join(multi, `part-${i}.bin`))
for (const p of parts) makeRandomFile(p, partSize)

const rssReport = path.join(repo, 'bench', 'lib', 'rss-report.cjs')
const bytesOf = (m) => (m === single ? singleSize : partSize * 8)

function time(fn) {
  const t = process.hrtime.bigint()
  const r = fn()
  return {secs: Number(process.hrtime.bigint() - t) / 1e9, r}
}

async function timeAsync(fn) {
  const t = process.hrtime.bigint()
  const r = await fn()
  return {secs: Number(process.hrtime.bigint() - t) / 1e9, r}
}

function openssl(files) {
  const {secs, r} = time(() => spawnSync('openssl', ['dgst', '-sha256', ...files], {encoding: 'utf8'}))
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`)
  return {secs}
}

function cli(model, args, envChanges = {}) {
  const cliArgs = ['digest', model, ...args]
  // The real CLI (package.json's bin, as shipped), its peak RSS reported at exit by a preloaded script.
  const env = {...process.env, MODELSEAL_NO_PROGRESS: '1', ...envChanges}
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
  const {secs, r} = time(() => spawnSync(process.execPath, ['--require', rssReport, shippedBin(repo), ...cliArgs], {encoding: 'utf8', env}))
  if (r.status !== 0) throw new Error(`modelseal digest failed (${r.status}): ${r.stderr}`)
  const rss = Number(/RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024
  const cpu = Number(/CPU_MS=(\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1000
  return {secs, rss, cpu, out: r.stdout.trim()}
}

async function lib(model, opts) {
  const cpu0 = process.cpuUsage()
  const {secs, r} = await timeAsync(() => serializeModel(model, {method: 'files', hashType: 'sha256', ...opts}))
  const {user, system} = process.cpuUsage(cpu0)
  return {secs, cpu: (user + system) / 1e6, out: `sha256:${r.manifest.rootDigest}`}
}

const rows = []
async function measure(label, model, fn, target) {
  const samples = []
  let rss = 0
  let out
  let cpuOfBest
  for (let i = 0; i < runs; i++) {
    const s = await fn()
    if (samples.every((x) => s.secs < x)) cpuOfBest = s.cpu
    samples.push(s.secs)
    if (s.rss) rss = Math.max(rss, s.rss)
    out ??= s.out
  }
  samples.sort((a, b) => a - b)
  const mbs = (secs) => bytesOf(model) / 1e6 / secs
  const row = {label, best: mbs(samples[0]), median: mbs(samples[Math.floor(samples.length / 2)]), rss, target, out, wall: samples[0], cpu: cpuOfBest}
  rows.push(row)
  process.stderr.write(`  ${label}: ${row.best.toFixed(0)} MB/s\n`)
  return row
}

// Warm the page cache (and check the model digests agree between CLI and library).
for (const f of [path.join(single, 'model.bin'), ...parts]) spawnSync('cat', [f], {stdio: ['ignore', 'ignore', 'inherit']})

for (const [name, model, files] of [
  [`${+(singleSize / 1024 / MiB).toFixed(3)} GiB file`, single, [path.join(single, 'model.bin')]],
  [`8 x ${+(partSize / MiB).toFixed(1)} MiB`, multi, parts],
]) {
  process.stderr.write(`${name}:\n`)
  const base = await measure(`${name} | openssl dgst -sha256`, model, () => openssl(files))
  // Issue 12's targets are for the CLI (whole process); the library rows show what start-up costs.
  const t12 = {ratio: 1.2, of: base}
  const t175 = {ratio: 1.75, of: base}
  const filesTarget = model === single ? t12 : t175
  await measure(`${name} | library files sha256`, model, () => lib(model, {}))
  await measure(`${name} | library shards sha256`, model, () => lib(model, {method: 'shards'}))
  await measure(`${name} | CLI digest files`, model, () => cli(model, []), filesTarget)
  await measure(`${name} | CLI digest shards`, model, () => cli(model, ['--method', 'shards']), t175)
  // Node 20 parses the file NODE_EXTRA_CA_CERTS names at every start (~38 ms here, before any of
  // our code runs; openssl does not read it): the same row without it shows what the start-up of
  // Node itself takes from a single stream's ratio. Information only, the target row is above.
  if (model === single && process.env.NODE_EXTRA_CA_CERTS) {
    await measure(`${name} | CLI digest files, no NODE_EXTRA_CA_CERTS`, model, () => cli(model, [], {NODE_EXTRA_CA_CERTS: undefined}))
  }
  if (extra) {
    await measure(`${name} | library shards, 1 worker`, model, () => lib(model, {method: 'shards', workers: 1}))
    await measure(`${name} | library files, 1 worker`, model, () => lib(model, {workers: 1}))
    await measure(`${name} | library files blake2b`, model, () => lib(model, {hashType: 'blake2b'}))
    await measure(`${name} | library shards blake2b`, model, () => lib(model, {method: 'shards', hashType: 'blake2b'}))
    await measure(`${name} | library files blake3`, model, () => lib(model, {hashType: 'blake3'}))
  }
}

const pad = (s, n) => String(s).padEnd(n)
const lpad = (s, n) => String(s).padStart(n)
const lines = [
  `modelseal hash benchmark: ${os.cpus()[0]?.model ?? 'cpu'} x ${os.availableParallelism()}, node ${process.version}, load avg ${os.loadavg()[0].toFixed(2)} at the end, best of ${runs}`,
  `${pad('case', 42)}${lpad('best MB/s', 10)}${lpad('median', 8)}${lpad('x openssl', 10)}${lpad('target', 8)}${lpad('peak RSS', 10)}  met`,
]
for (const r of rows) {
  const base = rows.find((x) => x.label.split(' | ')[0] === r.label.split(' | ')[0] && x.label.includes('openssl'))
  const vs = base ? r.best / base.best : undefined
  const rssOk = r.rss ? r.rss < 200 : true
  const met = r.target ? (vs >= r.target.ratio && rssOk ? 'yes' : 'NO') : ''
  lines.push(
    `${pad(r.label, 42)}${lpad(r.best.toFixed(0), 10)}${lpad(r.median.toFixed(0), 8)}${lpad(vs === undefined ? '' : vs.toFixed(2), 10)}${lpad(r.target ? `>=${r.target.ratio}` : '', 8)}${lpad(r.rss ? `${r.rss.toFixed(0)} MB` : '', 10)}  ${met}`,
  )
}
for (const model of new Set(rows.map((r) => r.label.split(' | ')[0]))) {
  for (const method of ['files', 'shards']) {
    const outs = new Set(
      rows
        .filter((r) => (r.label.startsWith(`${model} |`) && r.label.includes(`${method} sha256`)) || r.label.startsWith(`${model} | CLI digest ${method}`))
        .map((r) => r.out),
    )
    if (outs.size > 0) lines.push(`${model}, ${method}: ${[...outs].join(' / ')}${outs.size === 1 ? ' (CLI and library agree)' : ' MISMATCH'}`)
  }
}
// CPU time (user + system, every thread) of the best run beside its wall time: the machine's
// other load shows in wall time, much less in CPU time. (openssl's own CPU is about its wall time.)
for (const r of rows) {
  if (r.cpu !== undefined && Number.isFinite(r.cpu))
    lines.push(`CPU time: ${r.label.replace(' | ', ', ')}: ${r.cpu.toFixed(2)} s CPU, ${r.wall.toFixed(2)} s wall`)
}
console.log(lines.join('\n'))
