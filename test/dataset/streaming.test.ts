/**
 * The directory pipeline that walks in path order, hashes while it walks and has the workers make
 * each batch's shard lines and Merkle subtrees must write exactly the bytes of the plain
 * definition (entries sorted by path bytes, one gzip stream per shard at level 6, as the writer
 * always did), and verify's shard-by-shard comparison must report exactly what the exact
 * merge-join reports — for every kind of change, wherever it falls relative to batches and shards.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'
import {after, before, describe, it} from 'node:test'

import fc from 'fast-check'

import {entryLine} from '../../src/dataset/entry-lines.js'
import {loadManifest, serializeHeader} from '../../src/dataset/header.js'
import {createManifest} from '../../src/dataset/manifest.js'
import {mergeManifests} from '../../src/dataset/merge.js'
import {verifyDataset} from '../../src/dataset/verify.js'
import {walkDirectory} from '../../src/dataset/walk.js'
import {tempDir} from '../helpers/cli.js'
import {writeTree} from './helpers.js'

const tmp = tempDir('modelseal-ds-stream-')
after(() => tmp.cleanup())
let n = 0
const fresh = (name: string) => path.join(tmp.dir, `${name}-${n++}`)
const MiB = 1 << 20

/** A tree meant to break ordering and batching: names that sort around '/', NFD names on disk, astral and private-use characters, empty files and sizes at the workers' 1 MiB read buffer. */
function mixedTree(): Record<string, Buffer> {
  const files: Record<string, Buffer> = {
    'a.txt': Buffer.from('dot'),
    'a-b': Buffer.alloc(0),
    'a b': Buffer.from('space'),
    'a/b': Buffer.from('in a'),
    'a/b.c/d': Buffer.from('deep'),
    a0: Buffer.from('zero'),
    'x/empty': Buffer.alloc(0),
    'x/one': Buffer.from([7]),
    'big/under': Buffer.alloc(MiB - 1, 1),
    'big/exact': Buffer.alloc(MiB, 2),
    'big/over': Buffer.alloc(MiB + 1, 3),
    'caf\u0065\u0301/nfd-dir-name': Buffer.from('the directory name is NFD on disk'),
    're\u0301sume\u0301.txt': Buffer.from('NFD file name'),
    '\u{1F600}/smile': Buffer.from('astral'),
    '\uE000/private': Buffer.from('private use (sorts after astral in UTF-8, before it in UTF-16)'),
    'd1/d2/d3/d4/d5/leaf': Buffer.from('nested'),
  }
  for (let i = 0; i < 1300; i++) files[`many/f${String(i).padStart(4, '0')}`] = Buffer.from(`file ${i} `.repeat(i % 40))
  return files
}

/** The plain definition: canonical paths, sorted by UTF-8 bytes, lines, one gzip (level 6) per shard. */
function reference(files: Record<string, Buffer>, shardEntries: number) {
  const entries = Object.entries(files)
    .map(([p, b]) => ({path: p.normalize('NFC'), size: b.length, hex: createHash('sha256').update(b).digest('hex')}))
    .sort((x, y) => Buffer.compare(Buffer.from(x.path), Buffer.from(y.path)))
  const shards: Buffer[] = []
  for (let i = 0; i < entries.length; i += shardEntries) {
    const text = entries
      .slice(i, i + shardEntries)
      .map((e) => `{"path":${JSON.stringify(e.path)},"size":${e.size},"sha256":"${e.hex}"}\n`)
      .join('')
    shards.push(gzipSync(Buffer.from(text), {level: 6}))
  }
  const dirHash1 = createHash('sha256')
    .update(entries.map((e) => `${e.hex}  ${e.path}\n`).join(''))
    .digest('hex')
  return {entries, shards, dirHash1}
}

function shardFiles(out: string): Buffer[] {
  const dir = path.join(out, 'shards')
  return readdirSync(dir)
    .sort()
    .map((f) => readFileSync(path.join(dir, f)))
}

