#!/usr/bin/env node
// `npm run bench`: runs every benchmark (hash, scan, dataset, start-up) one after another and
// prints ONE table, each figure beside the baseline measured in the same run (openssl, find|xargs
// openssl, node -e 0). Each script's own output is kept in bench/.data/last-run/<name>.log.
//
// A script can hand over its figures as JSON lines appended to $BENCH_RESULT_FILE:
//   {"bench","metric","value","unit","baseline":{"name","value","unit"},"ratio","target","pass","rss"}
// Scripts that print only their own table are read with the parsers below (kept in step with
// their output); a line that cannot be read is reported, never guessed.
//
// `node bench/all.mjs --from-logs` prints the table again from bench/.data/last-run/ without running.
// Env: BENCH_ONLY=hash,scan,dataset,startup (subset); everything else (BENCH_SCALE, BENCH_DIR,
// BENCH_RUNS, BENCH_FILES, MODELSEAL_BENCH_WEIGHTS_MB, STARTUP_RUNS) goes to the scripts.
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const logDir = path.join(here, '.data', 'last-run')
mkdirSync(logDir, {recursive: true})
const only = process.env.BENCH_ONLY?.split(',')
const fromLogs = process.argv.includes('--from-logs')

const BENCHES = [
  {name: 'hash', script: 'hash.mjs', parse: parseHash},
  // scan: graph and weight rows from its table, the sign + scan row as a JSON line
  {name: 'scan', script: 'scan.mjs', parse: parseScan, combine: true},
  {name: 'dataset', script: 'dataset.mjs', parse: parseDataset},
  {name: 'startup', script: 'startup.mjs', parse: () => []},
  {name: 'oci', script: 'oci.mjs', parse: () => []},
  {name: 'report', script: 'report.mjs', parse: () => []},
]

const started = new Date()
const loadBefore = os.loadavg()
const rows = []
const notes = []
for (const b of BENCHES) {
  if (only && !only.includes(b.name)) continue
  const file = path.join(here, b.script)
  if (!existsSync(file)) {
    notes.push(`${b.name}: bench/${b.script} is missing`)
    continue
  }
  const resultFile = path.join(logDir, `${b.name}.jsonl`)
  const logFile = path.join(logDir, `${b.name}.log`)
  const t0 = Date.now()
  let code = 0
  let output
  if (fromLogs) {
    // re-read the last run's output (e.g. after a parser fix) without running anything
    if (!existsSync(logFile)) continue
    output = readFileSync(logFile, 'utf8')
  } else {
    rmSync(resultFile, {force: true})
    process.stderr.write(`== ${b.name} (bench/${b.script})\n`)
    ;({code, output} = await run(file, resultFile))
    writeFileSync(logFile, output)
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0)
  // The JSON lines a script handed over; else (or also, for `combine`) rows read from its table.
  const json = existsSync(resultFile)
    ? readFileSync(resultFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : []
  const recs = json.length > 0 && !b.combine ? json : [...b.parse(output), ...json]
  if (code !== 0) notes.push(`${b.name}: exited ${code} after ${secs} s (see bench/.data/last-run/${b.name}.log)`)
  if (recs.length === 0) notes.push(`${b.name}: no figures could be read from its output (see bench/.data/last-run/${b.name}.log)`)
  for (const r of recs) rows.push({bench: b.name, ...r})
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
console.log(`\nmodelseal benchmarks — ${started.toISOString()}`)
console.log(
  `machine: ${cpu}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}`,
)
if (fromLogs) console.log("figures re-read from bench/.data/last-run/ (the load line below is now, not the run's)")
console.log(
  `load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
console.log(table(rows))
for (const n of notes) console.log(`note: ${n}`)
process.exit(0)

function run(script, resultFile) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], {env: {...process.env, BENCH_RESULT_FILE: resultFile}, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    const both = (d) => {
      output += d
      process.stderr.write(d)
    }
    child.stdout.setEncoding('utf8').on('data', both)
    child.stderr.setEncoding('utf8').on('data', both)
    child.on('close', (code) => resolve({code, output}))
  })
}

function table(rs) {
  const head = ['bench', 'case', 'figure', 'baseline (same run)', 'ratio', 'target', 'met']
  const body = rs.map((r) => [
    r.bench,
    r.metric,
    `${fmt(r.value)} ${r.unit}${r.rss ? ` (RSS ${r.rss})` : ''}`,
    r.baseline ? `${fmt(r.baseline.value)} ${r.baseline.unit} ${r.baseline.name}` : '',
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  ])
  // a `|` inside a cell would end it in Markdown
  for (const row of body) row.forEach((c, i) => (row[i] = c.replaceAll('|', '\\|')))
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)))
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(' | ')} |`
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)].join('\n')
}

function fmt(v) {
  if (typeof v !== 'number') return String(v)
  return Number.isInteger(v) || Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)
}

// ---- readers for scripts that print their own table ----

