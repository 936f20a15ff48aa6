import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {assertCleanFailure, parseJson, runCli, tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-digest-cli-')
after(tmp.cleanup)
const root = path.join(tmp.dir, 'model')
fs.mkdirSync(path.join(root, 'sub'), {recursive: true})
fs.writeFileSync(path.join(root, 'signme-1'), 'signme-1\n')
fs.writeFileSync(path.join(root, 'signme-2'), 'signme-2')
fs.writeFileSync(path.join(root, 'ignore-me'), 'x')
fs.writeFileSync(path.join(root, 'sub', 'w.bin'), '0123456789')
fs.writeFileSync(path.join(root, '.gitignore'), '*.tmp')

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest()

test('digest prints sha256:<root> (model_signing format) and --json the manifest', async () => {
  const r = await runCli(['digest', root, '--ignore-paths', path.join(root, 'ignore-me')])
  assert.equal(r.code, 0, r.stderr)
  const digests = [sha('signme-1\n'), sha('signme-2'), sha('0123456789')]
  assert.equal(r.stdout.trim(), `sha256:${sha(Buffer.concat(digests)).toString('hex')}`)

  const j = await runCli(['digest', root, '--json', '--method', 'shards', '--shard-size', '4', '--hash', 'blake2b', '--no-ignore-git-paths'])
  assert.equal(j.code, 0, j.stderr)
  const out = parseJson(j)
  assert.deepEqual(Object.keys(out).sort(), ['modelName', 'resources', 'rootDigest', 'serialization', 'warnings'])
  assert.equal(out.modelName, 'model')
  assert.deepEqual(out.serialization, {method: 'shards', hash_type: 'blake2b', shard_size: 4, allow_symlinks: false, ignore_paths: []})
  assert.deepEqual(
    out.resources.map((x: {name: string}) => x.name),
    [
      '.gitignore:0:4',
      '.gitignore:4:5',
      'ignore-me:0:1',
      'signme-1:0:4',
      'signme-1:4:8',
      'signme-1:8:9',
      'signme-2:0:4',
      'signme-2:4:8',
      'sub/w.bin:0:4',
      'sub/w.bin:4:8',
      'sub/w.bin:8:10',
    ],
  )
  assert.equal(out.resources[0].algorithm, 'blake2b-sharded-4')
  assert.match(out.rootDigest, /^[0-9a-f]{64}$/)
})

test('digest: a relative --ignore-paths is resolved against the current directory', async () => {
  const r = await runCli(['digest', 'model', '--json', '--ignore-paths', 'model/ignore-me', '--ignore-paths', 'model/sub'], {cwd: tmp.dir})
  assert.equal(r.code, 0, r.stderr)
  const out = parseJson(r)
  assert.deepEqual(
    out.resources.map((x: {name: string}) => x.name),
    ['signme-1', 'signme-2'],
  )
  assert.deepEqual(out.serialization.ignore_paths, ['.git', '.gitattributes', '.github', '.gitignore', 'ignore-me', 'sub'])
})

test('digest: missing model → exit 3; bad flag values → exit 2; symlink refused → exit 3 with one line', async () => {
  const missing = await runCli(['digest', path.join(tmp.dir, 'nope')])
  assert.equal(missing.code, 3)
  assert.match(missing.stderr, /E_MODEL_NOT_FOUND/)
  assertCleanFailure(missing)
  for (const args of [['--method', 'tree'], ['--hash', 'md5'], ['--shard-size', '0'], ['--method', 'shards', '--hash', 'blake3'], ['--bogus']]) {
    const r = await runCli(['digest', root, ...args])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assertCleanFailure(r)
  }
  const linked = path.join(tmp.dir, 'linked')
  fs.mkdirSync(linked)
  fs.symlinkSync(path.join(root, 'signme-1'), path.join(linked, 'l'))
  const refused = await runCli(['digest', linked, '--json'])
  assert.equal(refused.code, 3)
  assert.equal(parseJson(refused).error.code, 'E_SYMLINK')
  const allowed = await runCli(['digest', linked, '--allow-symlinks', '--json'])
  assert.equal(allowed.code, 0, allowed.stderr)
  const a = parseJson(allowed)
  assert.equal(a.resources[0].digest, sha('signme-1\n').toString('hex'))
  assert.match(a.warnings[0], /points outside the model/)
})
