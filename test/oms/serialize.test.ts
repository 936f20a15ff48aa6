import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import fc from 'fast-check'

import {isEmptyManifest, normalizeIgnorePaths, serializeModel} from '../../src/oms/serialize.js'
import {assertSafeResourceName, comparePaths, computeRootDigest, parseShardName, sortResources} from '../../src/oms/resource-name.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-serialize-')
after(tmp.cleanup)
let n = 0
function model(files: Record<string, string>): string {
  const root = path.join(tmp.dir, `m${n++}`)
  fs.mkdirSync(root)
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), {recursive: true})
    fs.writeFileSync(path.join(root, rel), content)
  }
  return root
}
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const files = {method: 'files', hashType: 'sha256'} as const
const names = async (root: string, extra: Record<string, unknown> = {}) =>
  (await serializeModel(root, {...files, ...extra})).manifest.resources.map((r) => r.name)

test('order: path components by UTF-8 bytes (a/b.bin < a/c < a-c < a.b), astral after BMP, dotfiles included', async () => {
  const root = model({'a/b.bin': '1', 'a/c': '2', 'a-c': '3', 'a.b': '4', A: '5', '.hidden': '6', '\u{1F600}': '7', '\uFF58': '8', 'a b': '9'})
  assert.deepEqual(await names(root), ['.hidden', 'A', 'a/b.bin', 'a/c', 'a b', 'a-c', 'a.b', '\uFF58', '\u{1F600}'])
  assert.ok(comparePaths('a/b', 'a-c') < 0 && comparePaths('a', 'a/b') < 0 && comparePaths('a-c', 'a/b') > 0)
})

test('property: path order equals component-wise UTF-8 byte order (Python PurePath order)', () => {
  const reference = (a: string, b: string) => {
    const x = a.split('/')
    const y = b.split('/')
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = Buffer.compare(Buffer.from(x[i]), Buffer.from(y[i]))
      if (c !== 0) return c
    }
    return x.length - y.length
  }
  const component = fc.stringMatching(/^[a-c .\-!~\u00e9\uff58\u{1F600}]{1,4}$/u)
  const p = fc.array(component, {minLength: 1, maxLength: 3}).map((c) => c.join('/'))
  fc.assert(
    fc.property(p, p, (a, b) => Math.sign(comparePaths(a, b)) === Math.sign(reference(a, b))),
    {numRuns: 2000},
  )
})

test('sortResources orders shards by numeric offsets and files by components', () => {
  const r = (name: string) => ({name, algorithm: 'sha256-sharded-8', digest: '00'})
  assert.deepEqual(
    sortResources([r('.:16:22'), r('.:8:16'), r('.:0:8')]).map((x) => x.name),
    ['.:0:8', '.:8:16', '.:16:22'],
  )
  assert.deepEqual(
    sortResources([r('a-c:0:1'), r('a:b:8:9'), r('a/x:0:1'), r('a:b:0:8')], 'shards').map((x) => x.name),
    ['a/x:0:1', 'a-c:0:1', 'a:b:0:8', 'a:b:8:9'],
  )
})

test('root digest = sha256 over the raw digests in the given order; malformed hex is rejected', () => {
  const d1 = sha('x')
  const d2 = sha('y')
  const expected = createHash('sha256')
    .update(Buffer.from(d1 + d2, 'hex'))
    .digest('hex')
  assert.equal(computeRootDigest([{digest: d1}, {digest: d2}]), expected)
  assert.notEqual(computeRootDigest([{digest: d2}, {digest: d1}]), expected)
  assert.equal(computeRootDigest([]), sha(''))
  assert.throws(() => computeRootDigest([{digest: 'abz0'}]), {code: 'E_BAD_DIGEST'})
  assert.throws(() => computeRootDigest([{digest: 'abc'}]), {code: 'E_BAD_DIGEST'})
})

test('ignore paths: git defaults at top level only, directories prune subtrees, lexical component match', async () => {
  const root = model({
    '.git/config': 'g',
    '.gitignore': 'g',
    '.gitattributes': 'g',
    '.github/workflows/x.yml': 'g',
    'sub/.git/config': 'kept',
    '.gitmodules': 'kept',
    'cache/a': 'c',
    'sub/cache/a': 'kept',
    cachefile: 'kept',
    'w.bin': 'w',
  })
  assert.deepEqual(await names(root, {ignorePaths: [path.join(root, 'cache')]}), ['.gitmodules', 'cachefile', 'sub/.git/config', 'sub/cache/a', 'w.bin'])
  const all = await names(root, {ignoreGitPaths: false})
  assert.ok(all.includes('.git/config') && all.includes('.github/workflows/x.yml') && all.includes('cache/a'))
})