/** bench/hash.mjs: `<model> | <what>  best median x-openssl target peak-RSS met` rows. */
function parseHash(out) {
  const rows = []
  const re = /^(.+? \| .+?)\s+(\d+)\s+(\d+)\s+([\d.]+)?\s*(>=[\d.]+)?\s*(\d+ MB)?\s*(yes|NO)?\s*$/
  const parsed = out
    .split('\n')
    .map((l) => re.exec(l))
    .filter(Boolean)
  for (const m of parsed) {
    const [model, what] = m[1].split(' | ')
    if (/openssl/.test(what)) continue
    const base = parsed.find((x) => x[1].startsWith(`${model} | `) && /openssl/.test(x[1]))
    rows.push({
      metric: `${model}: ${what.trim()}`,
      value: Number(m[2]),
      unit: 'MB/s',
      baseline: base ? {name: 'openssl dgst -sha256', value: Number(base[2]), unit: 'MB/s'} : undefined,
      ratio: m[4] ? Number(m[4]) : undefined,
      target: m[5] ? `${m[5].replace('>=', '≥ ')} × openssl` : undefined,
      pass: m[7] ? m[7] === 'yes' : undefined,
      rss: m[6],
    })
  }
  return rows
}

/** bench/scan.mjs: graph rows (`label MiB nodes parse-ms analysis-ms RSS target`) and `weights:` lines. */
function parseScan(out) {
  const rows = []
  for (const l of out.split('\n')) {
    // `label  MiB  nodes  parse-ms [(cpu)]  analysis-ms [(cpu)]  RSS  target`
    const g = /^(\S.{0,21}?)\s+(\d+)\s+(\d+)\s+(\d+)(?: \((\d+)\))?\s+(\d+)(?: \((\d+)\))?\s+(\d+)\s+(.*)$/.exec(l)
    if (g && !/^case/.test(l)) {
      const [, label, mib, nodes, parse, , analysis, , rss, target] = g
      const t = target.trim()
      const limit = /analysis < (\d+) ms/.exec(t)
      const rssLimit = /peak RSS < (\d+) MiB/.exec(t)
      rows.push({
        metric: `graph ${label.trim()} (${nodes} nodes, ${mib} MiB): parse`,
        value: Number(parse),
        unit: 'ms',
        rss: `${rss} MiB`,
        target: rssLimit ? t : undefined,
        pass: rssLimit ? Number(rss) < Number(rssLimit[1]) : undefined,
      })
      rows.push({
        metric: `graph ${label.trim()}: analysis`,
        value: Number(analysis),
        unit: 'ms',
        target: limit ? t : undefined,
        pass: limit ? Number(analysis) < Number(limit[1]) : undefined,
      })
    }
  }
  const scan = /weights: scan ([\d.]+) GB .*?= ([\d.]+) GB\/s/.exec(out)
  const ossl = /weights: openssl dgst -sha256 same file: [\d.]+ s = ([\d.]+) GB\/s; ratio scan\/openssl = ([\d.]+)/.exec(out)
  const rss = /weights: peak RSS of the scan process (\d+) MB/.exec(out)
  if (scan) {
    rows.push({
      metric: `weight scan (CLI), ${scan[1]} GB float32 safetensors`,
      value: Number(scan[2]),
      unit: 'GB/s',
      baseline: ossl ? {name: 'openssl dgst -sha256', value: Number(ossl[1]), unit: 'GB/s'} : undefined,
      ratio: ossl ? Number(ossl[2]) : undefined,
      target: '≥ 1.2 × openssl, RSS < 300 MB',
      pass: ossl !== null && Number(ossl[2]) >= 1.2 && (!rss || Number(rss[1]) < 300),
      rss: rss ? `${rss[1]} MB` : undefined,
    })
  }
  return rows
}

/** bench/dataset.mjs: rows `label  X s  N files/s  M MB/s  R MB RSS`. */
function parseDataset(out) {
  const re = /^(.+?)\s+([\d.]+) s\s+(\d+) files\/s\s+([\d.]+) MB\/s\s*(?:(\d+) MB RSS)?/
  const parsed = out
    .split('\n')
    .map((l) => re.exec(l))
    .filter(Boolean)
  const base = parsed.find((m) => /baseline/.test(m[1]))
  const files = /^(\d+) files, /m.exec(out)?.[1]
  return parsed
    .filter((m) => m !== base)
    .map((m) => ({
      metric: `${m[1].trim()}${files ? `, ${files} files` : ''}`,
      value: Number(m[3]),
      unit: 'files/s',
      baseline: base ? {name: 'find + xargs openssl', value: Number(base[3]), unit: 'files/s'} : undefined,
      ratio: base ? Number(m[3]) / Number(base[3]) : undefined,
      target: '≥ 1.5 × baseline',
      pass: base ? Number(m[3]) / Number(base[3]) >= 1.5 : undefined,
      rss: m[5] ? `${m[5]} MB` : undefined,
    }))
}
