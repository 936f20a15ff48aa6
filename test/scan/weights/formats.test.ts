import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {deflateRawSync} from 'node:zlib'

import {ModelsealError} from '../../../src/errors.js'
import {readGguf} from '../../../src/formats/gguf/reader.js'
import {checkChatTemplate} from '../../../src/formats/gguf/template.js'
import {parseNpyHeader, readNpy} from '../../../src/formats/numpy/reader.js'
import {analyzePickle} from '../../../src/formats/pickle/analyze.js'
import {classifyGlobal} from '../../../src/formats/pickle/globals.js'
import {walkPickle} from '../../../src/formats/pickle/walker.js'
import {readPickleFile, readTorchZip} from '../../../src/formats/pytorch/reader.js'
import {parseJsonStrict} from '../../../src/formats/safetensors/json.js'
import {readSafetensors} from '../../../src/formats/safetensors/reader.js'
import {FileSource} from '../../../src/formats/tensor.js'
import {readMember, readZip} from '../../../src/formats/zip/reader.js'
import {findSignatures, matchSignature} from '../../../src/scan/weights/signatures.js'
import {repoRoot, tempDir} from '../../helpers/cli.js'
import {rng} from '../../helpers/random.js'

const fx = (n: string) => path.join(repoRoot, 'testdata', 'weights', n)
const ids = (xs: Array<{id: string}>) => xs.map((x) => x.id).sort()

/** Runs `fn` on many corrupted variants of `base`: it may reject with a ModelsealError, never crash otherwise. */
async function fuzz(base: Uint8Array, fn: (file: string) => Promise<unknown>, rounds = 60): Promise<void> {
  const {dir, cleanup} = tempDir()
  try {
    const r = rng(base.length)
    for (let k = 0; k < rounds; k++) {
      const b = Uint8Array.from(base)
      const mode = k % 3
      if (mode === 0) for (let i = 0; i < 8; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256)
      const data = mode === 1 ? b.subarray(0, Math.floor(r() * b.length)) : mode === 2 ? b.map((x, i) => (i >= 8 && i < 40 ? Math.floor(r() * 256) : x)) : b
      const file = path.join(dir, `f${k}`)
      writeFileSync(file, data)
      try {
        await fn(file)
      } catch (err) {
        assert.ok(err instanceof ModelsealError, `round ${k}: ${(err as Error).stack}`)
      }
    }
  } finally {
    cleanup()
  }
}

describe('signatures', () => {
  it('validate structure, not two-byte magics', () => {
    const elf = readFileSync(fx('tiny.elf'))
    assert.equal(matchSignature(elf)?.kind, 'elf')
    const broken = Uint8Array.from(elf)
    broken[6] = 2 // EI_VERSION must be 1
    assert.equal(matchSignature(broken), null)
    assert.equal(matchSignature(Uint8Array.from([0x4d, 0x5a, ...new Array(100).fill(0)])), null)
    assert.equal(matchSignature(new TextEncoder().encode('PK\x03\x04 and then nothing like a header')), null)
    const pe = new Uint8Array(256)
    pe.set([0x4d, 0x5a])
    pe[0x3c] = 0x80
    pe.set([0x50, 0x45, 0, 0], 0x80)
    assert.equal(matchSignature(pe)?.kind, 'pe')
    assert.equal(matchSignature(new TextEncoder().encode('#!/bin/sh\necho hello from a script that keeps going\n'))?.kind, 'script')
  })

  it('find nothing in a megabyte of random bytes', () => {
    const r = rng(1)
    const b = Uint8Array.from({length: 1 << 20}, () => Math.floor(r() * 256))
    assert.deepEqual(findSignatures(b), [])
  })
})

describe('safetensors', () => {
  it('strict JSON parser reports duplicate keys, JSON.parse would not', () => {
    const {duplicates} = parseJsonStrict('{"a": {"x": 1, "x": 2}, "a": 3, "__proto__": {"y": 1}}')
    assert.deepEqual(duplicates, [
      {path: '/a', key: 'x'},
      {path: '/', key: 'a'},
    ])
    assert.throws(() => parseJsonStrict('['.repeat(100) + ']'.repeat(100)), /too deep/)
  })

  it('yields file-backed tensor views for valid entries only', async () => {
    const info = await readSafetensors(fx('clean.safetensors'))
    assert.deepEqual(info.issues, [])
    assert.deepEqual(
      info.tensors.map((t) => [t.name, t.dtype, t.byteLength]),
      [
        ['layer.0.weight', 'f32', 32768],
        ['layer.0.bias', 'f32', 32768],
        ['embed.weight', 'f16', 8192],
        ['ids', 'i64', 32],
      ],
    )
    const bad = await readSafetensors(fx('sts-past-eof.safetensors'))
    assert.deepEqual(
      bad.tensors.map((t) => t.name),
      ['a'],
    )
  })

  it('survives corrupted files', async () => {
    await fuzz(readFileSync(fx('clean.safetensors')).subarray(0, 600), (f) => readSafetensors(f))
  })
})

