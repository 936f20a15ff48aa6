#!/usr/bin/env node
// Makes the hostile corpus: inputs a stranger could hand to modelseal, each with the command that
// must refuse or report it and the exit codes the docs allow. Deterministic for a seed; generated
// at test time into a temporary directory (test/hostile/hostile.test.ts) so the repo stays small.
//
//   node testdata/make-hostile.mjs OUT_DIR [--seed N]     (writes OUT_DIR/cases.json + files)
//
// Layout: OUT_DIR/c/<id>/in/ is the directory (or holds the file) given to the command and
// OUT_DIR/c/<id>/secret.bin is a canary just outside it; traversal cases point at the canary, and
// the test checks that no case ever read it.
//
// Case: {id, kind, argv (with {in} = the case's input dir and {case} = its case dir), exits
// (allowed exit codes), requireCode? (regex the E_ code must match), note}
import {execFileSync} from 'node:child_process'
import {generateKeyPairSync, createHash, sign as cryptoSign} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import * as b from '../fuzz/lib/builders.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))

/** Model-file extensions `scan` must handle (random bytes go under each). */
export const MODEL_EXTENSIONS = [
  '.onnx',
  '.safetensors',
  '.pt',
  '.pth',
  '.bin',
  '.ckpt',
  '.pkl',
  '.pickle',
  '.joblib',
  '.npy',
  '.npz',
  '.gguf',
  '.h5',
  '.pb',
  '.tflite',
  '.msgpack',
]

