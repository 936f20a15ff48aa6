import assert from 'node:assert/strict'
import {generateKeyPairSync} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {createManifest} from '../../src/dataset/manifest.js'
import {assertCleanFailure, parseJson, runCli as run, tempDir} from '../helpers/cli.js'
import {fixtures, fixtureTree, loadVectors, writeTree} from './helpers.js'

// CLI runs are slow (a process each): every test here checks exit codes, JSON shapes and the
// multi-process paths; the library tests cover the rest.
// A generous timeout: CI machines (and shared dev machines) can be slow to start processes.
const runCli = (args: string[]) => run(args, {timeoutMs: 240_000})
const tmp = tempDir('modelseal-ds-cli-')
after(() => tmp.cleanup())
const at = (p: string) => path.join(tmp.dir, p)
const treeRoot = loadVectors().find((v) => v.name === 'fixture tree')!.expected.root

describe('dataset commands', () => {
  let manifest: string
  before(async () => {
    manifest = at('tree.manifest')
    const [m, k] = await Promise.all([
      runCli(['dataset', 'manifest', fixtureTree, '--output', manifest, '--name', 'acme/tiny', '--version', '1.0', '--shard-entries', '4', '--json']),
      runCli(['keys', 'generate', '--private-key', at('k.pem'), '--public-key', at('k.pub')]),
    ])
    assert.equal(m.code, 0, m.stderr)
    assert.equal(k.code, 0, k.stderr)
    const h = parseJson(m)
    assert.equal(h.root, treeRoot)
    assert.deepEqual(Object.keys(h), ['manifestVersion', 'dataset', 'created', 'hash', 'source', 'stats', 'shardEntries', 'root', 'dirHash1', 'shards'])
    assert.deepEqual(h.dataset, {name: 'acme/tiny', version: '1.0'})
    assert.equal(h.shards.length, 2)
  })

  it('manifest --json of tar shards (.tar and .tar.gz) prints the directory root', async () => {
    const b = await runCli(['dataset', 'manifest', path.join(fixtures, 'tree-shards'), '--output', at('shards'), '--json'])
    assert.equal(parseJson(b).root, treeRoot)
    assert.equal(parseJson(b).source.format, 'tar-shards')
  })

  it('sign with a key, verify (0), wrong key (1), tampered shard (1), edited header (1)', async () => {
    const s = await runCli(['dataset', 'sign', manifest, '--private-key', at('k.pem'), '--json'])
    assert.equal(s.code, 0, s.stderr)
    const sj = parseJson(s)
    assert.deepEqual(Object.keys(sj), ['signature', 'method', 'dataset', 'uri', 'root', 'files', 'bytes', 'predicateType'])
    assert.equal(sj.uri, 'dataset://acme/tiny@1.0')
    const bundle = JSON.parse(readFileSync(sj.signature, 'utf8'))
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'))
    assert.equal(statement.predicateType, 'https://modelseal.dev/dataset-manifest/v1')
    assert.deepEqual(statement.subject[0].digest['dsm1-root'], treeRoot)

    const other = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    writeFileSync(at('other.pub'), other.publicKey.export({type: 'spki', format: 'pem'}))
    const [ok, wrong] = await Promise.all([
      runCli(['dataset', 'verify', fixtureTree, '--manifest', manifest, '--public-key', at('k.pub'), '--json']),
      runCli(['dataset', 'verify', fixtureTree, '--manifest', manifest, '--public-key', at('other.pub'), '--json']),
    ])
    assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    const r = parseJson(ok)
    assert.equal(r.result, 'verified')
    assert.equal(r.signature.status, 'verified')
    assert.equal(r.signature.signer.method, 'key')
    assert.deepEqual(r.checked, {expected: 8, actual: 8, matched: 8})
    for (const k of [
      'dataset',
      'uri',
      'root',
      'algorithm',
      'files',
      'bytes',
      'signature',
      'mode',
      'coverage',
      'manifest',
      'checked',
      'changes',
      'actualRoot',
      'ok',
      'result',
    ])
      assert.ok(k in r, k)
    assert.equal(wrong.code, 1)
    assert.equal(parseJson(wrong).error.exitCode, 1)

    // Tampering with a shard (re-gzipped, so it still parses) is a verification failure.
    const copy = at('tampered.manifest')
    const {cpSync} = await import('node:fs')
    cpSync(manifest, copy, {recursive: true})
    writeFileSync(path.join(copy, 'shards/00001.jsonl.gz'), readFileSync(path.join(copy, 'shards/00000.jsonl.gz')))
    const edited = at('edited.manifest')
    cpSync(manifest, edited, {recursive: true})
    const hdr = JSON.parse(readFileSync(path.join(edited, 'manifest.json'), 'utf8'))
    hdr.dataset.version = '2.0'
    writeFileSync(path.join(edited, 'manifest.json'), JSON.stringify(hdr))
    const [t, e] = await Promise.all([
      runCli(['dataset', 'verify', fixtureTree, '--manifest', copy, '--public-key', at('k.pub'), '--json']),
      runCli(['dataset', 'verify', fixtureTree, '--manifest', edited, '--public-key', at('k.pub')]),
    ])
    assert.equal(t.code, 1)
    assert.match(parseJson(t).manifest.problems[0], /SHA-256/)
    assert.equal(e.code, 1)
    assert.match(e.stderr, /E_DATASET_HEADER_MISMATCH/)
    assertCleanFailure(e)
  })

  it('verify reports changes with exit 1; --unsigned warns loudly; sample is partial', async () => {
    const dir = writeTree(at('changed'), {'a.txt': 'alpha\n', 'b.txt': 'bravo\n'})
    const m = at('changed.manifest')
    await createManifest(dir, {output: m, workers: 1})
    writeFileSync(path.join(dir, 'a.txt'), 'ALPHA\n')
    writeFileSync(path.join(dir, 'c.txt'), 'new\n')
    const [full, sample] = await Promise.all([
      runCli(['dataset', 'verify', dir, '--manifest', m, '--unsigned', '--json']),
      runCli(['dataset', 'verify', dir, '--manifest', m, '--unsigned', '--sample', '1', '--seed', 's']),
    ])
    assert.equal(full.code, 1)
    assert.match(full.stderr, /WARNING: --unsigned/)
    const r = parseJson(full)
    assert.equal(r.result, 'failed')
    assert.deepEqual(r.changes.added, {count: 1, paths: ['c.txt']})
    assert.equal(r.changes.modified.items[0].path, 'a.txt')
    assert.equal(sample.code, 1)
    assert.match(sample.stdout, /UNSIGNED/)
    assert.match(sample.stdout, /partial/)
  })

  it('partitioned run in 3 processes, merged, equals a single run', async () => {
    const files = Object.fromEntries(Array.from({length: 23}, (_, i) => [`part/${i % 4}/f${i}.txt`, `content ${i}`]))
    const dir = writeTree(at('big'), files)
    const runs = await Promise.all(
      [0, 1, 2].map((i) => runCli(['dataset', 'manifest', dir, '--output', at(`p${i}`), '--partition', `${i}/3`, '--shard-entries', '4', '--json'])),
    )
    for (const r of runs) assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(
      runs.map((r) => parseJson(r).partition.index),
      [0, 1, 2],
    )
    const merged = await runCli(['dataset', 'merge', at('p2'), at('p0'), at('p1'), '--output', at('merged'), '--json'])
    assert.equal(merged.code, 0, merged.stderr)
    const mh = parseJson(merged)
    const sh = (await createManifest(dir, {output: at('single'), shardEntries: 4, workers: 1})).header
    assert.equal(mh.root, sh.root)
    assert.deepEqual(mh.shards, sh.shards)
    assert.deepEqual(Object.keys(mh), ['manifestVersion', 'dataset', 'created', 'hash', 'source', 'stats', 'shardEntries', 'root', 'dirHash1', 'shards'])
  })

  it('hostile and truncated tars, malformed manifests: exit 3, one line, no stack', async () => {
    const bad = at('bad.manifest')
    writeTree(bad, {'manifest.json': '{"manifestVersion":"dataset-manifest/v1","dataset":'})
    const rs = await Promise.all([
      runCli(['dataset', 'manifest', path.join(fixtures, 'hostile', 'traversal.tar'), '--output', at('h1'), '--json']),
      runCli(['dataset', 'manifest', path.join(fixtures, 'hostile', 'truncated-body.tar'), '--output', at('h2')]),
      runCli(['dataset', 'verify', fixtureTree, '--manifest', bad, '--unsigned']),
    ])
    assert.deepEqual(
      rs.map((r) => r.code),
      [3, 3, 3],
    )
    const j = parseJson(rs[0])
    assert.equal(j.error.code, 'E_DATASET_UNSAFE_ENTRY')
    assert.equal(j.error.details.problems[0].path, '../escape.txt')
    assert.match(rs[1].stderr, /E_DATASET_TAR_MALFORMED/)
    assert.match(rs[2].stderr, /E_DATASET_MANIFEST_MALFORMED/)
    for (const r of rs) assertCleanFailure(r)
  })

  it('usage errors exit 2', async () => {
    const rs = await Promise.all([
      runCli(['dataset', 'verify', fixtureTree, '--manifest', manifest]),
      runCli(['dataset', 'verify', fixtureTree, '--manifest', manifest, '--unsigned', '--sample', '0.1']),
    ])
    assert.deepEqual(
      rs.map((r) => r.code),
      [2, 2],
      rs.map((r) => r.stderr).join('\n'),
    )
  })
})
