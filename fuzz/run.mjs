#!/usr/bin/env node
// Coverage-guided mutational fuzzer for modelseal's parsers (Jazzer.js needs prebuilt native
// binaries that cannot be installed here; this uses V8's own block coverage instead).
//
//   npm run fuzz -- [--seconds N] [--target NAME[,NAME...]] [--seed S] [--timeout-ms T] [--rss-mb M] [--list]
//
// Targets are defined in test/fuzz/targets.ts (compiled to dist/test/fuzz/targets.js; `npm run
// fuzz` builds first). Each runs for --seconds in a worker thread. A crash is: a throw that is not
// one of modelseal's typed errors (src/errors.ts), an input that runs longer than --timeout-ms, or
// one that takes the process above --rss-mb (or the worker's heap limit). Crashing inputs are
// written to fuzz/.corpus/crashes/<target>/ with the error and stack beside them; turn each into
// a fixture under testdata/regressions/<target>/ (test/fuzz/regressions.test.ts replays them).
// Inputs that reached new code are kept in fuzz/.corpus/<target>/ and seed the next run.
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = parseArgs(process.argv.slice(2))
const seconds = Number(args.seconds ?? 60)
const timeoutMs = Number(args['timeout-ms'] ?? 5000)
const rssMb = Number(args['rss-mb'] ?? 2048)
const heapMb = Number(args['heap-mb'] ?? 1024)
const maxLen = Number(args['max-len'] ?? 1 << 20)
const baseSeed = Number(args.seed ?? Date.now() % 2 ** 31)

const {TARGETS} = await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'fuzz', 'targets.js')).href)
if (args.list) {
  for (const t of TARGETS) console.log(`${t.name.padEnd(16)} ${t.description}`)
  process.exit(0)
}
const wanted = args.target ? String(args.target).split(',') : TARGETS.filter((t) => !t.hidden).map((t) => t.name)
for (const w of wanted) {
  if (!TARGETS.some((t) => t.name === w)) {
    console.error(`unknown target ${w}; known: ${TARGETS.map((t) => t.name).join(', ')}`)
    process.exit(2)
  }
}

const summary = []
for (const name of wanted) summary.push(await fuzzTarget(name))

console.log('\nsummary')
console.log('target           seconds   execs      exec/s  corpus  blocks  crashes')
for (const s of summary) {
  console.log(
    `${s.name.padEnd(16)} ${s.status === 'unavailable' ? 'unavailable: ' + s.reason : `${s.seconds.toFixed(0).padStart(7)} ${String(s.execs).padStart(7)} ${(s.execs / Math.max(s.seconds, 1e-3)).toFixed(0).padStart(11)} ${String(s.corpus).padStart(7)} ${String(s.blocks).padStart(7)} ${String(s.crashes.length).padStart(8)}`}`,
  )
  for (const c of s.crashes) console.log(`    ${c.kind}: ${c.file}\n      ${c.message}`)
}
process.exit(summary.some((s) => s.crashes.length) ? 1 : 0)

async function fuzzTarget(name) {
  const started = Date.now()
  const deadline = started + seconds * 1000
  const corpusDir = path.join(repoRoot, 'fuzz', '.corpus', name)
  const crashDir = path.join(repoRoot, 'fuzz', '.corpus', 'crashes', name)
  const stat = {name, status: 'ok', execs: 0, corpus: 0, blocks: 0, crashes: [], seconds: 0}
  const skip = []
  let restarts = 0
  let seed = baseSeed
  console.log(`[${name}] fuzzing for ${seconds}s (seed ${baseSeed})`)
  // A hang or out-of-memory kills the worker: start another one until the time is up.
  while (Date.now() < deadline - 500 && restarts < 50) {
    const scratchDir = mkdtempSync(path.join(tmpdir(), `modelseal-fuzz-${name}-`))
    const shared = new SharedArrayBuffer(16 + maxLen)
    const outcome = await runWorker({name, deadline, seed, corpusDir, crashDir, shared, scratchDir, skip}, stat)
    rmSync(scratchDir, {recursive: true, force: true})
    if (outcome === 'unavailable' || outcome === 'done') break
    restarts++
    seed = (seed * 1103515245 + 12345) % 2 ** 31
  }
  stat.seconds = (Date.now() - started) / 1000
  return stat
}