export async function makeHostile(outDir, {seed = 8, maxFixtures = 40} = {}) {
  const r = b.rng(seed)
  const cases = []
  const add = (id, kind, files, argv, exits, extra = {}) => {
    const caseDir = path.join(outDir, 'c', id)
    const inDir = path.join(caseDir, 'in')
    mkdirSync(inDir, {recursive: true})
    writeFileSync(path.join(caseDir, 'secret.bin'), 'canary: modelseal must never read this file\n')
    for (const [rel, content] of Object.entries(files)) {
      const p = path.join(inDir, rel)
      mkdirSync(path.dirname(p), {recursive: true})
      if (content && typeof content === 'object' && 'symlink' in content) symlinkSync(content.symlink, p)
      else if (content && typeof content === 'object' && 'fifo' in content) execFileSync('mkfifo', [p])
      else writeFileSync(p, content)
    }
    cases.push({id, kind, argv, exits, ...extra})
  }

  // ---- 1. truncated and bit-flipped versions of the fixtures in testdata/ ----
  // Scanned as one directory per kind (one process each keeps the suite fast); the JSON report
  // must account for every file without an internal error.
  const fixtures = pickFixtures(r, maxFixtures)
  const truncated = {}
  const flippedFiles = {}
  let inspected = 0
  for (const f of fixtures) {
    const data = readFileSync(f.abs)
    const ext = extOf(f.abs)
    const base = f.rel
      .replace(/[^A-Za-z0-9]+/g, '_')
      .slice(-60)
      .replace(/_[a-z0-9]+$/i, '')
    const cut = Math.max(1, Math.floor(data.length * (0.2 + 0.6 * r.next())))
    truncated[`${base}${ext}`] = data.subarray(0, cut)
    const flipped = Buffer.from(data)
    for (let i = 0; i < 1 + r.int(8); i++) flipped[r.int(flipped.length)] ^= 1 << r.int(8)
    flippedFiles[`${base}${ext}`] = flipped
    if (ext === '.onnx' && inspected++ < 3)
      add(`inspect-trunc-${base}`, 'truncated fixture', {'m.onnx': data.subarray(0, cut)}, ['inspect', '{in}/m.onnx'], [0, 3])
  }
  const scanJson = ['scan', '{in}', '--format', 'json']
  if (fixtures.length) {
    add('fixtures-truncated', 'truncated fixtures', truncated, scanJson, [0, 1, 3], {report: 'any', files: Object.keys(truncated).length})
    add('fixtures-bit-flipped', 'bit-flipped fixtures', flippedFiles, scanJson, [0, 1, 3], {report: 'any', files: Object.keys(flippedFiles).length})
  }

  // ---- 2. random bytes and empty files under every extension ----
  const randoms = Object.fromEntries(MODEL_EXTENSIONS.map((ext) => [`r${ext}`, r.bytes(64 + r.int(4096))]))
  const empties = Object.fromEntries(MODEL_EXTENSIONS.map((ext) => [`e${ext}`, Buffer.alloc(0)]))
  add('random-every-extension', 'random bytes', randoms, scanJson, [1, 3], {report: 'unscannable', files: MODEL_EXTENSIONS.length})
  add('empty-every-extension', 'empty file', empties, scanJson, [1, 3], {report: 'unscannable', files: MODEL_EXTENSIONS.length})
  add('random-inspect.onnx', 'random bytes', {'r.onnx': r.bytes(2048)}, ['inspect', '{in}/r.onnx'], [3])
  add('random.tar', 'random bytes', {'r.tar': r.bytes(3000)}, ['dataset', 'manifest', '{in}/r.tar', '--output', '{case}/out'], [3])
  add(
    'random.tgz',
    'random bytes',
    {'r.tgz': Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), r.bytes(3000)])},
    ['dataset', 'manifest', '{in}/r.tgz', '--output', '{case}/out'],
    [3],
  )
  add('random-policy.yaml', 'random bytes', {'p.yaml': r.bytes(1500)}, ['policy', 'lint', '{in}/p.yaml'], [3])
  add(
    'random-bundle.sig',
    'random bytes',
    {'model/a.bin': 'a', 'model.sig': r.bytes(900), ...keyFiles()},
    ['verify', 'key', '{in}/model', '--signature', '{in}/model.sig', '--public-key', '{in}/key.pub'],
    [3],
  )
  add(
    'random-manifest',
    'random bytes',
    {'data/a.txt': 'a', 'm/manifest.json': r.bytes(700)},
    ['dataset', 'verify', '{in}/data', '--manifest', '{in}/m', '--unsigned'],
    [3],
  )

  // ---- 3. nesting bombs ----
  add('onnx-if-nest-5000', 'nesting bomb', {'m.onnx': b.onnxIfNest(5000)}, ['inspect', '{in}/m.onnx'], [3], {requireCode: /TOO_DEEP|DEEP|NEST/})
  add('scan-onnx-if-nest-5000', 'nesting bomb', {'m.onnx': b.onnxIfNest(5000)}, ['scan', '{in}/m.onnx'], [3])
  // valid and benign, only deep: scanning it clean is right, crashing on it is not
  add('pickle-list-nest-200k', 'nesting bomb', {'m.pkl': b.pickleNest(200_000)}, ['scan', '{in}/m.pkl', '--format', 'json'], [0, 1, 3], {
    report: 'any',
    files: 1,
  })
  add(
    'bundle-json-nest-100k',
    'nesting bomb',
    {'model/a.bin': 'a', 'model.sig': b.jsonNest(100_000), ...keyFiles()},
    ['verify', 'key', '{in}/model', '--signature', '{in}/model.sig', '--public-key', '{in}/key.pub'],
    [3],
  )
  add(
    'safetensors-json-nest-100k',
    'nesting bomb',
    {'m.safetensors': rawSafetensors(`{"a":${b.jsonNest(100_000)}}`)},
    ['scan', '{in}/m.safetensors', '--format', 'json'],
    [0, 1, 3],
    {report: 'not-clean', files: 1},
  )
  add('yaml-nest-20k', 'nesting bomb', {'p.yaml': 'a: ' + '['.repeat(20_000) + ']'.repeat(20_000) + '\n'}, ['policy', 'lint', '{in}/p.yaml'], [3])
  add('yaml-error-flood-1m', 'nesting bomb', {'p.yaml': 'a:\n  b:\n' + '      ?\n'.repeat(125_000)}, ['policy', 'lint', '{in}/p.yaml'], [3])
  add('yaml-alias-bomb', 'nesting bomb', {'p.yaml': billionLaughs()}, ['policy', 'lint', '{in}/p.yaml'], [3])
  add(
    'manifest-json-nest-100k',
    'nesting bomb',
    {'data/a.txt': 'a', 'm/manifest.json': b.jsonNest(100_000)},
    ['dataset', 'verify', '{in}/data', '--manifest', '{in}/m', '--unsigned'],
    [3],
  )

  // ---- 4. header bombs and huge declared sizes ----
  const stLen = (n) => {
    const h = Buffer.alloc(8)
    h.writeBigUInt64LE(n)
    return Buffer.concat([h, Buffer.from('{}')])
  }
  add('safetensors-header-2^63', 'header bomb', {'m.safetensors': stLen(1n << 63n)}, ['scan', '{in}/m.safetensors', '--format', 'json'], [0, 1, 3], {
    report: 'not-clean',
    files: 1,
  })
  add('safetensors-header-99999999', 'header bomb', {'m.safetensors': stLen(99_999_999n)}, ['scan', '{in}/m.safetensors', '--format', 'json'], [0, 1, 3], {
    report: 'not-clean',
    files: 1,
  })
  add(
    'safetensors-huge-shape',
    'huge declared shape',
    {'m.safetensors': b.safetensors([{name: 'w', dtype: 'F32', shape: [2 ** 31, 2 ** 31], data: Buffer.alloc(16), offsets: [0, 16]}])},
    ['scan', '{in}/m.safetensors', '--format', 'json'],
    [0, 1, 3],
    {report: 'not-clean', files: 1},
  )
  add(
    'gguf-tensor-count-2^64',
    'header bomb',
    {'m.gguf': b.gguf({tensorCountOverride: (1n << 64n) - 1n})},
    ['scan', '{in}/m.gguf', '--format', 'json'],
    [0, 1, 3],
    {report: 'not-clean', files: 1},
  )
  add('gguf-kv-count-2^40', 'header bomb', {'m.gguf': b.gguf({kvCountOverride: 1n << 40n})}, ['scan', '{in}/m.gguf', '--format', 'json'], [0, 1, 3], {
    report: 'not-clean',
    files: 1,
  })
  add(
    'gguf-string-len-2^62',
    'header bomb',
    {'m.gguf': b.gguf({kv: {'general.architecture': ['raw', Buffer.concat([u32(8), u64(1n << 62n), Buffer.from('x')])]}})},
    ['scan', '{in}/m.gguf', '--format', 'json'],
    [0, 1, 3],
    {report: 'not-clean', files: 1},
  )
  add(
    'gguf-huge-dims',
    'huge declared shape',
    {'m.gguf': b.gguf({tensors: [{name: 'w', dims: [2 ** 40, 2 ** 40], type: 0}]})},
    ['scan', '{in}/m.gguf', '--format', 'json'],
    [0, 1, 3],
    {report: 'not-clean', files: 1},
  )
  add(
    'npy-huge-shape',
    'huge declared shape',
    {'m.npy': b.npy({shape: [2 ** 40, 2 ** 40], data: Buffer.alloc(16)})},
    ['scan', '{in}/m.npy', '--format', 'json'],
    [0, 1, 3],
    {report: 'not-clean', files: 1},
  )
  add(
    'npy-header-garbage',
    'header bomb',
    {'m.npy': b.npy({headerText: "{'descr': " + '('.repeat(30000)})},
    ['scan', '{in}/m.npy', '--format', 'json'],
    [0, 1, 3],
    {report: 'not-clean', files: 1},
  )
  add('onnx-huge-dims', 'huge declared shape', {'m.onnx': onnxHugeDims()}, ['inspect', '{in}/m.onnx'], [0, 3])
  add('scan-onnx-huge-dims', 'huge declared shape', {'m.onnx': onnxHugeDims()}, ['scan', '{in}/m.onnx', '--format', 'json'], [0, 1, 3], {
    report: 'not-clean',
    files: 1,
  })
  add(
    'pickle-frame-2^63',
    'header bomb',
    {'m.pkl': Buffer.concat([b.pk.proto(4), b.pk.frame(1n << 62n), b.pk.stop])},
    ['scan', '{in}/m.pkl', '--format', 'json'],
    [0, 1, 3],
    {report: 'not-clean', files: 1},
  )
  add(
    'pickle-binbytes-4g',
    'header bomb',
    {'m.pkl': Buffer.concat([b.pk.proto(4), Buffer.from([0x42, 0xff, 0xff, 0xff, 0xff]), Buffer.from('xx')])},
    ['scan', '{in}/m.pkl', '--format', 'json'],
    [0, 1, 3],
    {report: 'not-clean', files: 1},
  )

  // ---- 5. zip bombs ----
  add('torch-zip-bomb-512m', 'zip bomb', {'m.pt': b.zipBombFast(512, 'archive/data.pkl')}, ['scan', '{in}/m.pt', '--format', 'json'], [0, 1, 3], {
    report: 'not-clean',
    files: 1,
  })
  add('npz-zip-bomb-512m', 'zip bomb', {'m.npz': b.zipBombFast(512, 'a.npy')}, ['scan', '{in}/m.npz', '--format', 'json'], [0, 1, 3], {
    report: 'not-clean',
    files: 1,
  })
  add('zip-entry-count-lie', 'zip bomb', {'m.pt': eocdLie()}, ['scan', '{in}/m.pt', '--format', 'json'], [0, 1, 3], {report: 'not-clean', files: 1})
  add('tgz-bomb-512m', 'zip bomb', {'d.tgz': gzipZeros(512 * 1024 * 1024)}, ['dataset', 'manifest', '{in}/d.tgz', '--output', '{case}/out'], [0, 1, 3])

  // ---- 6. path traversal in ONNX external data (and symlinks leaving the model) ----
  const ext = (location) => ({'model/m.onnx': b.onnxSmall({externalW: {location, offset: 0, length: 32}})})
  add('onnx-external-dotdot', 'path traversal', ext('../../secret.bin'), ['scan', '{in}/model'], [1, 3], {canary: true})
  add('onnx-external-absolute', 'path traversal', ext(path.join(outDir, 'c', 'onnx-external-absolute', 'secret.bin')), ['scan', '{in}/model'], [1, 3], {
    canary: true,
  })
  add('onnx-external-symlink', 'symlink escape', {...ext('w.bin'), 'model/w.bin': {symlink: '../../secret.bin'}}, ['scan', '{in}/model'], [1, 3], {
    canary: true,
  })
  add('inspect-onnx-external-dotdot', 'path traversal', ext('../../secret.bin'), ['inspect', '{in}/model/m.onnx'], [0, 1, 3], {canary: true})
  add('onnx-external-ort-mem', 'path traversal', ext('*/_ORT_MEM_ADDR_/*'), ['scan', '{in}/model'], [1, 3], {canary: true})
  add(
    'onnx-external-offset-past-eof',
    'huge declared shape',
    {'model/m.onnx': b.onnxSmall({externalW: {location: 'w.bin', offset: 2 ** 40, length: 32}}), 'model/w.bin': Buffer.alloc(64)},
    ['scan', '{in}/model'],
    [1, 3],
  )

  // ---- 7. tar entries ----
  const tarCase = (id, entries, exits = [1, 3]) =>
    add(id, 'tar entries', {'d.tar': b.tar(entries)}, ['dataset', 'manifest', '{in}/d.tar', '--output', '{case}/out'], exits, {canary: true})
  tarCase('tar-dotdot', [
    {name: 'ok.txt', data: 'a'},
    {name: '../secret.bin', data: 'x'},
  ])
  tarCase('tar-absolute', [{name: '/etc/passwd', data: 'x'}])
  tarCase('tar-symlink-out', [{name: 'l', type: '2', linkname: '../../secret.bin'}])
  tarCase('tar-hardlink', [
    {name: 'a', data: 'a'},
    {name: 'h', type: '1', linkname: '../secret.bin'},
  ])
  tarCase('tar-device', [{name: 'dev', type: '3'}])
  tarCase('tar-duplicate', [
    {name: 'a', data: '1'},
    {name: 'a', data: '2'},
  ])
  tarCase('tar-size-lie', [{name: 'a', data: 'abc', size: 2 ** 33 - 1}], [3])
  add(
    'tar-truncated',
    'tar entries',
    {'d.tar': b.tar([{name: 'a', data: Buffer.alloc(5000, 1)}]).subarray(0, 1500)},
    ['dataset', 'manifest', '{in}/d.tar', '--output', '{case}/out'],
    [3],
  )

  // ---- 8. bundle resource names (validly signed, so only the name check can stop them) ----
  for (const [id, name] of [
    ['dotdot', '../secret.bin'],
    ['absolute', '{case}/secret.bin'],
    ['backslash', '..\\secret.bin'],
    ['nul', 'a\u0000b'],
    ['shard-dotdot', '../secret.bin:0:10'],
  ]) {
    const caseDir = path.join(outDir, 'c', `bundle-name-${id}`)
    const sig = signedBundle(name, id.startsWith('shard') ? 'shards' : 'files', caseDir)
    add(
      `bundle-name-${id}`,
      'bundle resource name',
      {'model/a.bin': 'a', 'model.sig': sig, ...keyFiles()},
      ['verify', 'key', '{in}/model', '--signature', '{in}/model.sig', '--public-key', '{in}/key.pub'],
      [1, 3],
      {canary: true},
    )
  }

  // ---- 9. dataset manifests naming files outside the dataset ----
  add(
    'manifest-shard-dotdot',
    'manifest path',
    {'data/a.txt': 'a', 'm/manifest.json': JSON.stringify(manifestHeader('../../secret.bin'))},
    ['dataset', 'verify', '{in}/data', '--manifest', '{in}/m', '--unsigned'],
    [1, 3],
    {canary: true},
  )
  add(
    'manifest-entry-dotdot',
    'manifest path',
    {
      'data/a.txt': 'a',
      'm/manifest.json': JSON.stringify(manifestHeader('shards/00000.jsonl.gz', '../secret.bin')),
      'm/shards/00000.jsonl.gz': b.gzip(JSON.stringify({path: '../secret.bin', size: 1, sha256: '0'.repeat(64)}) + '\n'),
    },
    ['dataset', 'verify', '{in}/data', '--manifest', '{in}/m', '--unsigned'],
    [1, 3],
    {canary: true},
  )

  // ---- 10. symlink escapes in model and dataset directories ----
  add('model-symlink-out', 'symlink escape', {'model/a.bin': 'a', 'model/link': {symlink: '../../secret.bin'}}, ['digest', '{in}/model'], [3], {
    canary: true,
    requireCode: /SYMLINK/,
  })
  add(
    'scan-dir-symlink-out',
    'symlink escape',
    {'model/a.onnx': b.onnxSmall(), 'model/b.onnx': {symlink: '../../secret.bin'}},
    ['scan', '{in}/model'],
    [0, 1, 3],
    {canary: true},
  )
  add(
    'dataset-symlink-out',
    'symlink escape',
    {'data/a.txt': 'a', 'data/link': {symlink: '../../secret.bin'}},
    ['dataset', 'manifest', '{in}/data', '--output', '{case}/out'],
    [1, 3],
    {canary: true},
  )
  add(
    'sign-symlink-out',
    'symlink escape',
    {'model/a.bin': 'a', 'model/link': {symlink: '../../secret.bin'}, ...keyFiles()},
    ['sign', 'key', '{in}/model', '--private-key', '{in}/key.pem', '--signature', '{case}/model.sig'],
    [3],
    {canary: true},
  )

  // ---- 11. FIFOs named on the command line: open() would block forever ----
  if (hasMkfifo()) {
    const fifo = {fifo: true}
    add('fifo-scan', 'fifo', {'m.onnx': fifo}, ['scan', '{in}/m.onnx'], [3])
    add('fifo-inspect', 'fifo', {'m.onnx': fifo}, ['inspect', '{in}/m.onnx'], [3], {requireCode: /E_NOT_REGULAR_FILE/})
    add('fifo-scan-baseline', 'fifo', {'model/m.onnx': b.onnxSmall(), 'base.onnx': fifo}, ['scan', '{in}/model', '--baseline', '{in}/base.onnx'], [3])
    add('fifo-policy-lint', 'fifo', {'p.yaml': fifo}, ['policy', 'lint', '{in}/p.yaml'], [3])
    add(
      'fifo-signature',
      'fifo',
      {'model/a.bin': 'a', 'model.sig': fifo, ...keyFiles()},
      ['verify', 'key', '{in}/model', '--signature', '{in}/model.sig', '--public-key', '{in}/key.pub'],
      [3],
    )
    add('fifo-in-model-dir', 'fifo', {'model/a.bin': 'a', 'model/pipe': fifo}, ['digest', '{in}/model'], [3])
    add(
      'fifo-dataset-manifest',
      'fifo',
      {'data/a.txt': 'a', 'm/manifest.json': fifo},
      ['dataset', 'verify', '{in}/data', '--manifest', '{in}/m', '--unsigned'],
      [3],
    )
  }

  writeFileSync(path.join(outDir, 'cases.json'), JSON.stringify(cases, null, 1))
  return cases
}

