/**
 * Interop: modelseal's manifests equal the Python reference's golden serializations and statement
 * root digests for the fixture models of model-transparency's tests (rebuilt here from the recipes
 * in the vectors' own README).
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {serializeModel} from '../../src/oms/serialize.js'
import {omsVectorsDir, omsVectorsSkip, tempDir} from '../helpers/cli.js'

const testsDir = path.join(omsVectorsDir, 'model-transparency', 'tests')
const serializationDir = path.join(testsDir, '_serialization', 'testdata')
const payloadDir = path.join(testsDir, '_signing', 'testdata', 'signing', 'TestPayload')
/** The `_small_shards` goldens use 8-byte shards (offsets 0:8, 8:16, 16:22 in the data). */
const SMALL_SHARD = 8

const tmp = tempDir('modelseal-golden-')
after(tmp.cleanup)
const fixtures: Record<string, string> = {}

function write(p: string, content: string): void {
  fs.mkdirSync(path.dirname(p), {recursive: true})
  fs.writeFileSync(p, content)
}

before(() => {
  const b = tmp.dir
  write(path.join(b, 'file_model'), 'This is a simple model')
  fixtures.sample_model_file = path.join(b, 'file_model')
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) write(path.join(b, 'sample_model', `d${i}`, `f${i}${j}`), `This is file f${i}${j} in d${i}.`)
  for (let i = 0; i < 4; i++) write(path.join(b, 'sample_model', `f${i}`), `This is file f${i} in root.`)
  fixtures.sample_model_folder = path.join(b, 'sample_model')
  for (let i = 0; i < 4; i++) write(path.join(b, 'deep_model', 'd0', 'd1', 'd2', 'd3', 'd4', `f${i}`), `This is file f${i}.`)
  fixtures.deep_model_folder = path.join(b, 'deep_model')
  write(path.join(b, 'empty_file_model'), '')
  fixtures.empty_model_file = path.join(b, 'empty_file_model')
  fs.mkdirSync(path.join(b, 'empty_folder_model'))
  fixtures.empty_model_folder = path.join(b, 'empty_folder_model')
  write(path.join(b, 'empty_file_inside_model', 'empty_file'), '')
  fixtures.model_folder_with_empty_file = path.join(b, 'empty_file_inside_model')
  fs.mkdirSync(path.join(b, 'symlink_model'))
  fs.symlinkSync(fixtures.sample_model_file, path.join(b, 'symlink_model', 'symlink_file'))
  fixtures.symlink_model_folder = path.join(b, 'symlink_model')
})

function readGolden(file: string): Array<{name: string; digest: string}> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const i = l.lastIndexOf(':')
      return {name: l.slice(0, i), digest: l.slice(i + 1)}
    })
}

function variant(name: string): {fixture: string; method: 'files' | 'shards'; shardSize?: number} {
  if (name.endsWith('_small_shards')) return {fixture: name.slice(0, -'_small_shards'.length), method: 'shards', shardSize: SMALL_SHARD}
  if (name.endsWith('_shard')) return {fixture: name.slice(0, -'_shard'.length), method: 'shards', shardSize: 1_000_000_000}
  return {fixture: name, method: 'files'}
}

test('serialization goldens (file and file_shard TestSerializer) match in content and order', {skip: omsVectorsSkip}, async () => {
  let checked = 0
  for (const kind of ['file', 'file_shard'] as const) {
    const dir = path.join(serializationDir, kind, 'TestSerializer')
    for (const name of fs.readdirSync(dir)) {
      const v = variant(name)
      const method = kind === 'file' ? 'files' : 'shards'
      const shardSize = kind === 'file' ? undefined : (v.shardSize ?? 1_000_000_000)
      const model = fixtures[v.fixture]
      assert.ok(model, `no fixture recipe for ${name}`)
      const {manifest} = await serializeModel(model, {method, hashType: 'sha256', shardSize, allowSymlinks: true})
      const got = manifest.resources.map((r) => ({name: r.name, digest: r.digest}))
      assert.deepEqual(got, readGolden(path.join(dir, name)), `${kind}/${name}`)
      checked++
    }
  }
  assert.ok(checked >= 20, `only ${checked} goldens found`)
})

test('TestPayload statements: same root digest, resources, algorithms and subject name', {skip: omsVectorsSkip}, async () => {
  const names = fs.readdirSync(payloadDir)
  assert.ok(names.length >= 21)
  for (const name of names) {
    const statement = JSON.parse(fs.readFileSync(path.join(payloadDir, name), 'utf8'))
    const v = variant(name)
    const {manifest} = await serializeModel(fixtures[v.fixture], {method: v.method, hashType: 'sha256', shardSize: v.shardSize, allowSymlinks: true})
    assert.equal(manifest.rootDigest, statement.subject[0].digest.sha256, name)
    assert.equal(manifest.modelName, statement.subject[0].name, name)
    assert.equal(statement.predicate.serialization.method, manifest.serialization.method, name)
    assert.deepEqual(
      manifest.resources,
      statement.predicate.resources.map((r: Record<string, string>) => ({name: r.name, algorithm: r.algorithm, digest: r.digest})),
      name,
    )
  }
})

test('the v1.1.0 key-signed model reproduces its signed root digest (ignore-me and model.sig ignored)', {skip: omsVectorsSkip}, async () => {
  const model = path.join(omsVectorsDir, 'model-transparency', 'scripts', 'tests', 'v1.1.0-elliptic-key')
  const {manifest} = await serializeModel(model, {
    method: 'files',
    hashType: 'sha256',
    ignorePaths: [path.join(model, 'ignore-me')],
    signaturePath: path.join(model, 'model.sig'),
  })
  assert.equal(manifest.rootDigest, '92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4')
  assert.deepEqual(manifest.serialization.ignorePaths, ['.git', '.gitattributes', '.github', '.gitignore', 'ignore-me', 'model.sig'])
})