function runWorker({name, deadline, seed, corpusDir, crashDir, shared, scratchDir, skip}, stat) {
  return new Promise((resolve) => {
    const header = new Int32Array(shared, 0, 4)
    const data = new Uint8Array(shared, 16)
    const execsBefore = stat.execs
    const worker = new Worker(new URL('./lib/worker.mjs', import.meta.url), {
      workerData: {targetName: name, deadline, seed, corpusDir, crashDir, maxLen, shared, repoRoot, scratchDir, skip},
      resourceLimits: {maxOldGenerationSizeMb: heapMb},
      stdout: true,
      stderr: true,
    })
    // parsers may log; keep the fuzzer's output readable
    worker.stdout.resume()
    worker.stderr.resume()
    let lastSeq = -1
    let lastChange = Date.now()
    let finished = false
    const finish = (how) => {
      if (finished) return
      finished = true
      clearInterval(watch)
      resolve(how)
    }
    const saveCurrent = (kind, message) => {
      const input = Buffer.from(data.subarray(0, header[2]))
      // the restarted worker must not run it again (it may sit in the saved corpus)
      skip.push(`input:${createHash('sha1').update(input).digest('hex')}`)
      mkdirSync(crashDir, {recursive: true})
      const file = path.join(crashDir, `${kind}-${Date.now().toString(36)}.bin`)
      writeFileSync(file, input)
      writeFileSync(`${file}.txt`, `${message}\n`)
      stat.crashes.push({kind, file, message})
      console.log(`[${name}] ${kind}: ${message} -> ${path.relative(repoRoot, file)}`)
    }
    const watch = setInterval(() => {
      const seq = Atomics.load(header, 0)
      const running = Atomics.load(header, 1) === 1
      if (seq !== lastSeq) {
        lastSeq = seq
        lastChange = Date.now()
      } else if (running && Date.now() - lastChange > timeoutMs) {
        clearInterval(watch) // terminating takes a while: report the input once
        saveCurrent('timeout', `one input ran longer than ${timeoutMs} ms`)
        void worker.terminate().then(() => finish('restart'))
        return
      }
      const rss = process.memoryUsage().rss / 2 ** 20
      if (rss > rssMb) {
        clearInterval(watch)
        saveCurrent('oom', `process RSS ${rss.toFixed(0)} MB > ${rssMb} MB`)
        void worker.terminate().then(() => finish('restart'))
      }
    }, 100)
    worker.on('message', (m) => {
      if (m.type === 'stats') {
        stat.execs = execsBefore + m.execs
        stat.corpus = m.corpus
        stat.blocks = Math.max(stat.blocks, m.blocks)
        process.stdout.write(`[${name}] execs ${stat.execs} corpus ${m.corpus} blocks ${m.blocks} crashes ${stat.crashes.length}\n`)
      } else if (m.type === 'crash') {
        skip.push(m.sig)
        stat.crashes.push({kind: 'crash', file: m.file, message: m.message})
        console.log(`[${name}] crash: ${m.message} -> ${path.relative(repoRoot, m.file)}`)
      } else if (m.type === 'unavailable') {
        stat.status = 'unavailable'
        stat.reason = m.reason
        console.log(`[${name}] unavailable: ${m.reason}`)
      } else if (m.type === 'done') {
        finish('done')
      }
    })
    worker.on('error', (err) => {
      if (finished) return
      if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY') saveCurrent('oom', `worker heap above ${heapMb} MB`)
      else if (err instanceof RangeError && /call stack/i.test(err.message)) saveCurrent('crash', `${err.name}: ${err.message}`)
      else saveCurrent('crash', `worker died: ${err?.stack ?? err}`)
      finish('restart')
    })
    worker.on('exit', () => finish(stat.status === 'unavailable' ? 'unavailable' : Date.now() >= deadline - 500 ? 'done' : 'restart'))
  })
}

function parseArgs(argv) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) continue
    const [k, v] = a.slice(2).split('=', 2)
    if (v !== undefined) out[k] = v
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[k] = argv[++i]
    else out[k] = true
  }
  return out
}
