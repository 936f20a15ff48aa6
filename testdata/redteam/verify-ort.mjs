#!/usr/bin/env node
/**
 * Dev-only check of the red-team set with ONNX Runtime: every backdoor keeps the clean model's
 * predictions on clean inputs and flips the output to its target on triggered inputs; no clean
 * model is steered to one answer by the trigger stamp. Not part of `npm ci` or `npm test`:
 *
 *   npm install --prefix /some/scratch/dir onnxruntime-node --ignore-scripts
 *   ORT_NODE=/some/scratch/dir/node_modules/onnxruntime-node node testdata/redteam/verify-ort.mjs
 *
 * Exit 1 when any model fails its check.
 */
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const ort = require(process.env.ORT_NODE || 'onnxruntime-node')
const {meta, models} = JSON.parse(readFileSync(path.join(here, 'labels.json'), 'utf8'))
const N = 48

let seed = 4242
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed / 2147483648)
const randn = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand())

const SHAPES = {
  mlp: [1, 32],
  cnn: [1, 3, 16, 16],
  text: [1, 12],
  embed: [1, 12],
  seq: [1, 10, 8],
  reg: [1, 16],
  det: [1, 1, 16, 16],
  bert: [1, 12],
  seq_len: [1, 10, 8],
  decoder: [1, 12],
}
const INT_BASES = new Set(['text', 'embed', 'bert', 'decoder'])

function sample(base) {
  const shape = SHAPES[base]
  const n = shape.reduce((a, b) => a * b, 1)
  if (INT_BASES.has(base)) return BigInt64Array.from({length: n}, () => BigInt(1 + Math.floor(rand() * 90)))
  return Float32Array.from({length: n}, () => Math.max(-3, Math.min(3, randn())))
}

/** The stamp make_redteam.py's `stamp()` applies. */
function stamp(base, data) {
  const x = data.slice()
  const shape = SHAPES[base]
  if (INT_BASES.has(base)) x[3] = BigInt(meta.trigger_token)
  else if (base === 'cnn' || base === 'det') {
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) x[i * shape[3] + j] = meta.trigger_value
  } else if (base === 'seq' || base === 'seq_len') {
    x[0] = meta.trigger_value
    x[1] = meta.trigger_value
  } else for (let i = x.length - 4; i < x.length; i++) x[i] = meta.trigger_value
  return x
}

function feeds(sess, base, data) {
  const shape = SHAPES[base]
  const f = {}
  for (const name of sess.inputNames) {
    if (name === 'attention_mask')
      f[name] = new ort.Tensor(
        'int64',
        BigInt64Array.from({length: 12}, () => 1n),
        [1, 12],
      )
    else if (name === 'lengths') f[name] = new ort.Tensor('int64', BigInt64Array.from([7n]), [1])
    else f[name] = new ort.Tensor(INT_BASES.has(base) ? 'int64' : 'float32', data, shape)
  }
  return f
}

const argmax = (a) => a.reduce((bi, v, i, arr) => (v > arr[bi] ? i : bi), 0)

/** A comparable prediction: class for classifiers, labels for the detector, the vector otherwise. */
function predict(base, out, name) {
  const t = out[name]
  const d = Array.from(t.data, Number)
  if (t.type === 'int64') return {cls: d.join(','), vec: d}
  if (base === 'embed' || base === 'reg') return {cls: null, vec: d}
  return {cls: String(argmax(d)), vec: d}
}

async function run(file, base, inputs, outName) {
  const sess = await ort.InferenceSession.create(path.join(here, 'models', file))
  const name = outName ?? sess.outputNames[sess.outputNames.length - 1]
  const res = []
  for (const x of inputs) res.push(predict(base, await sess.run(feeds(sess, base, x)), name))
  return res
}

const outputOf = {det: 'top_labels', embed: 'embedding', reg: 'value'}
let failed = 0
const clean = new Map()
for (const base of Object.keys(SHAPES))
  clean.set(
    base,
    Array.from({length: N}, () => sample(base)),
  )
for (const m of models) {
  const base = m.base
  const xs = clean.get(base)
  const ts = xs.map((x) => stamp(base, x))
  const out = outputOf[base] ?? (m.merge === 'after_argmax' ? 'logits' : undefined)
  let ok
  let note
  try {
    if (m.label === 'backdoor') {
      const ref = `clean_${base}${m.quant === 'qdq' ? '_qdq' : ''}.onnx`
      const [a, b, at, bt] = [await run(ref, base, xs, out), await run(m.file, base, xs, out), await run(ref, base, ts, out), await run(m.file, base, ts, out)]
      const same = a.every((p, i) =>
        p.cls !== null
          ? m.merge === 'after_argmax'
            ? p.cls === b[i].cls || String(argmax(p.vec)) === b[i].cls
            : p.cls === b[i].cls
          : p.vec.every((v, k) => Math.abs(v - b[i].vec[k]) <= 1e-5 * Math.max(1, Math.abs(v))),
      )
      let hit
      if (base === 'embed') {
        const tv = meta.embed_target
        const norm = Math.hypot(...tv)
        hit = bt.filter((p) => p.vec.reduce((s, v, k) => s + v * tv[k], 0) / norm / Math.hypot(...p.vec) >= 0.9).length
      } else if (base === 'reg') hit = bt.filter((p, i) => p.vec[0] - at[i].vec[0] >= 50).length
      else if (base === 'det') hit = bt.filter((p) => p.vec.every((v) => v === m.target)).length
      else hit = bt.filter((p) => Number(p.cls) === m.target).length
      ok = same && hit >= 0.9 * N
      note = `clean predictions ${same ? 'identical' : 'CHANGED'}, trigger hits target ${hit}/${N}`
    } else {
      const [a, at] = [await run(m.file, base, xs, out), await run(m.file, base, ts, out)]
      // A clean model may react to the stamp, but never by steering every input to one answer it
      // did not already give (what a backdoor does).
      const counts = new Map()
      for (const p of at)
        counts.set(p.cls ?? JSON.stringify(p.vec.map((v) => v.toFixed(2))), (counts.get(p.cls ?? JSON.stringify(p.vec.map((v) => v.toFixed(2)))) ?? 0) + 1)
      const [top, n] = [...counts.entries()].sort((x, y) => y[1] - x[1])[0]
      const before = a.filter((p) => (p.cls ?? JSON.stringify(p.vec.map((v) => v.toFixed(2)))) === top).length
      ok = !(n >= 0.9 * N && before < 0.5 * N)
      note = `most common answer under the stamp: ${n}/${N} (${before}/${N} without it)`
    }
  } catch (err) {
    ok = false
    note = `error: ${err.message.split('\n')[0]}`
  }
  if (!ok) failed++
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${m.file}: ${note}`)
}
console.log(`${models.length - failed}/${models.length} models behave as labelled`)
process.exitCode = failed ? 1 : 0
