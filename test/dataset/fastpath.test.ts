/**
 * The directory fast path (one-shot hashing of small files in workers, batch writer, string
 * Merkle nodes, ASCII path check) must give exactly what the plain definitions give.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import fc from 'fast-check'

import {createManifest} from '../../src/dataset/manifest.js'
import {leafHash, leafHashAt, leafHashHex, nodeHash, MerkleBuilder, EMPTY_ROOT} from '../../src/dataset/merkle.js'
import {pathProblem} from '../../src/dataset/paths.js'
import {manifestEntries} from '../../src/dataset/reader.js'
import {tempDir} from '../helpers/cli.js'
import {writeTree} from './helpers.js'

const tmp = tempDir('modelseal-ds-fast-')
after(() => tmp.cleanup())
let n = 0
const fresh = (name: string) => path.join(tmp.dir, `${name}-${n++}`)

function referenceRoot(files: [string, Buffer][]): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))
  const leaves = sorted.map(([p, b]) => {
    const pb = Buffer.from(p, 'utf8')
    const head = Buffer.alloc(12)
    head.writeUInt32BE(pb.length, 0)
    head.writeBigUInt64BE(BigInt(b.length), 4)
    const d = createHash('sha256').update(b).digest()
    return createHash('sha256')
      .update(Buffer.concat([Buffer.from([0]), Buffer.from('dsm1'), head.subarray(0, 4), pb, head.subarray(4), d]))
      .digest()
  })
  const mth = (xs: Buffer[]): Buffer => {
    if (xs.length === 0) return EMPTY_ROOT
    if (xs.length === 1) return xs[0]
    let k = 1
    while (k * 2 < xs.length) k *= 2
    return createHash('sha256')
      .update(Buffer.concat([Buffer.from([1]), mth(xs.slice(0, k)), mth(xs.slice(k))]))
      .digest()
  }
  return mth(leaves).toString('hex')
}

describe('directory fast path', () => {
  it('small files, a file over the 1 MiB read buffer, an empty file and non-ASCII names match the reference root', async () => {
    const files: [string, Buffer][] = [
      ['big/blob.bin', Buffer.alloc((1 << 20) + 12345, 7)],
      ['empty', Buffer.alloc(0)],
      ['caf\u00e9/\u{1F600}.txt', Buffer.from('smile\n')],
    ]
    for (let i = 0; i < 1300; i++) files.push([`d${i % 7}/f${i}.bin`, Buffer.from(`file ${i} `.repeat(1 + (i % 50)))])
    const dir = writeTree(fresh('t'), Object.fromEntries(files))
    for (const shardEntries of [1024, 4]) {
      const out = fresh('m')
      const {header} = await createManifest(dir, {output: out, shardEntries, workers: 2})
      assert.equal(header.root, referenceRoot(files))
      assert.equal(header.stats.files, files.length)
      // The shards read back (every shard root re-checked) and list each file's SHA-256.
      const got = new Map<string, string>()
      for await (const e of manifestEntries(out, header)) got.set(e.path, e.digest)
      for (const [p, b] of files) assert.equal(got.get(p), createHash('sha256').update(b).digest('hex'), p)
    }
  })

  it('blake3 manifests still hash through the streaming path', async () => {
    const dir = writeTree(fresh('b'), {'a.txt': 'hello\n', 'b/c.txt': Buffer.alloc(3 << 19, 1)})
    const {header} = await createManifest(dir, {output: fresh('m'), algorithm: 'blake3', workers: 1})
    assert.equal(header.stats.files, 2)
    assert.equal(header.dirHash1, undefined)
  })

  it('leafHashAt / leafHashHex and string tree nodes equal leafHash / nodeHash', () => {
    fc.assert(
      fc.property(fc.string({unit: 'grapheme', maxLength: 40}), fc.nat(), fc.uint8Array({minLength: 32, maxLength: 32}), (p, size, d) => {
        const digest = Buffer.from(d)
        const ref = leafHash(p, size, digest)
        const padded = Buffer.concat([Buffer.alloc(5), digest, Buffer.alloc(3)])
        assert.equal(Buffer.from(leafHashAt(p, size, padded, 5, 32), 'latin1').toString('hex'), ref.toString('hex'))
        assert.equal(Buffer.from(leafHashHex(p, size, digest.toString('hex')), 'latin1').toString('hex'), ref.toString('hex'))
      }),
      {numRuns: 200},
    )
    const a = createHash('sha256').update('a').digest()
    const b = createHash('sha256').update('b').digest()
    const t = new MerkleBuilder()
    t.push(a)
    t.push(b.toString('latin1'))
    assert.equal(t.root().toString('hex'), nodeHash(a, b).toString('hex'))
  })

  it('the ASCII shortcut of pathProblem agrees with the full check', () => {
    const chars = fc.constantFrom('a', 'Z', '0', '.', '/', '\\', ':', ' ', '-', '\u0000', '\n', '\u007f', '~')
    fc.assert(
      fc.property(fc.array(chars, {maxLength: 12}), (cs) => {
        const p = cs.join('')
        const parts = p.split('/')
        const bad =
          p.length === 0 ||
          p.startsWith('/') ||
          /^[A-Za-z]:/.test(p) ||
          /[\u0000-\u001f\u007f\\]/.test(p) ||
          parts.some((c) => c === '' || c === '.' || c === '..')
        assert.equal(pathProblem(p) !== undefined, bad, JSON.stringify(p))
      }),
      {numRuns: 2000},
    )
  })
})