// ---------------------------------------------------------------------------------------------
let keys
/** One P-256 key pair shared by the cases that need a signature (PEM files in the case's in/). */
function keyFiles() {
  keys ??= (() => {
    const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    return {
      priv: privateKey,
      privPem: privateKey.export({type: 'pkcs8', format: 'pem'}),
      pubPem: publicKey.export({type: 'spki', format: 'pem'}),
    }
  })()
  return {'key.pem': keys.privPem, 'key.pub': keys.pubPem}
}

/** A key bundle whose statement names `name`, signed with the shared key (OMS v1.0 layout). */
export function signedBundle(name, method, caseDir) {
  keyFiles()
  const resolved = name.replace('{case}', caseDir)
  const digest = createHash('sha256').update('a').digest('hex')
  const statement = b.omsStatement(
    [
      {name: 'a.bin', digest},
      {name: resolved, digest},
    ],
    {method},
  )
  if (method === 'shards') {
    statement.predicate.serialization.shard_size = 1000000000
    statement.predicate.resources[0].name = 'a.bin:0:1'
  }
  const payload = Buffer.from(JSON.stringify(statement))
  const payloadType = 'application/vnd.in-toto+json'
  const sig = cryptoSign('sha256', b.pae(payloadType, payload), keys.priv)
  const hint = createHash('sha256').update(keys.pubPem).digest('hex')
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {publicKey: {hint}, tlogEntries: []},
    dsseEnvelope: {payload: payload.toString('base64'), payloadType, signatures: [{sig: sig.toString('base64'), keyid: ''}]},
  })
}

