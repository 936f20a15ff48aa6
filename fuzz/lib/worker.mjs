// One fuzzing loop in a worker thread, driven by fuzz/run.mjs. The parent watches the shared
// buffer (which input runs now, and since when) so that it can name the input that hangs the
// thread or blows the memory limit, and kill the thread.
//
// Coverage: V8 block coverage through the inspector (Profiler.takePreciseCoverage, which also
// resets the counters). Inputs run in batches; a batch that reaches a block never seen before is
// replayed one input at a time so that exactly the inputs that found something join the corpus.
import {createHash} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {Session} from 'node:inspector/promises'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {parentPort, workerData} from 'node:worker_threads'

import * as builders from './builders.mjs'
import {mutate} from './mutate.mjs'

const {targetName, deadline, seed, corpusDir, crashDir, maxLen, shared, repoRoot, scratchDir, skip} = workerData
const header = new Int32Array(shared, 0, 4) // [seq, running, length, unused]
const data = new Uint8Array(shared, 16)

const targets = await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'fuzz', 'targets.js')).href)
const {ModelsealError} = await import(pathToFileURL(path.join(repoRoot, 'dist', 'src', 'errors.js')).href)
const target = targets.TARGETS.find((t) => t.name === targetName)
if (!target) throw new Error(`unknown target ${targetName}`)
const runner = await target.prepare()
if (typeof runner === 'string') {
  parentPort.postMessage({type: 'unavailable', reason: runner})
  process.exit(0)
}

const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.startPreciseCoverage', {callCount: true, detailed: true})
// the harness itself is not the code under test (test/fuzz/targets.js is: runners and the self-test)
const urlFilter = (u) => u.startsWith('file://') && !u.includes('/fuzz/lib/')
const seen = new Set()

/**
 * Blocks executed since the previous call (taking coverage resets the counters).
 * V8 reports a nested block only when its count differs from the block around it, so a block that
 * ran exactly as often as its function is simply not listed. Every block of a function shows up
 * (with count 0) in some report once the function has run without it, so: a known block of a
 * function that ran is covered when this report neither lists it with 0 nor lists a 0-count block
 * around it.
 */
const knownBlocks = new Map() // function key -> Set of "start:end"
async function coveredKeys() {
  const {result} = await session.post('Profiler.takePreciseCoverage')
  const keys = []
  for (const script of result) {
    if (!urlFilter(script.url)) continue
    for (const fn of script.functions) {
      const [whole, ...blocks] = fn.ranges
      if (!whole || whole.count === 0) continue
      const fnKey = `${script.url}:${whole.startOffset}:${whole.endOffset}`
      keys.push(fnKey)
      let known = knownBlocks.get(fnKey)
      if (!known) knownBlocks.set(fnKey, (known = new Set()))
      const zero = []
      const listed = new Set()
      for (const b of blocks) {
        const k = `${b.startOffset}:${b.endOffset}`
        known.add(k)
        listed.add(k)
        if (b.count === 0) zero.push(b)
        else keys.push(`${fnKey}/${k}`)
      }
      for (const k of known) {
        if (listed.has(k)) continue
        const [s, e] = k.split(':').map(Number)
        if (!zero.some((z) => z.startOffset <= s && e <= z.endOffset)) keys.push(`${fnKey}/${k}`)
      }
    }
  }
  return keys
}

const scratch = {
  dir: scratchDir,
  write(name, bytes) {
    const p = path.join(scratchDir, name)
    writeFileSync(p, bytes)
    return p
  },
}

const crashesSeen = new Set(skip ?? [])
let execs = 0

async function runOne(input) {
  const len = Math.min(input.length, data.length)
  data.set(input.subarray(0, len))
  header[2] = len
  Atomics.add(header, 0, 1)
  header[1] = 1
  execs++
  try {
    await runner(input, scratch)
  } catch (err) {
    if (!(err instanceof ModelsealError)) reportCrash(input, err)
  } finally {
    header[1] = 0
  }
}

function reportCrash(input, err) {
  const e = err instanceof Error ? err : new Error(String(err))
  const frame = (e.stack ?? '').split('\n').find((l) => /\/(src|dist\/src)\//.test(l)) ?? ''
  const sig = createHash('sha1')
    .update(`${e.name}|${e.message.replace(/\d+/g, 'N').slice(0, 80)}|${frame.replace(/:\d+:\d+/g, '')}`)
    .digest('hex')
    .slice(0, 12)
  if (crashesSeen.has(sig)) return
  crashesSeen.add(sig)
  mkdirSync(crashDir, {recursive: true})
  const file = path.join(crashDir, `crash-${sig}.bin`)
  writeFileSync(file, input)
  writeFileSync(`${file}.txt`, `${e.name}: ${e.message}\n${e.stack ?? ''}\n`)
  parentPort.postMessage({type: 'crash', sig, file, message: `${e.name}: ${e.message}`.slice(0, 300)})
}

function saveToCorpus(input) {
  mkdirSync(corpusDir, {recursive: true})
  const name = createHash('sha1').update(input).digest('hex').slice(0, 16)
  writeFileSync(path.join(corpusDir, name), input)
}

// ---- corpus: built-in seeds, testdata/ files, and what earlier runs kept ----
const r = builders.rng(seed)
const corpus = []
const seeds = [...(await target.seeds(builders))]
for (const f of targets.testdataSeeds(target, repoRoot)) seeds.push(f)
try {
  for (const n of readdirSync(corpusDir)) seeds.push(readFileSync(path.join(corpusDir, n)))
} catch {
  // first run
}
for (const s of seeds) {
  const input = s.length > maxLen ? s.subarray(0, maxLen) : s
  if (crashesSeen.has(`input:${createHash('sha1').update(input).digest('hex')}`)) continue // hung or ran out of memory before
  await runOne(input)
  const fresh = (await coveredKeys()).filter((k) => !seen.has(k))
  fresh.forEach((k) => seen.add(k))
  if (fresh.length > 0 || corpus.length === 0) corpus.push(input)
}
parentPort.postMessage({type: 'stats', execs, corpus: corpus.length, blocks: seen.size})

// ---- main loop ----
const BATCH = 16
let lastStats = Date.now()
while (Date.now() < deadline) {
  const batch = []
  for (let i = 0; i < BATCH; i++) {
    // favour recent (usually deeper) entries, but keep sampling the whole corpus
    const parent = r.next() < 0.5 ? corpus[corpus.length - 1 - r.int(Math.min(corpus.length, 8))] : r.pick(corpus)
    batch.push(mutate(parent, r, {dict: target.dict ?? [], others: corpus, maxLen, kind: target.kind}))
  }
  for (const input of batch) await runOne(input)
  const pending = new Set((await coveredKeys()).filter((k) => !seen.has(k)))
  if (pending.size > 0) {
    // Something in the batch reached new blocks: replay one input at a time and keep each input
    // that reaches blocks still unclaimed.
    for (const k of pending) seen.add(k)
    for (const input of batch) {
      await runOne(input)
      let hits = 0
      for (const k of await coveredKeys()) if (pending.delete(k)) hits++
      if (hits > 0) {
        corpus.push(input)
        saveToCorpus(input)
      }
      if (pending.size === 0) break
    }
  }
  if (Date.now() - lastStats > 5000) {
    lastStats = Date.now()
    parentPort.postMessage({type: 'stats', execs, corpus: corpus.length, blocks: seen.size})
  }
}
parentPort.postMessage({type: 'stats', execs, corpus: corpus.length, blocks: seen.size})
parentPort.postMessage({type: 'done'})