test('user ignore paths are resolved against the cwd; outside the model they are dropped with a warning', async () => {
  const root = model({'keep.bin': 'k', 'drop.bin': 'd', 'sub/x': 'x'})
  const r = await serializeModel(root, {...files, ignorePaths: ['drop.bin', 'sub', '/etc/passwd'], cwd: root})
  assert.deepEqual(
    r.manifest.resources.map((x) => x.name),
    ['keep.bin'],
  )
  assert.deepEqual(r.manifest.serialization.ignorePaths, ['.git', '.gitattributes', '.github', '.gitignore', 'drop.bin', 'sub'])
  assert.equal(r.warnings.length, 1)
  assert.match(r.warnings[0], /\/etc\/passwd is outside the model/)
  // The same relative path from another directory points elsewhere, like model_signing.
  const r2 = await serializeModel(root, {...files, ignorePaths: ['drop.bin'], cwd: tmp.dir})
  assert.ok(r2.manifest.resources.some((x) => x.name === 'drop.bin'))
  await assert.rejects(serializeModel(root, {...files, ignorePaths: [root]}), {code: 'E_BAD_IGNORE_PATH', exitCode: 2})
})

test('signature file inside the model is excluded and recorded; recorded ignore paths apply and are validated', async () => {
  const root = model({'a.bin': 'a', 'model.sig': '{}', 'ignore-me': 'i'})
  const r = await serializeModel(root, {...files, signaturePath: path.join(root, 'model.sig'), recordedIgnorePaths: ['ignore-me']})
  assert.deepEqual(
    r.manifest.resources.map((x) => x.name),
    ['a.bin'],
  )
  assert.ok(r.manifest.serialization.ignorePaths.includes('model.sig'))
  for (const bad of ['../x', '.', '', '/abs', 'a/../../b']) {
    await assert.rejects(serializeModel(root, {...files, recordedIgnorePaths: [bad]}), {code: 'E_BAD_RECORDED_IGNORE_PATH', exitCode: 3}, bad)
  }
  assert.deepEqual(normalizeIgnorePaths(root, ['ignore-me', '/elsewhere'], root, {signaturePath: path.join(root, 'model.sig')}), [
    '.git',
    '.gitattributes',
    '.github',
    '.gitignore',
    'ignore-me',
    'model.sig',
  ])
  assert.deepEqual(normalizeIgnorePaths(root, [], root, {ignoreGitPaths: false, signaturePath: path.join(tmp.dir, 'out.sig')}), [])
})

test('symlinks: refused by default; allowed → target content under the link name, warnings for escapes and dirs', async () => {
  const outside = path.join(tmp.dir, 'outside.bin')
  fs.writeFileSync(outside, 'outside')
  const root = model({'real.bin': 'real', 'd/x': 'x'})
  fs.symlinkSync('real.bin', path.join(root, 'inner-link'))
  fs.symlinkSync(outside, path.join(root, 'outer-link'))
  fs.symlinkSync('d', path.join(root, 'dir-link'))
  await assert.rejects(serializeModel(root, files), {code: 'E_SYMLINK', exitCode: 3})
  const r = await serializeModel(root, {...files, allowSymlinks: true})
  const byName = Object.fromEntries(r.manifest.resources.map((x) => [x.name, x.digest]))
  assert.deepEqual(Object.keys(byName), ['d/x', 'inner-link', 'outer-link', 'real.bin'])
  assert.equal(byName['inner-link'], sha('real'))
  assert.equal(byName['outer-link'], sha('outside'))
  assert.equal(r.manifest.serialization.allowSymlinks, true)
  assert.equal(r.warnings.filter((w) => /outer-link points outside the model/.test(w)).length, 1)
  assert.ok(r.warnings.some((w) => /dir-link points to a directory/.test(w)))
  assert.ok(!r.warnings.some((w) => /inner-link/.test(w)))
  fs.symlinkSync('nowhere', path.join(root, 'broken'))
  await assert.rejects(serializeModel(root, {...files, allowSymlinks: true}), {code: 'E_NOT_FILE_OR_DIR'})
  const linkToModel = path.join(tmp.dir, 'model-link')
  fs.symlinkSync(root, linkToModel)
  await assert.rejects(serializeModel(linkToModel, files), {code: 'E_SYMLINK'})
})

test('a non-UTF-8 file name is rejected with E_NON_UTF8_NAME', async () => {
  const root = model({'ok.bin': 'ok'})
  fs.writeFileSync(Buffer.concat([Buffer.from(root + '/bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.bin')]), 'x')
  await assert.rejects(serializeModel(root, files), {code: 'E_NON_UTF8_NAME', exitCode: 3})
})

test('special files (fifo) are rejected; a missing model is E_MODEL_NOT_FOUND', async (t) => {
  await assert.rejects(serializeModel(path.join(tmp.dir, 'does-not-exist'), files), {code: 'E_MODEL_NOT_FOUND', exitCode: 3})
  const root = model({'ok.bin': 'ok'})
  if (spawnSync('mkfifo', [path.join(root, 'pipe')]).status !== 0) return t.skip('mkfifo unavailable')
  await assert.rejects(serializeModel(root, files), {code: 'E_NOT_FILE_OR_DIR'})
})