describe('directory manifests: streaming walk and worker-made lines', () => {
  const files = mixedTree()
  let data: string
  before(() => {
    data = writeTree(fresh('mixed'), files)
  })

  it('a shard line is the JSON of its entry, whatever the path (the no-escape shortcut included)', () => {
    const json = (p: string, size: number, hex: string) => `${JSON.stringify({path: p, size, sha256: hex})}\n`
    const hex = 'ab'.repeat(32)
    fc.assert(
      fc.property(fc.string({unit: 'binary', maxLength: 30}), fc.nat(), (p, size) => assert.equal(entryLine(p, size, 'sha256', hex), json(p, size, hex))),
      {numRuns: 3000},
    )
    for (const p of ['a"b', 'a\\b', 'tab\there', '\u{1F600}', '\ud800', 'caf\u00e9', '\u2028']) assert.equal(entryLine(p, 1, 'sha256', hex), json(p, 1, hex))
  })

  it('the walk lists files in path-byte order without a global sort', async () => {
    const listing = await walkDirectory(data)
    const sorted = [...listing.paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    assert.deepEqual(listing.paths, sorted)
    assert.equal(listing.paths.length, Object.keys(files).length)
    assert.equal(listing.diskNames.get('caf\u00e9/nfd-dir-name'), 'caf\u0065\u0301/nfd-dir-name')
  })

  for (const shardEntries of [1, 2, 4, 512, 1024, 65_536]) {
    it(`shards are byte for byte the plain definition's (${shardEntries} entries per shard, 1 and 2 workers)`, async () => {
      const ref = reference(files, shardEntries)
      for (const workers of [1, 2]) {
        const out = fresh('m')
        const {header} = await createManifest(data, {output: out, shardEntries, workers})
        const got = shardFiles(out)
        assert.equal(got.length, ref.shards.length)
        for (let i = 0; i < got.length; i++) assert.ok(got[i].equals(ref.shards[i]), `shard ${i} differs`)
        assert.equal(header.dirHash1, ref.dirHash1)
        assert.equal(header.stats.files, ref.entries.length)
        assert.equal(
          header.stats.bytes,
          ref.entries.reduce((a, e) => a + e.size, 0),
        )
      }
    })
  }

  it('the per-entry writer (merge of partial manifests) writes the same shards and root', async () => {
    const whole = fresh('whole')
    const {header} = await createManifest(data, {output: whole, shardEntries: 64, workers: 2})
    const parts: string[] = []
    for (let i = 0; i < 3; i++) {
      parts.push(fresh('part'))
      await createManifest(data, {output: parts[i], shardEntries: 64, partition: {index: i, count: 3}, workers: 2})
    }
    const merged = fresh('merged')
    const m = await mergeManifests(parts, {output: merged})
    assert.equal(m.header.root, header.root)
    assert.deepEqual(
      m.header.shards.map((s) => s.sha256),
      header.shards.map((s) => s.sha256),
    )
  })

  it('two names with the same NFC form are refused, a file and a directory alike', async () => {
    for (const [x, y] of [
      ['\u00e9', '\u0065\u0301'],
      ['\u00e9', '\u0065\u0301/inside'],
    ]) {
      const dir = writeTree(fresh('nfc'), {[x]: 'one', [y]: 'two', other: 'fine'})
      await assert.rejects(createManifest(dir, {output: fresh('m'), workers: 1}), (err: Error & {code?: string}) => {
        assert.equal(err.code, 'E_DATASET_UNSAFE_ENTRY')
        assert.match(err.message, /same NFC form/)
        return true
      })
    }
  })

  it('a problem found late in the walk leaves no shard behind (and is the error reported)', async () => {
    const tree: Record<string, string> = {}
    for (let i = 0; i < 40; i++) tree[`a/f${i}`] = `file ${i}`
    const dir = writeTree(fresh('late'), tree)
    mkdirSync(path.join(dir, 'z'))
    execFileSync('mkfifo', [path.join(dir, 'z', 'fifo')])
    const out = fresh('m')
    await assert.rejects(createManifest(dir, {output: out, shardEntries: 1, workers: 2}), (err: Error & {code?: string}) => {
      assert.equal(err.code, 'E_DATASET_UNSAFE_ENTRY')
      return true
    })
    assert.equal(existsSync(path.join(out, 'shards')), false)
    assert.equal(existsSync(path.join(out, 'manifest.json')), false)
  })
})

describe('dataset verify: shard-by-shard comparison against the exact merge-join', () => {
  const base: Record<string, string> = {}
  for (let i = 0; i < 1100; i++) base[`d${i % 3}/f${String(i).padStart(4, '0')}.txt`] = `content ${i}\n`

  type Mutation = [string, (dir: string) => void]
  const at = (dir: string, p: string) => path.join(dir, ...p.split('/'))
  const mutations: Mutation[] = [
    ['nothing changed', () => {}],
    ['one file changed, same size (first shard)', (d) => writeFileSync(at(d, 'd0/f0003.txt'), 'CONTENT 3\n')],
    ['one file changed, same size (last file)', (d) => writeFileSync(at(d, 'd2/f1097.txt'), 'CONTENT 1097\n')],
    ['one file grew', (d) => writeFileSync(at(d, 'd1/f0500.txt'), 'content 500 and more\n')],
    ['a file added first', (d) => writeFileSync(at(d, '0first.txt'), 'new')],
    ['a file added in the middle', (d) => writeFileSync(at(d, 'd1/f0500b.txt'), 'new')],
    ['a file added last', (d) => writeFileSync(at(d, 'zz.txt'), 'new')],
    ['the first file removed', (d) => rmSync(at(d, 'd0/f0000.txt'))],
    ['a middle file removed', (d) => rmSync(at(d, 'd1/f0502.txt'))],
    ['the last file removed', (d) => rmSync(at(d, 'd2/f1097.txt'))],
    ['a file renamed', (d) => renameSync(at(d, 'd0/f0006.txt'), at(d, 'd0/g0006.txt'))],
    [
      'several changes of every kind',
      (d) => {
        writeFileSync(at(d, 'd0/f0009.txt'), 'changed!\n')
        rmSync(at(d, 'd1/f0001.txt'))
        writeFileSync(at(d, 'd2/new.txt'), 'new')
        renameSync(at(d, 'd2/f0002.txt'), at(d, 'd1/moved.txt'))
      },
    ],
    [
      'every file removed',
      (d) => {
        rmSync(d, {recursive: true, force: true})
        mkdirSync(d)
      },
    ],
  ]

  for (const shardEntries of [4, 512, 65_536]) {
    it(`reports what the exact comparison reports (${shardEntries} entries per shard)`, async () => {
      const orig = writeTree(fresh('v'), base)
      const manifest = fresh('vm')
      const {header} = await createManifest(orig, {output: manifest, shardEntries, workers: 2})
      for (const [what, mutate] of mutations) {
        const dir = fresh('copy')
        cpSync(orig, dir, {recursive: true})
        mutate(dir)
        const fast = await verifyDataset(dir, {manifest, workers: 2})
        // A selection of every file takes the exact merge-join over parsed entries.
        const exact = await verifyDataset(dir, {manifest, workers: 2, paths: ['**'], allowEmptySelection: true})
        assert.deepEqual(fast.changes, exact.changes, what)
        assert.deepEqual(fast.checked, exact.checked, what)
        assert.equal(fast.ok, exact.ok, what)
        assert.equal(fast.coverage, 'full')
        assert.equal(fast.ok, what === 'nothing changed', what)
        if (fast.ok) assert.equal(fast.actualRoot, header.root)
        else assert.notEqual(fast.actualRoot, header.root, what)
      }
    })
  }

  it('a shard that matches its digest but is malformed is still refused (exit 3), whatever the files', async () => {
    const data = writeTree(fresh('mal'), {'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c'})
    const manifest = fresh('malm')
    await createManifest(data, {output: manifest, workers: 1})
    // Swap two lines and re-record the shard's digest in the (unsigned) header.
    const shardPath = path.join(manifest, 'shards', '00000.jsonl.gz')
    const lines = gunzipSync(readFileSync(shardPath)).toString('utf8').split('\n')
    ;[lines[0], lines[1]] = [lines[1], lines[0]]
    const body = gzipSync(Buffer.from(lines.join('\n')))
    writeFileSync(shardPath, body)
    const {header} = await loadManifest(manifest)
    header.shards[0].sha256 = createHash('sha256').update(body).digest('hex')
    writeFileSync(path.join(manifest, 'manifest.json'), serializeHeader(header))
    await assert.rejects(verifyDataset(data, {manifest, workers: 2}), (err: Error & {code?: string}) => {
      assert.equal(err.code, 'E_DATASET_MANIFEST_MALFORMED')
      return true
    })
  })

  it('a shard that decompresses to far more than the files it must equal is stopped and refused', async () => {
    const data = writeTree(fresh('bomb'), {'a.txt': 'a'})
    const manifest = fresh('bombm')
    await createManifest(data, {output: manifest, workers: 1})
    const shardPath = path.join(manifest, 'shards', '00000.jsonl.gz')
    const line = gunzipSync(readFileSync(shardPath))
    const body = gzipSync(Buffer.concat([line, Buffer.alloc(64 << 20, 0x20)]))
    writeFileSync(shardPath, body)
    const {header} = await loadManifest(manifest)
    header.shards[0].sha256 = createHash('sha256').update(body).digest('hex')
    writeFileSync(path.join(manifest, 'manifest.json'), serializeHeader(header))
    await assert.rejects(verifyDataset(data, {manifest, workers: 1}), (err: Error & {code?: string}) => {
      assert.equal(err.code, 'E_DATASET_MANIFEST_MALFORMED')
      return true
    })
  })
})
