// Dataset verification fails closed: checking nothing is not a pass, every entry of a directory
// of tar shards is read or refused, manifest shards are never read through a link or a FIFO,
// a gzip bomb of a shard is stopped by its line count, merge refuses partials of another
// dataset, skipped links are announced, and names print escaped.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {gzipSync} from 'node:zlib'
import {after, before, describe, it} from 'node:test'

import {createManifest} from '../../src/dataset/manifest.js'
import {mergeManifests} from '../../src/dataset/merge.js'
import {readAheadLimit} from '../../src/dataset/shard-match.js'
import {verifyDataset} from '../../src/dataset/verify.js'
import {assertCleanFailure, parseJson, runCli, tempDir} from '../helpers/cli.js'
import {writeTree} from './helpers.js'

const tmp = tempDir('modelseal-ds-failclosed-')
after(() => tmp.cleanup())
const at = (p: string) => path.join(tmp.dir, p)

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: Error & {code?: string}) => {
    assert.equal(err.code, code, err.message)
    return true
  })
}

describe('dataset verification fails closed', () => {
  let data: string
  let manifest: string
  before(async () => {
    data = writeTree(at('data'), {'images/a.txt': 'hello\n', 'images/b.txt': 'world\n', 'labels/train.csv': 'cat,1\n'})
    manifest = at('data.manifest')
    await createManifest(data, {output: manifest, name: 'acme/d', workers: 1})
  })

  it('a 15 TiB sparse file replacing a signed file, or added, fails at once without being read', async () => {
    const copy = at('sparse-data')
    cpSync(data, copy, {recursive: true})
    truncateSync(path.join(copy, 'images', 'a.txt'), 15 * 2 ** 40)
    writeFileSync(path.join(copy, 'huge.bin'), '')
    truncateSync(path.join(copy, 'huge.bin'), 15 * 2 ** 40)
    // Hashing either file would take hours; the timeout makes a regression fail, not hang.
    const r = await runCli(['dataset', 'verify', copy, '--manifest', manifest, '--unsigned', '--json'], {timeoutMs: 60_000})
    assert.equal(r.code, 1, r.stderr)
    const v = parseJson(r)
    assert.equal(v.ok, false)
    assert.equal(v.changes.modified.count, 1)
    assert.equal(v.changes.added.count, 1)
  })

  it('a --paths glob or a sample that selects nothing fails (exit 1) unless --allow-empty-selection', async () => {
    const [none, allowed, sample] = await Promise.all([
      runCli(['dataset', 'verify', data, '--manifest', manifest, '--unsigned', '--paths', 'videos/**', '--json']),
      runCli(['dataset', 'verify', data, '--manifest', manifest, '--unsigned', '--paths', 'videos/**', '--allow-empty-selection', '--json']),
      runCli(['dataset', 'verify', data, '--manifest', manifest, '--unsigned', '--sample', '0.0001', '--seed', '1']),
    ])
    assert.equal(none.code, 1, none.stdout + none.stderr)
    const j = parseJson(none)
    assert.equal(j.result, 'failed')
    assert.match(j.failures[0], /no file matched the selection/)
    assert.equal(allowed.code, 0, allowed.stderr)
    assert.equal(parseJson(allowed).result, 'unsigned')
    assert.equal(sample.code, 1, sample.stdout + sample.stderr)
    assert.match(sample.stdout, /^FAILED: .*\n[^]*failed: no file matched the selection \(--sample\)/)
  })

  it('a directory of tar shards refuses symlinks, subdirectories and other names instead of skipping them', async () => {
    const dir = at('shards')
    mkdirSync(dir)
    spawnSync('tar', ['-cf', path.join(dir, 'a.tar'), '-C', data, 'images'])
    const m = at('shards.manifest')
    await createManifest(dir, {output: m, workers: 1})
    for (const [what, make] of [
      ['symlink', () => symlinkSync(path.join(dir, 'a.tar'), path.join(dir, 'b.tar'))],
      ['upper case', () => writeFileSync(path.join(dir, 'B.TAR'), readFileSync(path.join(dir, 'a.tar')))],
      ['zstd name', () => writeFileSync(path.join(dir, 'c.tar.zst'), 'x')],
      ['subdirectory', () => mkdirSync(path.join(dir, 'more.tar'))],
    ] as const) {
      make()
      await rejectsWith(verifyDataset(dir, {manifest: m, workers: 1}), 'E_DATASET_UNSAFE_ENTRY')
      for (const n of ['b.tar', 'B.TAR', 'c.tar.zst', 'more.tar']) rmSync(path.join(dir, n), {recursive: true, force: true})
      assert.equal((await verifyDataset(dir, {manifest: m, workers: 1})).ok, true, what)
    }
  })

  it('a manifest shard that is a symlink or a FIFO is refused (exit 3), never followed or waited on', async () => {
    const m = at('copy.manifest')
    await createManifest(data, {output: m, workers: 1})
    const shard = path.join(m, 'shards', '00000.jsonl.gz')
    renameSync(shard, at('elsewhere.gz'))
    symlinkSync(at('elsewhere.gz'), shard)
    await rejectsWith(verifyDataset(data, {manifest: m, workers: 1}), 'E_DATASET_MANIFEST_MALFORMED')
    rmSync(shard)
    if (spawnSync('mkfifo', [shard]).status === 0) {
      const v = await runCli(['dataset', 'verify', data, '--manifest', m, '--unsigned'], {timeoutMs: 30_000})
      assert.equal(v.code, 3, v.stdout + v.stderr)
      assertCleanFailure(v)
    }
  })

  it('a shard too large to read ahead of its files is decompressed after them: same answers', async () => {
    const tree: Record<string, string> = {}
    for (let i = 0; i < 40; i++) tree[`d/f${String(i).padStart(2, '0')}`] = `file ${i}\n`
    const dir = writeTree(at('ahead'), tree)
    const m = at('ahead.manifest')
    await createManifest(dir, {output: m, workers: 2, shardEntries: 16})
    const saved = readAheadLimit.bytes
    try {
      for (const limit of [saved, 1]) {
        readAheadLimit.bytes = limit
        writeFileSync(path.join(dir, 'd/f39'), 'file 39\n')
        assert.equal((await verifyDataset(dir, {manifest: m, workers: 2})).ok, true, `limit ${limit}`)
        // a change in the last shard is still found
        writeFileSync(path.join(dir, 'd/f39'), 'changed\n')
        const r = await verifyDataset(dir, {manifest: m, workers: 2})
        assert.equal(r.ok, false, `limit ${limit}`)
        assert.deepEqual(
          r.changes?.modified.items.map((x) => x.path),
          ['d/f39'],
        )
      }
    } finally {
      readAheadLimit.bytes = saved
    }
  })

  it('a small shard that inflates to gigabytes stops at the header line count (exit 3)', async () => {
    const m = at('bomb.manifest')
    await createManifest(data, {output: m, workers: 1})
    const line = `${JSON.stringify({path: 'images/a.txt', size: 6, sha256: '0'.repeat(64)})}\n`
    // ~200 MB of lines in well under 1 MB of gzip.
    const bomb = gzipSync(Buffer.from(line.repeat(2_500_000)), {level: 9})
    const shard = path.join(m, 'shards', '00000.jsonl.gz')
    writeFileSync(shard, bomb)
    const header = JSON.parse(readFileSync(path.join(m, 'manifest.json'), 'utf8'))
    header.shards[0].sha256 = (await import('node:crypto')).createHash('sha256').update(bomb).digest('hex')
    // A consistent header claiming the most lines a shard may hold: a decompressor bounded by
    // lines × 16 KiB would allow 4 GiB.
    header.shardEntries = 262_144
    header.shards[0].files = 262_144
    header.stats.files = 262_144
    writeFileSync(path.join(m, 'manifest.json'), JSON.stringify(header))
    const before = process.memoryUsage().rss
    await rejectsWith(verifyDataset(data, {manifest: m, workers: 1}), 'E_DATASET_MANIFEST_MALFORMED')
    assert.ok(process.memoryUsage().rss - before < 150 * 2 ** 20, 'the shard was decompressed whole')
  })

  it('merge refuses a partial of another dataset that carries a copied listingDigest', async () => {
    const other = writeTree(at('other'), {'images/a.txt': 'evil\n', 'images/z.txt': 'x\n', 'labels/train.csv': 'dog,0\n'})
    const mine = [at('p0'), at('p1')]
    const theirs = [at('q0'), at('q1')]
    for (let i = 0; i < 2; i++) {
      await createManifest(data, {output: mine[i], name: 'acme/d', partition: {index: i, count: 2}, workers: 1})
      await createManifest(other, {output: theirs[i], name: 'acme/d', partition: {index: i, count: 2}, workers: 1})
    }
    const mineHeader = JSON.parse(readFileSync(path.join(mine[1], 'manifest.json'), 'utf8'))
    const forged = JSON.parse(readFileSync(path.join(theirs[1], 'manifest.json'), 'utf8'))
    forged.partition.listingDigest = mineHeader.partition.listingDigest
    writeFileSync(path.join(theirs[1], 'manifest.json'), JSON.stringify(forged))
    await rejectsWith(mergeManifests([mine[0], theirs[1]], {output: at('merged-x')}), 'E_DATASET_MERGE_MISMATCH')
    const ok = await mergeManifests(mine, {output: at('merged-ok')})
    assert.equal(ok.header.stats.files, 3)
  })

  it('verify --allow-links warns about skipped link members on stderr', async () => {
    const tarDir = at('linked')
    writeTree(tarDir, {'a.txt': 'hello\n'})
    symlinkSync('a.txt', path.join(tarDir, 'b.txt'))
    const archive = at('linked.tar')
    spawnSync('tar', ['-cf', archive, '-C', tarDir, 'a.txt', 'b.txt'])
    const m = at('linked.manifest')
    await createManifest(archive, {output: m, allowLinks: true, workers: 1})
    const v = await runCli(['dataset', 'verify', archive, '--manifest', m, '--unsigned', '--allow-links'])
    assert.equal(v.code, 0, v.stderr)
    assert.match(v.stderr, /WARNING: 1 link member skipped \(--allow-links\), not verified: b\.txt/)
  })

  it('unsafe names are escaped in messages (no raw newline, NFD shown apart from NFC)', async () => {
    const dir = writeTree(at('names'), {'ok.txt': 'x'})
    writeFileSync(path.join(dir, 'a\nVERIFIED: dataset'), 'x')
    writeFileSync(path.join(dir, 'cafe\u0301.txt'), 'x')
    const v = await runCli(['dataset', 'manifest', dir, '--output', at('names.manifest')])
    assert.equal(v.code, 3)
    assert.ok(!v.stderr.split('\n').some((l) => l.startsWith('VERIFIED')), v.stderr)
    assert.match(v.stderr, /a\\u\{a\}VERIFIED|cafe\\u\{301\}\.txt/)
  })
})
