/**
 * scan and inspect as a new user meets them: PATH in the usage line, "nothing to scan" for an
 * empty directory (exit 3, never a clean pass), inspect naming what a non-ONNX file is, and
 * --exclude for the files of a Hugging Face snapshot modelseal cannot read (unsupported files
 * stay exit 3 unless excluded).
 */
import assert from 'node:assert/strict'
import {cpSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {parseJson, repoRoot, runCli, tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-scanux-')
after(() => tmp.cleanup())
const d = tmp.dir

test('scan --help shows PATH in USAGE; scan without PATH says it is missing (exit 2)', async () => {
  const h = await runCli(['scan', '--help'])
  assert.match(h.stdout, /\$ modelseal scan PATH\.\.\./)
  const r = await runCli(['scan'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /Missing 1 required arg: path/)
})

test('scan of an empty directory: nothing to scan, exit 3', async () => {
  mkdirSync(path.join(d, 'empty'))
  const r = await runCli(['scan', path.join(d, 'empty')])
  assert.equal(r.code, 3)
  assert.match(r.stderr, /E_NOTHING_TO_SCAN: nothing to scan/)
  const j = await runCli(['scan', path.join(d, 'empty'), '--json'])
  assert.equal(j.code, 3)
  assert.equal(parseJson(j).summary.files, 0)
})

test('inspect on a non-ONNX file says what the file is (exit 3)', async () => {
  const r = await runCli(['inspect', path.join(repoRoot, 'testdata', 'demo-model', 'model.safetensors')])
  assert.equal(r.code, 3)
  assert.match(r.stderr, /E_NOT_ONNX: .*model\.safetensors is a safetensors file, not ONNX/)
  // A pickle as Python writes it (protocol 2, no extension).
  writeFileSync(path.join(d, 'checkpoint'), Buffer.from('80027d710058010000006171014b01732e', 'hex'))
  const p = await runCli(['inspect', path.join(d, 'checkpoint')])
  assert.equal(p.code, 3)
  assert.match(p.stderr, /is a pickle file, not ONNX/)
  const onnx = await runCli(['inspect', path.join(repoRoot, 'testdata', 'onnx', 'clean_cnn.onnx')])
  assert.equal(onnx.code, 0, onnx.stderr)
})

test('a Hugging Face-like snapshot: unsupported weights are exit 3 unless excluded with --exclude', async () => {
  const snap = path.join(d, 'snapshot')
  cpSync(path.join(repoRoot, 'testdata', 'demo-model'), snap, {recursive: true})
  mkdirSync(path.join(snap, 'onnx'))
  cpSync(path.join(repoRoot, 'testdata', 'onnx', 'clean_cnn.onnx'), path.join(snap, 'onnx', 'model.onnx'))
  writeFileSync(path.join(snap, 'flax_model.msgpack'), Buffer.from([0x81, 0xa1, 0x61, 0x01]))
  writeFileSync(path.join(snap, 'tf_model.h5'), Buffer.concat([Buffer.from('894844460d0a1a0a', 'hex'), Buffer.alloc(64)]))
  let r = await runCli(['scan', snap, '--json'])
  assert.equal(r.code, 3, 'unreadable weights are never a clean pass')
  r = await runCli(['scan', snap, '--exclude', '*.msgpack', '--exclude', '*.h5', '--json'])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  const files = parseJson(r).files.map((f: {path: string}) => path.basename(f.path))
  assert.ok(files.includes('model.onnx') && files.includes('model.safetensors'), files.join(', '))
  assert.ok(!files.includes('tf_model.h5') && !files.includes('flax_model.msgpack'))
  // A path glob is relative to PATH.
  r = await runCli(['scan', snap, '--exclude', 'onnx/*.onnx', '--exclude', '*.msgpack', '--exclude', '*.h5', '--json'])
  assert.ok(!parseJson(r).files.some((f: {path: string}) => f.path.endsWith('model.onnx')))
})

test('the text report lists what was skipped and why, and counts it in the summary', async () => {
  const m = path.join(d, 'skipped-listing')
  cpSync(path.join(repoRoot, 'testdata', 'demo-model'), m, {recursive: true})
  const r = await runCli(['scan', m])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^skipped \(not analysed\): 3$/m)
  assert.match(r.stdout, /^ {2}.*README\.md \(file\): content is no model/m)
  assert.match(r.stdout, /1 file\(s\): 1 scanned, 0 error\(s\), 0 unsupported, 3 skipped; findings:/)
})