test('shards: names path:start:end, <hash>-sharded-N, empty files omitted, blake2b digests are 64 bytes', async () => {
  const root = model({'a.bin': '0123456789', empty: '', 'x:y': 'abc'})
  const r = await serializeModel(root, {method: 'shards', hashType: 'blake2b', shardSize: 4})
  assert.deepEqual(
    r.manifest.resources.map((x) => x.name),
    ['a.bin:0:4', 'a.bin:4:8', 'a.bin:8:10', 'x:y:0:3'],
  )
  assert.ok(r.manifest.resources.every((x) => x.algorithm === 'blake2b-sharded-4' && x.digest.length === 128))
  assert.equal(r.manifest.serialization.shardSize, 4)
  assert.equal(r.manifest.resources[1].digest, createHash('blake2b512').update('4567').digest('hex'))
  await assert.rejects(serializeModel(root, {method: 'shards', hashType: 'blake3'}), {code: 'E_BLAKE3_SHARDS', exitCode: 2})
  const b3 = await serializeModel(root, {method: 'shards', hashType: 'blake3', shardSize: 4, allowBlake3Shards: true})
  assert.equal(b3.manifest.resources[0].algorithm, 'blake3-sharded-4')
  await assert.rejects(serializeModel(root, {method: 'shards', hashType: 'sha256', shardSize: 0}), {code: 'E_BAD_SHARD_SIZE', exitCode: 2})
  await assert.rejects(serializeModel(root, {method: 'files', hashType: 'sha256', shardSize: 4}), {code: 'E_BAD_SHARD_SIZE'})
})

test('an empty model gives an empty manifest that signing can refuse', async () => {
  const root = model({'.git/HEAD': 'ref'})
  const r = await serializeModel(root, files)
  assert.ok(isEmptyManifest(r.manifest))
  assert.equal(r.manifest.rootDigest, sha(''))
})

test('onlyResources hashes the named files only, reports missing ones, validates names', async () => {
  const root = model({'a.bin': 'aaaaaaaaaa', 'b.bin': 'b', 'sub/c': 'c', unsigned: 'u'})
  fs.mkdirSync(path.join(root, 'dir'))
  const r = await serializeModel(root, {method: 'shards', hashType: 'sha256', shardSize: 4, onlyResources: ['a.bin', 'sub/c', 'gone', 'dir', 'a.bin']})
  assert.deepEqual(
    r.manifest.resources.map((x) => x.name),
    ['a.bin:0:4', 'a.bin:4:8', 'a.bin:8:10', 'sub/c:0:1'],
  )
  assert.deepEqual(r.missing.sort(), ['dir', 'gone'])
  for (const bad of ['../x', '/etc/passwd', 'a\\b', 'a/./b', 'x\0y']) {
    await assert.rejects(serializeModel(root, {...files, onlyResources: [bad]}), {code: 'E_UNSAFE_RESOURCE_NAME'}, bad)
  }
  fs.symlinkSync(path.join(root, 'sub'), path.join(root, 'via-link'))
  await assert.rejects(serializeModel(root, {...files, onlyResources: ['via-link/c']}), {code: 'E_SYMLINK'})
  const single = path.join(root, 'b.bin')
  const s = await serializeModel(single, {...files, onlyResources: ['.']})
  assert.deepEqual(s.manifest.resources, [{name: '.', algorithm: 'sha256', digest: sha('b')}])
})

test('resource name rules and shard-name parsing (last two parts)', () => {
  for (const ok of ['.', 'a', 'a/b', '.hidden/x', 'a:b']) assertSafeResourceName(ok)
  for (const bad of ['', '/a', '../a', 'a/..', 'a//b', 'a/', './a', 'a\\b', 'a\0b']) {
    assert.throws(() => assertSafeResourceName(bad), {code: 'E_UNSAFE_RESOURCE_NAME'}, JSON.stringify(bad))
  }
  assert.deepEqual(parseShardName('a:b.bin:0:1'), {kind: 'shard', path: 'a:b.bin', start: 0, end: 1})
  for (const bad of ['a:1', 'a:2:1', 'a:01:2', 'a:-1:2', 'a:x:2']) assert.throws(() => parseShardName(bad), {code: 'E_BAD_SHARD_NAME'}, bad)
})

test('large model through the worker pool equals inline hashing', async () => {
  const spec: Record<string, string> = {}
  for (let i = 0; i < 150; i++) spec[`f/${i}`] = `content ${i}`.repeat(i)
  const root = model(spec)
  const pooled = await serializeModel(root, {...files, workers: 2})
  const inline = await serializeModel(root, {...files, workers: 1})
  assert.equal(pooled.manifest.rootDigest, inline.manifest.rootDigest)
  assert.equal(pooled.manifest.resources.length, 150)
})
