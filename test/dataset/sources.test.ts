import assert from 'node:assert/strict'
import {cpSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {createManifest} from '../../src/dataset/manifest.js'
import {mergeManifests} from '../../src/dataset/merge.js'
import {verifyDataset} from '../../src/dataset/verify.js'
import {ModelsealError} from '../../src/errors.js'
import {tempDir} from '../helpers/cli.js'
import {fixtures, fixtureTree, loadVectors, writeTree} from './helpers.js'

const tmp = tempDir('modelseal-ds-src-')
after(() => tmp.cleanup())
let n = 0
const fresh = (name: string) => path.join(tmp.dir, `${name}-${n++}`)
const treeRoot = loadVectors().find((v) => v.name === 'fixture tree')!.expected.root

async function rejectsWith(fn: () => Promise<unknown>, code: string, exitCode = 3): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof ModelsealError, String(err))
    assert.equal(err.code, code, err.message)
    assert.equal(err.exitCode, exitCode)
    return true
  })
}

describe('sources give the same root', () => {
  for (const [label, p, format] of [
    ['directory', fixtureTree, 'dir'],
    ['tar (./-prefixed names)', path.join(fixtures, 'tree.tar'), 'tar'],
    ['tar.gz', path.join(fixtures, 'tree.tar.gz'), 'tar'],
    ['directory of tar shards (.tar and .tar.gz)', path.join(fixtures, 'tree-shards'), 'tar-shards'],
  ] as const) {
    it(label, async () => {
      const {header} = await createManifest(p, {output: fresh('m'), workers: 1})
      assert.equal(header.root, treeRoot)
      assert.equal(header.source.format, format)
    })
  }

  it('a tar source with more entries than one sort run (external sort) gives the directory root', async () => {
    const {EntrySorter} = await import('../../src/dataset/sorter.js')
    const s = new EntrySorter(3)
    const names = ['e', 'a/b', 'a-b', 'c', '\u{1F600}', 'b', '\uE000', 'd']
    for (const p of names) await s.add({path: p, size: 1, digest: '0'.repeat(64)})
    const out: string[] = []
    for await (const e of s.sorted()) out.push(e.path)
    assert.deepEqual(
      out,
      [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
    )
  })
})

describe('unsafe entries are refused', () => {
  const hostile = (f: string) => path.join(fixtures, 'hostile', f)
  for (const f of [
    'traversal.tar',
    'absolute.tar',
    'nested-traversal.tar',
    'symlink.tar',
    'hardlink.tar',
    'device.tar',
    'fifo.tar',
    'duplicate.tar',
    'backslash.tar',
    'non-utf8.tar',
  ]) {
    it(f, async () => {
      await rejectsWith(() => createManifest(hostile(f), {output: fresh('m')}), 'E_DATASET_UNSAFE_ENTRY')
    })
  }

  it('--allow-links skips link members (and still refuses traversal and devices)', async () => {
    const {header, skipped} = await createManifest(hostile('symlink.tar'), {output: fresh('m'), allowLinks: true})
    assert.equal(header.stats.files, 1)
    assert.deepEqual(skipped, ['link'])
    await rejectsWith(() => createManifest(hostile('traversal.tar'), {output: fresh('m'), allowLinks: true}), 'E_DATASET_UNSAFE_ENTRY')
    await rejectsWith(() => createManifest(hostile('device.tar'), {output: fresh('m'), allowLinks: true}), 'E_DATASET_UNSAFE_ENTRY')
  })

  for (const f of ['truncated-body.tar', 'truncated-boundary.tar', 'truncated.tar.gz']) {
    it(`truncated archive: ${f}`, async () => {
      await rejectsWith(() => createManifest(hostile(f), {output: fresh('m')}), 'E_DATASET_TAR_MALFORMED')
    })
  }

  it('directory symlinks: refused by default; with --allow-links followed inside, refused outside', async () => {
    const dir = writeTree(fresh('d'), {'a.txt': 'a'})
    symlinkSync('a.txt', path.join(dir, 'in-link'))
    await rejectsWith(() => createManifest(dir, {output: fresh('m')}), 'E_DATASET_UNSAFE_ENTRY')
    const {header} = await createManifest(dir, {output: fresh('m'), allowLinks: true, workers: 1})
    assert.equal(header.stats.files, 2)
    symlinkSync('/etc/hostname', path.join(dir, 'out-link'))
    await rejectsWith(() => createManifest(dir, {output: fresh('m'), allowLinks: true}), 'E_DATASET_UNSAFE_ENTRY')
  })

  it('directory names that are not UTF-8 are refused', async () => {
    const dir = writeTree(fresh('d'), {'ok.txt': 'a'})
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/bad`), Buffer.from([0xff]), Buffer.from('.txt')]), 'x')
    await rejectsWith(() => createManifest(dir, {output: fresh('m')}), 'E_DATASET_UNSAFE_ENTRY')
  })

  it('refuses an output directory inside the dataset', async () => {
    const dir = writeTree(fresh('d'), {'a.txt': 'a'})
    await rejectsWith(() => createManifest(dir, {output: path.join(dir, 'm')}), 'E_DATASET_OUTPUT_INSIDE', 2)
  })
})

describe('verify detects every kind of change', () => {
  const base = {'a.txt': 'alpha\n', 'b.txt': 'bravo\n', 'c/d.txt': 'delta\n', 'c/e.txt': 'echo\n'}
  async function changed(mutate: (dir: string) => void) {
    const dir = writeTree(fresh('d'), base)
    const out = fresh('m')
    await createManifest(dir, {output: out, workers: 1})
    mutate(dir)
    return verifyDataset(dir, {manifest: out, workers: 1})
  }

  it('no change: ok, full coverage, actual root equals the manifest root', async () => {
    const r = await changed(() => undefined)
    assert.equal(r.ok, true)
    assert.equal(r.result, 'unsigned')
    assert.equal(r.coverage, 'full')
    assert.equal(r.actualRoot, r.root)
  })

  it('content (same size)', async () => {
    const r = await changed((d) => writeFileSync(path.join(d, 'a.txt'), 'ALPHA\n'))
    assert.equal(r.result, 'failed')
    assert.deepEqual(
      r.changes!.modified.items.map((i) => [i.path, i.reason]),
      [['a.txt', 'content']],
    )
  })

  it('size', async () => {
    const r = await changed((d) => writeFileSync(path.join(d, 'a.txt'), 'alpha!\n'))
    assert.deepEqual(
      r.changes!.modified.items.map((i) => [i.path, i.reason]),
      [['a.txt', 'size']],
    )
  })

  it('rename', async () => {
    const r = await changed((d) => renameSync(path.join(d, 'c/d.txt'), path.join(d, 'c/z.txt')))
    assert.deepEqual(r.changes!.renamed.items, [{from: 'c/d.txt', to: 'c/z.txt'}])
    assert.equal(r.changes!.added.count + r.changes!.removed.count, 0)
  })

  it('add and remove', async () => {
    const r = await changed((d) => {
      writeFileSync(path.join(d, 'new.txt'), 'new\n')
      rmSync(path.join(d, 'b.txt'))
    })
    assert.deepEqual(r.changes!.added.paths, ['new.txt'])
    assert.deepEqual(r.changes!.removed.paths, ['b.txt'])
  })

  it('swap of two files', async () => {
    const r = await changed((d) => {
      writeFileSync(path.join(d, 'a.txt'), 'bravo\n')
      writeFileSync(path.join(d, 'b.txt'), 'alpha\n')
    })
    assert.deepEqual(
      r.changes!.modified.items.map((i) => i.path),
      ['a.txt', 'b.txt'],
    )
    assert.notEqual(r.actualRoot, r.root)
  })

  it('lists are bounded, counts exact', async () => {
    const dir = writeTree(fresh('d'), base)
    const out = fresh('m')
    await createManifest(dir, {output: out, workers: 1})
    for (let i = 0; i < 7; i++) writeFileSync(path.join(dir, `extra-${i}`), `x${i}`)
    const r = await verifyDataset(dir, {manifest: out, listLimit: 3, workers: 1})
    assert.equal(r.changes!.added.count, 7)
    assert.equal(r.changes!.added.paths.length, 3)
  })

  it('--paths and --sample check only their selection and report partial', async () => {
    const files = Object.fromEntries(Array.from({length: 60}, (_, i) => [`img/${String(i).padStart(3, '0')}.txt`, `v${i}`]))
    const dir = writeTree(fresh('d'), {...files, 'meta/x.json': '{}'})
    const out = fresh('m')
    await createManifest(dir, {output: out, workers: 1})
    writeFileSync(path.join(dir, 'meta/x.json'), '{"changed":1}')
    const p = await verifyDataset(dir, {manifest: out, paths: ['img/**'], workers: 1})
    assert.equal(p.ok, true)
    assert.equal(p.result, 'unsigned')
    assert.equal(p.coverage, 'partial')
    assert.equal(p.checked!.expected, 60)
    for (let i = 0; i < 60; i += 2) writeFileSync(path.join(dir, `img/${String(i).padStart(3, '0')}.txt`), 'changed')
    const s1 = await verifyDataset(dir, {manifest: out, sample: {rate: 0.3, seed: 'abc'}, workers: 1})
    const s2 = await verifyDataset(dir, {manifest: out, sample: {rate: 0.3, seed: 'abc'}, workers: 1})
    const s3 = await verifyDataset(dir, {manifest: out, sample: {rate: 0.3, seed: 'xyz'}, workers: 1})
    assert.equal(s1.mode, 'sample')
    assert.equal(s1.coverage, 'partial')
    assert.deepEqual(s1.checked, s2.checked)
    assert.deepEqual(s1.changes, s2.changes)
    assert.notDeepEqual([s1.checked, s1.changes], [s3.checked, s3.changes])
    assert.ok(s1.checked!.expected > 5 && s1.checked!.expected < 40)
  })
})

describe('partitions', () => {
  it('tar-shard partitions merge into the single-run root; missing or foreign partials are refused', async () => {
    const src = path.join(fixtures, 'tree-shards')
    const parts: string[] = []
    for (let i = 0; i < 2; i++) {
      const out = fresh(`p${i}`)
      await createManifest(src, {output: out, partition: {index: i, count: 2}, shardEntries: 2})
      parts.push(out)
    }
    const merged = await mergeManifests(parts, {output: fresh('merged')})
    assert.equal(merged.header.root, treeRoot)
    assert.equal(merged.header.partition, undefined)
    await rejectsWith(() => mergeManifests([parts[0]], {output: fresh('x')}), 'E_DATASET_MERGE_MISMATCH')
    await rejectsWith(() => mergeManifests([parts[0], parts[0]], {output: fresh('x')}), 'E_DATASET_MERGE_MISMATCH')
    // A worker that saw a different dataset (a shard added between runs).
    const changed = fresh('shards')
    cpSync(src, changed, {recursive: true})
    writeFileSync(path.join(changed, 'shard-9.tar'), Buffer.alloc(1024))
    const other = fresh('p1b')
    await createManifest(changed, {output: other, partition: {index: 1, count: 2}, shardEntries: 2, format: 'tar-shards'})
    await rejectsWith(() => mergeManifests([parts[0], other], {output: fresh('x')}), 'E_DATASET_MERGE_MISMATCH')
  })

  it('a single tar cannot be partitioned', async () => {
    await rejectsWith(
      () => createManifest(path.join(fixtures, 'tree.tar'), {output: fresh('m'), partition: {index: 0, count: 2}}),
      'E_DATASET_PARTITION_UNSUPPORTED',
      2,
    )
  })

  it('empty partitions are fine (more workers than files)', async () => {
    const dir = writeTree(fresh('d'), {'only.txt': 'x'})
    const parts: string[] = []
    for (let i = 0; i < 3; i++) {
      const out = fresh(`p${i}`)
      await createManifest(dir, {output: out, partition: {index: i, count: 3}, workers: 1})
      parts.push(out)
    }
    const single = await createManifest(dir, {output: fresh('s'), workers: 1})
    const merged = await mergeManifests(parts, {output: fresh('merged')})
    assert.equal(merged.header.root, single.header.root)
    mkdirSync(fresh('unused'))
  })
})

describe('options', () => {
  it('multi-chunk files hash correctly on the worker pool, and blake3 too', async () => {
    const big = Buffer.alloc(2_500_000 + 17)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
    const files: Record<string, Buffer> = {'big.bin': big}
    for (let i = 0; i < 600; i++) files[`small/${i}.txt`] = Buffer.from(`file ${i}`)
    const dir = writeTree(fresh('d'), files)
    const out = fresh('m')
    await createManifest(dir, {output: out, workers: 2})
    const {manifestEntries} = await import('../../src/dataset/reader.js')
    const {loadManifest} = await import('../../src/dataset/header.js')
    const {createHash} = await import('node:crypto')
    const m = await loadManifest(out)
    let n = 0
    for await (const e of manifestEntries(m.dir, m.header)) {
      assert.equal(e.digest, createHash('sha256').update(files[e.path]).digest('hex'), e.path)
      assert.equal(e.size, files[e.path].length)
      n++
    }
    assert.equal(n, 601)
    const {createBLAKE3} = await import('hash-wasm')
    const b3 = await createManifest(dir, {output: fresh('m'), algorithm: 'blake3', workers: 2})
    const bm = await loadManifest(path.join(path.dirname(b3.headerPath)))
    for await (const e of manifestEntries(bm.dir, bm.header)) {
      if (e.path !== 'big.bin') continue
      const h = await createBLAKE3(256)
      h.init()
      h.update(big)
      assert.equal(e.digest, h.digest('hex'))
    }
  })

  it('--mode metadata checks shards only and needs no dataset path', async () => {
    const out = fresh('m')
    await createManifest(fixtureTree, {output: out, shardEntries: 2, workers: 1})
    const r = await verifyDataset(undefined, {manifest: out, mode: 'metadata'})
    assert.equal(r.ok, true)
    assert.equal(r.coverage, 'metadata')
    assert.equal(r.manifest.shardsChecked, true)
    assert.equal(r.checked, undefined)
    await rejectsWith(() => verifyDataset(undefined, {manifest: out}), 'E_USAGE', 2)
  })

  it('--partition must be I/N with I < N', async () => {
    const {parsePartition} = await import('../../src/dataset/manifest.js')
    assert.deepEqual(parsePartition('2/3'), {index: 2, count: 3})
    for (const bad of ['3/3', '1/0', '-1/2', 'a/b', '1', '1/2/3'])
      assert.throws(
        () => parsePartition(bad),
        (e: unknown) => e instanceof ModelsealError && e.exitCode === 2,
      )
  })

  it('blake3 manifests verify and have no dirHash1', async () => {
    const out = fresh('m')
    const {header} = await createManifest(fixtureTree, {output: out, algorithm: 'blake3', workers: 1})
    assert.equal(header.hash.file, 'blake3')
    assert.equal(header.dirHash1, undefined)
    assert.notEqual(header.root, treeRoot)
    const r = await verifyDataset(path.join(fixtures, 'tree.tar.gz'), {manifest: out, format: 'tar'})
    assert.equal(r.ok, true, JSON.stringify(r.changes))
  })
})
