import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {gzipSync} from 'node:zlib'

import fc from 'fast-check'

import {createManifest} from '../../src/dataset/manifest.js'
import {loadManifest, validateHeader} from '../../src/dataset/header.js'
import {MerkleBuilder, leafHash, rootOfRoots} from '../../src/dataset/merkle.js'
import {comparePaths, pathProblem, sortPaths} from '../../src/dataset/paths.js'
import {manifestEntries} from '../../src/dataset/reader.js'
import {samplePredicate} from '../../src/dataset/select.js'
import {ModelsealError} from '../../src/errors.js'
import {tempDir} from '../helpers/cli.js'
import {fixtureTree, loadVectors, writeTree} from './helpers.js'

const tmp = tempDir('modelseal-ds-format-')
after(() => tmp.cleanup())
let n = 0
const fresh = (name: string) => path.join(tmp.dir, `${name}-${n++}`)

describe('dataset-manifest/v1 test vectors', () => {
  for (const v of loadVectors()) {
    it(`${v.name}: root and dirHash1 match the independent implementation`, async () => {
      const dir = writeTree(fresh('v'), Object.fromEntries(Object.entries(v.files).map(([p, b]) => [p, Buffer.from(b, 'base64')])))
      const {header} = await createManifest(dir, {output: fresh('m'), shardEntries: 2, workers: 1})
      assert.equal(header.root, v.expected.root)
      assert.equal(header.dirHash1, v.expected.dirHash1)
      assert.equal(header.stats.files, v.expected.files)
      assert.equal(header.stats.bytes, v.expected.bytes)
    })
  }

  it('the design-note example has the documented root', () => {
    const v = loadVectors()[0]
    assert.equal(v.expected.root, 'a87d3949f335dcf16329e8ecbbe4c4a66ff71fce2dcc066932a66a107a03f73e')
  })

  it('renames and swaps give different roots than the original', () => {
    const [orig, , , renamed, swapped] = loadVectors()
    assert.notEqual(orig.expected.root, renamed.expected.root)
    assert.notEqual(orig.expected.root, swapped.expected.root)
    // A plain concatenation of digests (the OMS root) would not see the swap of names.
  })
})

describe('Merkle tree', () => {
  it('the root does not depend on the (power-of-two) shard size', async () => {
    const roots = new Set<string>()
    for (const shardEntries of [1, 2, 4, 8, 65_536]) {
      const {header} = await createManifest(fixtureTree, {output: fresh('m'), shardEntries, workers: 1})
      roots.add(header.root)
      if (shardEntries === 1) assert.equal(header.shards.length, header.stats.files)
    }
    assert.equal(roots.size, 1)
  })

  it('the incremental builder equals the recursive RFC 6962 definition for every size', () => {
    fc.assert(
      fc.property(fc.integer({min: 0, max: 70}), (count) => {
        const leaves = Array.from({length: count}, (_, i) => leafHash(`f${i}`, i, createHash('sha256').update(String(i)).digest()))
        const b = new MerkleBuilder()
        for (const l of leaves) b.push(l)
        const recursive = (ls: Buffer[]): Buffer => {
          if (ls.length === 0) return createHash('sha256').digest()
          if (ls.length === 1) return ls[0]
          let k = 1
          while (k * 2 < ls.length) k *= 2
          return createHash('sha256')
            .update(Buffer.from([1]))
            .update(recursive(ls.slice(0, k)))
            .update(recursive(ls.slice(k)))
            .digest()
        }
        assert.deepEqual(b.root(), recursive(leaves))
        assert.deepEqual(rootOfRoots(leaves), recursive(leaves))
      }),
      {numRuns: 40},
    )
  })

  it('leaves bind path and size, not only the digest', () => {
    const d = createHash('sha256').update('x').digest()
    assert.notDeepEqual(leafHash('a', 1, d), leafHash('b', 1, d))
    assert.notDeepEqual(leafHash('a', 1, d), leafHash('a', 2, d))
  })
})