function hasMkfifo() {
  try {
    execFileSync('mkfifo', ['--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

function pickFixtures(r, max) {
  const out = []
  const walk = (dir, rel) => {
    let names
    try {
      names = readdirSync(dir).sort()
    } catch {
      return
    }
    for (const n of names) {
      if (n === 'hostile' || n === 'regressions' || n.startsWith('.') || n.endsWith('.mjs') || n.endsWith('.md')) continue
      const abs = path.join(dir, n)
      const st = statSync(abs, {throwIfNoEntry: false})
      if (!st) continue
      if (st.isDirectory()) walk(abs, path.join(rel, n))
      else if (st.isFile() && st.size > 0 && st.size <= 4 * 1024 * 1024 && MODEL_EXTENSIONS.includes(extOf(n))) out.push({abs, rel: path.join(rel, n)})
    }
  }
  walk(here, '')
  // one per extension first, then a seeded sample of the rest
  const byExt = new Map()
  for (const f of out) if (!byExt.has(extOf(f.abs))) byExt.set(extOf(f.abs), f)
  const chosen = [...byExt.values()]
  const rest = out.filter((f) => !chosen.includes(f))
  while (chosen.length < max && rest.length) chosen.push(rest.splice(r.int(rest.length), 1)[0])
  return chosen
}

function extOf(p) {
  const m = /(\.[A-Za-z0-9]+)$/.exec(p)
  return m ? m[1].toLowerCase() : ''
}

function rawSafetensors(json) {
  const h = Buffer.alloc(8)
  h.writeBigUInt64LE(BigInt(Buffer.byteLength(json)))
  return Buffer.concat([h, Buffer.from(json)])
}

function billionLaughs() {
  let y = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
  for (let i = 1; i < 10; i++)
    y += `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
      .fill('*' + String.fromCharCode(96 + i))
      .join(',')}]\n`
  return y
}

function onnxHugeDims() {
  const t = b.onnxTensor({name: 'W', dims: [2 ** 40, 2 ** 40, 2 ** 40], raw: Buffer.alloc(16)})
  const g = b.onnxGraph({
    name: 'main',
    nodes: [b.onnxNode({op: 'MatMul', inputs: ['x', 'W'], outputs: ['y']})],
    initializers: [t],
    inputs: [b.onnxValueInfo('x', [1, 4])],
    outputs: [b.onnxValueInfo('y', [1, 2])],
  })
  return b.onnxModel(g)
}

function eocdLie() {
  const z = b.torchZip()
  // claim 65535 entries and a central directory larger than the file
  const o = z.length - 22
  z.writeUInt16LE(0xffff, o + 8)
  z.writeUInt16LE(0xffff, o + 10)
  z.writeUInt32LE(0x7fffffff, o + 12)
  return z
}

function gzipZeros(size) {
  // a tar header for one huge member, then zeros: the .tgz stays ~0.5 MB
  const header = b.tar([{name: 'big', data: Buffer.alloc(0), size: size - 2048}]).subarray(0, 512)
  return b.gzipZerosFast(header, size / (1024 * 1024))
}

/** A dataset manifest header (src/dataset/header.ts format) with one shard at `uri` naming `entryPath`. */
function manifestHeader(uri, entryPath = 'a.txt') {
  return {
    manifestVersion: 'dataset-manifest/v1',
    dataset: {name: 'x', version: '1'},
    created: '2026-01-01T00:00:00Z',
    hash: {file: 'sha256', tree: 'sha256', leafFormat: 'dsm1'},
    source: {format: 'dir'},
    stats: {files: 1, bytes: 1},
    shardEntries: 1,
    root: '0'.repeat(64),
    shards: [{index: 0, uri, sha256: '0'.repeat(64), root: '0'.repeat(64), files: 1, bytes: 1, firstPath: entryPath, lastPath: entryPath}],
  }
}

const u32 = (n) => {
  const x = Buffer.alloc(4)
  x.writeUInt32LE(n)
  return x
}
const u64 = (n) => {
  const x = Buffer.alloc(8)
  x.writeBigUInt64LE(n)
  return x
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2]
  if (!out) {
    console.error('usage: node testdata/make-hostile.mjs OUT_DIR [--seed N]')
    process.exit(2)
  }
  const i = process.argv.indexOf('--seed')
  const cases = await makeHostile(path.resolve(out), {seed: i > 0 ? Number(process.argv[i + 1]) : 8})
  console.log(`${cases.length} hostile cases in ${out}`)
}