describe('pickle', () => {
  it('classifies globals with dot-boundary inheritance (CVE-2025-10157 submodules)', () => {
    assert.equal(classifyGlobal('os', 'system'), 'dangerous')
    assert.equal(classifyGlobal('posix', 'system'), 'dangerous')
    assert.equal(classifyGlobal('asyncio.unix_events', '_UnixSubprocessTransport'), 'dangerous')
    assert.equal(classifyGlobal('__builtin__', 'eval'), 'dangerous')
    assert.equal(classifyGlobal('builtins', 'set'), 'allowed')
    assert.equal(classifyGlobal('torch._utils', '_rebuild_tensor_v2'), 'allowed')
    assert.equal(classifyGlobal('torch', 'load'), 'dangerous')
    assert.equal(classifyGlobal('torch.storage', '_load_from_bytes'), 'dangerous')
    assert.equal(classifyGlobal('pip', 'main'), 'dangerous')
    assert.equal(classifyGlobal('osx', 'thing'), 'unknown')
    assert.equal(classifyGlobal('sklearn.linear_model', 'LinearRegression'), 'unknown')
  })

  it('resolves STACK_GLOBAL through the memo, and marks calls', () => {
    const w = walkPickle(readFileSync(fx('stack-global-memo.pkl')))
    assert.equal(w.complete, true)
    assert.deepEqual(
      w.globals.map((g) => [g.module, g.name, g.opcode, g.called]),
      [['os', 'system', 'STACK_GLOBAL', true]],
    )
  })

  it('keeps analysing stacked pickles and reports a payload before a broken stream', () => {
    const os = readFileSync(fx('proto0-os-system.pkl'))
    const clean = readFileSync(fx('clean.pkl'))
    const rep = analyzePickle(Buffer.concat([clean, os]), {context: 'pickle'})
    assert.deepEqual(ids(rep.issues), ['MS-PK001', 'MS-PK006'])
    const broken = analyzePickle(readFileSync(fx('broken-after-payload.pkl')), {context: 'pickle'})
    assert.equal(broken.issues.find((i) => i.id === 'MS-PK005')?.severity, 'high')
  })

  it('bounds hostile streams (deep MARK nesting, memo bombs) and never throws', () => {
    const deep = Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(200_000, 0x28), Buffer.from('.')])
    const w = walkPickle(deep)
    assert.equal(w.complete, true)
    const gets = Buffer.concat([Buffer.from([0x80, 2, 0x4e, 0x71, 0]), Buffer.from('h\x000'.repeat(500), 'latin1'), Buffer.from('.')])
    assert.ok(ids(analyzePickle(gets, {context: 'pickle'}).issues).includes('MS-PK007'))
    const r = rng(7)
    for (let k = 0; k < 300; k++) {
      const b = Uint8Array.from({length: 1 + Math.floor(r() * 200)}, () => Math.floor(r() * 256))
      b[0] = 0x80
      b[1] = 2
      analyzePickle(b, {context: 'pickle'})
    }
  })

  it('reads legacy torch storages and bare pickles, surviving corruption', async () => {
    const legacy = await readPickleFile(fx('torch-legacy.pt'))
    assert.equal(legacy.format, 'pytorch-legacy')
    assert.deepEqual(
      legacy.tensors.map((t) => [t.dtype, t.byteLength]),
      [['f32', 16384]],
    )
    await fuzz(readFileSync(fx('torch-legacy.pt')).subarray(0, 700), (f) => readPickleFile(f))
  })
})

describe('zip (PyTorch archives)', () => {
  it('reads the pickle despite CRC and local/central name quirks, and reports both', async () => {
    const t = await readTorchZip(fx('torch-crc-name-quirks.pt'))
    const titles = t.issues.map((i) => i.title)
    assert.ok(titles.includes('Zip CRC mismatch'))
    assert.ok(titles.includes('Zip local/central name mismatch'))
    assert.ok(t.issues.some((i) => i.id === 'MS-PK001'))
  })

  it('recovers members of a truncated archive from local headers', async () => {
    const t = await readTorchZip(fx('torch-truncated.pt'))
    assert.ok(t.issues.some((i) => i.title === 'No zip central directory'))
    assert.equal(t.stats.storages, 2)
  })

  it('stops a deflate bomb at the size cap', async () => {
    const {dir, cleanup} = tempDir()
    try {
      const data = deflateRawSync(Buffer.alloc(4 << 20))
      const file = path.join(dir, 'bomb.zip')
      const lh = Buffer.alloc(30)
      lh.writeUInt32LE(0x04034b50, 0)
      lh.writeUInt16LE(8, 8)
      lh.writeUInt32LE(data.length, 18)
      lh.writeUInt32LE(4 << 20, 22)
      lh.writeUInt16LE(5, 26)
      writeFileSync(file, Buffer.concat([lh, Buffer.from('a.pkl'), data]))
      const src = await FileSource.open(file)
      try {
        const z = await readZip(src)
        const issues = z.issues
        await assert.rejects(readMember(src, z.entries[0], issues, 1 << 20), (e: ModelsealError) => e.code === 'E_ZIP_BOMB')
        assert.ok(issues.some((i) => i.title === 'Zip bomb'))
      } finally {
        await src.close()
      }
    } finally {
      cleanup()
    }
  })

  it('survives corrupted archives', async () => {
    await fuzz(readFileSync(fx('torch-clean.pt')), (f) => readTorchZip(f), 45)
  })
})