describe('paths', () => {
  it('comparePaths is UTF-8 byte order (including astral and U+E000+ characters)', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', '-', 'é', '\uE000', '\uFFFD', '\u{1F600}', '\u{10FFFF}', 'Z')
    fc.assert(
      fc.property(fc.array(alphabet, {maxLength: 6}), fc.array(alphabet, {maxLength: 6}), (x, y) => {
        const a = x.join('')
        const b = y.join('')
        assert.equal(Math.sign(comparePaths(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))))
      }),
      {numRuns: 300},
    )
    assert.deepEqual(sortPaths(['\u{1F600}', '\uE000', 'a/b', 'a-b']), ['a-b', 'a/b', '\uE000', '\u{1F600}'])
  })

  it('refuses non-canonical paths', () => {
    for (const bad of ['', '/abs', 'a/../b', '..', './a', 'a//b', 'a/', 'a\\b', 'a\u0000b', 'a\nb', 'C:/x', 'caf\u0065\u0301', 'x\uFFFD', 'x\uD800']) {
      assert.ok(pathProblem(bad), `should refuse ${JSON.stringify(bad)}`)
    }
    for (const good of ['a', 'a/b.txt', 'café', '\u{1F600}/x', '.hidden', '..a', 'a..b']) assert.equal(pathProblem(good), undefined, good)
  })
})

describe('sampling', () => {
  it('is deterministic for a seed, different across seeds, and close to the rate', () => {
    const paths = Array.from({length: 4000}, (_, i) => `img/${i}.jpg`)
    const a = paths.filter(samplePredicate(0.1, 'seed-1'))
    const b = paths.filter(samplePredicate(0.1, 'seed-1'))
    const c = paths.filter(samplePredicate(0.1, 'seed-2'))
    assert.deepEqual(a, b)
    assert.notDeepEqual(a, c)
    assert.ok(a.length > 300 && a.length < 500, `sample size ${a.length}`)
  })
})

describe('hostile manifests', () => {
  const expectMalformed = async (fn: () => Promise<unknown>) => {
    await assert.rejects(fn, (err: unknown) => err instanceof ModelsealError && err.exitCode === 3)
  }

  it('rejects bad headers: unknown fields, wrong root, deep nesting, huge counts', async () => {
    const out = fresh('m')
    const {header} = await createManifest(fixtureTree, {output: out, shardEntries: 2, workers: 1})
    const base = JSON.parse(JSON.stringify(header))
    const variants: unknown[] = [
      {...base, extra: 1},
      {...base, root: '0'.repeat(64)},
      {...base, stats: {...base.stats, files: base.stats.files + 1}},
      {...base, shardEntries: 3},
      {...base, shards: [{...base.shards[0], uri: '../../etc/passwd'}, ...base.shards.slice(1)]},
      {...base, shards: [{...base.shards[0], files: 1}, ...base.shards.slice(1)]},
      {...base, hash: {...base.hash, file: 'md5'}},
      {...base, dataset: JSON.parse('{"name":' + '['.repeat(100) + ']'.repeat(100) + '}')},
      null,
      [],
    ]
    for (const v of variants)
      assert.throws(
        () => validateHeader(v),
        (e: unknown) => e instanceof ModelsealError && e.exitCode === 3,
      )
    writeFileSync(path.join(out, 'manifest.json'), '{"manifestVersion":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}')
    await expectMalformed(() => loadManifest(out))
    writeFileSync(path.join(out, 'manifest.json'), '{not json')
    await expectMalformed(() => loadManifest(out))
  })

  it('rejects shards that match their digest but hold bad lines', async () => {
    const out = fresh('m')
    const {header} = await createManifest(fixtureTree, {output: out, shardEntries: 65_536, workers: 1})
    const shardPath = path.join(out, header.shards[0].uri)
    const lines = readFileSync(shardPath)
    const cases = [
      Buffer.from('{"path":"../x","size":1,"sha256":"' + '0'.repeat(64) + '"}\n'),
      Buffer.from('not json\n'),
      Buffer.from('{"path":"a","size":-1,"sha256":"' + '0'.repeat(64) + '"}\n'),
      Buffer.from('x'.repeat(20_000) + '\n'),
    ]
    for (const body of cases) {
      const gz = gzipSync(body)
      writeFileSync(shardPath, gz)
      const h = {...header, shards: [{...header.shards[0], sha256: createHash('sha256').update(gz).digest('hex')}]}
      await expectMalformed(async () => {
        for await (const _ of manifestEntries(out, h)) void _
      })
    }
    // A gzip bomb: far more output than the header's line count allows.
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x61))
    writeFileSync(shardPath, bomb)
    const h = {...header, shards: [{...header.shards[0], sha256: createHash('sha256').update(bomb).digest('hex')}]}
    await expectMalformed(async () => {
      for await (const _ of manifestEntries(out, h)) void _
    })
    assert.ok(lines.length > 0)
  })
})
