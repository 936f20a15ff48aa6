import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {deflateSync, gzipSync} from 'node:zlib'

import {crc32} from '../../../src/formats/zip/reader.js'
import {scanPaths} from '../../../src/scan/engine.js'
import {tempDir} from '../../helpers/cli.js'
import {generateCase, tarOf, zipOf} from '../../helpers/pickle-gen.js'
import {rng} from '../../helpers/random.js'

// Hostile pickles from the generator, each wrapped in a random chain of containers and names
// (zip member of any name, gzip, zlib, tar, .npy object array, junk before a zip, a pickle glued
// in front of a zip): through the whole scan engine, every wrapped payload must still be critical
// and the file must never exit 0.
function npyObject(payload: Uint8Array): Uint8Array {
  let h = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n'
  const head = Buffer.alloc(10)
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
  head.writeUInt16LE(h.length, 8)
  return Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(payload)])
}

const NAMES = ['data.pkl', 'weights.bin', 'config.json', 'README.txt', 'model.safetensors', 'x', 'archive/data/0', 'tokenizer.model']

function wrap(payload: Uint8Array, r: () => number, depth: number): {bytes: Uint8Array; chain: string[]} {
  if (depth === 0 || r() < 0.2) return {bytes: payload, chain: []}
  const inner = wrap(payload, r, depth - 1)
  const name = NAMES[Math.floor(r() * NAMES.length)]
  const kind = Math.floor(r() * 7)
  const chain = [...inner.chain]
  let bytes: Uint8Array
  switch (kind) {
    case 0:
      bytes = zipOf(
        [
          {name: 'archive/version', data: Buffer.from('3\n')},
          {name, data: inner.bytes},
        ],
        crc32,
      )
      chain.push(`zip:${name}`)
      break
    case 1:
      bytes = gzipSync(inner.bytes)
      chain.push('gzip')
      break
    case 2:
      bytes = deflateSync(inner.bytes)
      chain.push('zlib')
      break
    case 3:
      bytes = tarOf([
        {name: 'notes.md', data: Buffer.from('# notes\n')},
        {name, data: inner.bytes},
      ])
      chain.push(`tar:${name}`)
      break
    case 4:
      bytes = Buffer.concat([Buffer.from('JUNK'.repeat(1 + Math.floor(r() * 40))), zipOf([{name, data: inner.bytes}], crc32)])
      chain.push(`junk+zip:${name}`)
      break
    case 5:
      // Only a pickle can be an object array's payload.
      if (inner.chain.length) return inner
      bytes = npyObject(inner.bytes)
      chain.push('npy-object')
      break
    default:
      bytes = Buffer.concat([Buffer.from(inner.bytes), zipOf([{name: 'archive/version', data: Buffer.from('3\n')}], crc32)])
      chain.push('+zip')
  }
  return {bytes, chain}
}

describe('container red team (generated payloads in generated wrappers)', () => {
  it('finds every hostile pickle whatever wraps it, and no wrapped file exits 0', async () => {
    const {dir, cleanup} = tempDir()
    try {
      const r = rng(7)
      let n = 0
      for (let seed = 90_000; n < 200; seed++) {
        const c = generateCase(seed)
        if (!c.dangerous) continue
        const w = wrap(c.bytes, r, 3)
        const file = path.join(dir, `case-${n++}${['', '.bin', '.txt', '.pt'][Math.floor(r() * 4)]}`)
        writeFileSync(file, w.bytes)
        const {report, exitCode} = await scanPaths([file], {failOn: 'high'})
        const f = report.files[0]
        const sev = f.findings.map((x) => `${x.id}:${x.severity}`)
        assert.ok(
          f.findings.some((x) => x.severity === 'critical'),
          `${c.note} in ${w.chain.join(' > ') || 'nothing'}: ${sev.join(' ')} (${f.status})`,
        )
        assert.notEqual(exitCode, 0, `${c.note} in ${w.chain.join(' > ')} exits 0`)
      }
    } finally {
      cleanup()
    }
  })
})