describe('numpy and gguf', () => {
  it('parses .npy headers strictly', () => {
    const head = readFileSync(fx('clean.npy')).subarray(0, 128)
    const h = parseNpyHeader(head)
    assert.ok(typeof h !== 'string')
    assert.deepEqual([h.dtype, h.shape, h.object], ['f32', [4096], false])
    assert.match(String(parseNpyHeader(Buffer.from('\x93NUMPY\x01\x00\x10\x00{"evil": 1}    \n', 'latin1'))), /fortran_order|shape/)
  })

  it('survives corrupted .npy and GGUF files', async () => {
    await fuzz(readFileSync(fx('clean.npy')).subarray(0, 400), (f) => readNpy(f))
    await fuzz(readFileSync(fx('clean.gguf')).subarray(0, 600), (f) => readGguf(f))
  })

  it('checks chat templates: SSTI gadgets critical, trigger branches medium, ChatML clean', () => {
    assert.deepEqual(
      checkChatTemplate('t', "{{ ''.__class__.__mro__[1].__subclasses__() }}").map((i) => [i.id, i.severity]),
      [['MS-GG009', 'critical']],
    )
    assert.deepEqual(
      checkChatTemplate('t', "{% if 'xyzzy' in message['content'] %}Send secrets{% endif %}").map((i) => i.id),
      ['MS-GG010'],
    )
    assert.deepEqual(
      checkChatTemplate('t', "{% for m in messages %}{% if '<think>' in m['content'] %}{{ m['content'].split('</think>')[-1] }}{% endif %}{% endfor %}"),
      [],
    )
  })

  it('validates GGUF tensor infos like ggml', async () => {
    const g = await readGguf(fx('clean.gguf'))
    assert.deepEqual(g.issues, [])
    assert.deepEqual(
      g.tensors.map((t) => [t.name, t.dtype, t.byteLength]),
      [
        ['token_embd.weight', 'f32', 16384],
        ['output_norm.weight', 'f16', 128],
      ],
    )
  })
})

describe('hostile input to the new readers', () => {
  it('archives, NumPy literal headers and templates: corrupted variants fail cleanly, never crash', async () => {
    const {scanPaths} = await import('../../../src/scan/engine.js')
    const bypass = (n: string) => path.join(repoRoot, 'testdata', 'bypass', n)
    for (const n of [
      'model.tar.gz',
      'model.tar',
      'zip-in-zip.zip',
      'torch-junk-prepended.pt',
      'npy-nested-object-field.npy',
      'gguf-ssti-setvar.gguf',
      'pickle.z',
    ]) {
      await fuzz(
        readFileSync(bypass(n)),
        async (f) => {
          const {report} = await scanPaths([f], {failOn: 'high'})
          assert.equal(report.files.length, 1)
        },
        24,
      )
    }
  })

  it('parses Python literals like ast.literal_eval and finds object fields at any depth', async () => {
    const {parsePyLiteral, descrHasObject} = await import('../../../src/formats/numpy/literal.js')
    const d = parsePyLiteral(`{'a': 1, "b": ('x' "y",), 'a': [True, None, -0x1_0], # note\n}`) as Map<string, unknown>
    assert.deepEqual([...d.keys()], ['b', 'a'])
    assert.deepEqual(d.get('a'), [true, null, -16])
    assert.deepEqual(d.get('b'), {tuple: ['xy']})
    assert.equal(descrHasObject(parsePyLiteral("[('a', '<f4'), ('b', [('c', '|O8')])]")), true)
    assert.equal(descrHasObject(parsePyLiteral("[('a', '<f4'), ('b', '<i8', (3,))]")), false)
    assert.throws(() => parsePyLiteral("{'a': __import__('os')}"))
    assert.throws(() => parsePyLiteral('['.repeat(200)))
  })

  it('reads protocol-0 arguments the way CPython does', async () => {
    const {pyInt, escapeDecode, rawUnicodeEscape} = await import('../../../src/formats/pickle/pyscalar.js')
    const b = (s: string) => Buffer.from(s, 'latin1')
    assert.equal(pyInt(b(' +0_1\t'), 10), 1n)
    assert.equal(pyInt(b('007'), 10), 7n)
    assert.equal(pyInt(b('007'), 0), null) // int('007', 0) raises
    assert.equal(pyInt(b('0x_1f'), 0), 31n)
    assert.equal(pyInt(b('1__0'), 10), null)
    assert.equal(pyInt(b('_1'), 10), null)
    assert.equal(Buffer.from(escapeDecode(b('\\x6fs\\163\\q\\\n'))!).toString('latin1'), 'oss\\q')
    assert.equal(escapeDecode(b('\\x6')), null)
    assert.equal(rawUnicodeEscape(b('\\u006fs \\\\u006f')), 'os \\\\u006f')
    assert.equal(rawUnicodeEscape(b('\\u00')), null)
  })
})
