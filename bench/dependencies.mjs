#!/usr/bin/env node
// Why three packages of the original design are not used at run time (docs/architecture.md,
// "Dependencies"): each is measured against what modelseal uses instead, in this process, with a
// same-run baseline. Run after a build: npm run bench:deps
//   1. `sigstore` (the umbrella client) vs the @sigstore/* packages modelseal loads lazily.
//   2. onnx-proto (protobufjs-generated decoder) vs modelseal's bounded ONNX reader.
//   3. @noble/hashes BLAKE3 vs hash-wasm BLAKE3, beside `openssl dgst -sha256` on the same bytes.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const ms = (t) => `${t.toFixed(1)} ms`
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Wall time of a fresh node process importing `specifiers` (median of 5). */
function importTime(specifiers) {
  const code = `const t=performance.now();${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join('')}console.log(performance.now()-t)`
  const runs = []
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {cwd: root, encoding: 'utf8'})
    if (r.status !== 0) throw new Error(r.stderr)
    runs.push(Number(r.stdout.trim()))
  }
  return median(runs)
}

console.log('1. Sigstore client code loaded by `import` (fresh process, median of 5)')
const empty = importTime([])
const umbrella = importTime(['sigstore'])
const parts = importTime(['@sigstore/verify', '@sigstore/core'])
console.log(`   baseline (nothing imported)           ${ms(empty)}`)
console.log(`   sigstore (umbrella: sign+verify+tuf)  ${ms(umbrella)}`)
console.log(`   @sigstore/verify + @sigstore/core     ${ms(parts)}   (what keyless verification loads, only when used)`)

console.log('\n2. Decoding an ONNX model: onnx-proto vs the bounded reader (same file, same process, median of 7)')
const onnxFile = [
  path.join(root, 'node_modules', '@ricky0123', 'vad-web', 'dist', 'silero_vad_v5.onnx'),
  path.join(root, 'testdata', 'onnx', 'clean_cnn.onnx'),
].find((f) => {
  try {
    readFileSync(f)
    return true
  } catch {
    return false
  }
})
const bytes = readFileSync(onnxFile)
const {onnx} = require('onnx-proto')
const {parseOnnxBuffer} = await import(path.join(root, 'dist', 'src', 'formats', 'onnx', 'reader.js'))
const time = (fn) => {
  const runs = []
  for (let i = 0; i < 7; i++) {
    const t = performance.now()
    fn()
    runs.push(performance.now() - t)
  }
  return median(runs)
}
const copy = time(() => Buffer.from(bytes))
const proto = time(() => onnx.ModelProto.decode(bytes))
const ours = time(() => parseOnnxBuffer(bytes))
console.log(`   file: ${path.relative(root, onnxFile)} (${bytes.length} bytes)`)
console.log(`   baseline (copy the bytes)             ${ms(copy)}`)
console.log(`   onnx-proto ModelProto.decode          ${ms(proto)}   (no bounds on nesting, counts or sizes; unknown fields dropped)`)
console.log(`   modelseal parseOnnxBuffer             ${ms(ours)}   (bounded; reports repeated/unknown fields)`)

console.log('\n3. BLAKE3 over 64 MiB: @noble/hashes vs hash-wasm, beside openssl sha256 on the same bytes')
const data = Buffer.alloc(64 << 20)
for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i)
const dir = mkdtempSync(path.join(tmpdir(), 'modelseal-deps-'))
try {
  const file = path.join(dir, 'data.bin')
  writeFileSync(file, data)
  const t0 = performance.now()
  const o = spawnSync('openssl', ['dgst', '-sha256', file], {encoding: 'utf8'})
  const openssl = performance.now() - t0
  const {blake3: nobleBlake3} = await import('@noble/hashes/blake3')
  const {createBLAKE3} = await import('hash-wasm')
  const t1 = performance.now()
  const a = Buffer.from(nobleBlake3(data)).toString('hex')
  const noble = performance.now() - t1
  const h = await createBLAKE3(256)
  const t2 = performance.now()
  h.init()
  h.update(data)
  const b = h.digest('hex')
  const wasm = performance.now() - t2
  if (a !== b) throw new Error('BLAKE3 digests differ')
  const mbs = (t) => `${(data.length / (1 << 20) / (t / 1000)).toFixed(0)} MiB/s`
  console.log(`   openssl dgst -sha256 (process)        ${ms(openssl)}  ${o.status === 0 ? mbs(openssl) : '(openssl not available)'}`)
  console.log(`   @noble/hashes blake3                  ${ms(noble)}  ${mbs(noble)}`)
  console.log(`   hash-wasm blake3                      ${ms(wasm)}  ${mbs(wasm)}`)
} finally {
  rmSync(dir, {recursive: true, force: true})
}
