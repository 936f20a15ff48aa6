/** References, challenges, the Go port's manifest → OMS rules, media types, credentials. */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {resolveCredentials} from '../../src/oci/credentials.js'
import {parseManifestOrIndex, referrersTag, type ImageManifest} from '../../src/oci/manifest.js'
import {layerMediaType} from '../../src/oci/media-types.js'
import {manifestToOms, modelFiles} from '../../src/oci/model.js'
import {formatOciReference, parseOciReference} from '../../src/oci/reference.js'
import {parseChallenge} from '../../src/oci/transport.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-oci-unit-')
after(tmp.cleanup)
const D = (c: string) => `sha256:${c.repeat(64)}`

describe('oci:// references (distribution grammar)', () => {
  test('accepted forms', () => {
    assert.deepEqual(parseOciReference('oci://127.0.0.1:5000/models/bert:v1'), {
      registry: '127.0.0.1:5000',
      apiHost: '127.0.0.1:5000',
      repository: 'models/bert',
      tag: 'v1',
      digest: undefined,
    })
    const pinned = parseOciReference(`oci://ghcr.io/acme/m@${D('a')}`)
    assert.equal(pinned.digest, D('a'))
    assert.equal(pinned.tag, undefined)
    assert.equal(parseOciReference('oci://registry.example.com/a/b/c').tag, 'latest')
    const both = parseOciReference(`oci://r.example/x:t@${D('b')}`)
    assert.equal(formatOciReference(both), `oci://r.example/x:t@${D('b')}`)
    assert.equal(parseOciReference('oci://docker.io/ubuntu:22.04').repository, 'library/ubuntu')
    assert.equal(parseOciReference('oci://docker.io/ubuntu:22.04').apiHost, 'registry-1.docker.io')
    assert.equal(parseOciReference('oci://[::1]:5000/m:v').registry, '[::1]:5000')
  })
  for (const bad of [
    'oci://Registry/Upper/CASE:v',
    'oci://host',
    'oci:///repo',
    'http://host/repo',
    'oci://host/repo:bad tag',
    'oci://host/repo@sha256:abc',
    'oci://host/repo@md5:' + 'a'.repeat(32),
    `oci://host/${'a'.repeat(300)}`,
    'oci://host/a//b',
    'oci://host/-a',
  ]) {
    test(`refused: ${bad.slice(0, 60)}`, () =>
      assert.throws(
        () => parseOciReference(bad),
        (e: {code?: string; exitCode?: number}) => e.code === 'E_OCI_REFERENCE' && e.exitCode === 2,
      ))
  }
})

describe('WWW-Authenticate challenges', () => {
  test('bearer with quoted parameters containing commas and escapes', () => {
    const c = parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')
    assert.deepEqual(c, {scheme: 'bearer', params: {realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push'}})
    assert.deepEqual(parseChallenge('Basic realm="x \\"y\\""'), {scheme: 'basic', params: {realm: 'x "y"'}})
    assert.equal(parseChallenge(''), undefined)
  })
})

/** The Go port's own test manifest (pkg/oci/manifest_test.go): config + three titled layers. */
function goManifest(
  layers: {digest: string; title?: string}[] = [
    {digest: D('1'), title: 'model.safetensors'},
    {digest: D('2'), title: 'merges.txt'},
    {digest: D('3'), title: 'tokenizer.json'},
  ],
): ImageManifest {
  return {
    kind: 'manifest',
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2},
    layers: layers.map((l) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: l.digest,
      size: 1,
      ...(l.title ? {annotations: {'org.opencontainers.image.title': l.title}} : {}),
    })),
  }
}

describe("manifest → OMS statement, by the model_signing Go port's rules", () => {
  for (const [ignore, want] of [
    [[], ['config.json', 'merges.txt', 'model.safetensors', 'tokenizer.json']],
    [['merges.txt'], ['config.json', 'model.safetensors', 'tokenizer.json']],
    [
      ['merges.txt', 'tokenizer.json'],
      ['config.json', 'model.safetensors'],
    ],
    [['config.json'], ['merges.txt', 'model.safetensors', 'tokenizer.json']],
  ] as const) {
    test(`include config, ignore [${ignore.join(', ')}]`, () => {
      const m = manifestToOms(goManifest(), {includeConfig: true, ignorePaths: [...ignore], modelName: 'test'})
      assert.deepEqual(
        m.resources.map((r) => r.name),
        want,
      )
      assert.deepEqual(m.serialization, {method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: []})
      const raw = Buffer.concat(m.resources.map((r) => Buffer.from(r.digest, 'hex')))
      assert.equal(m.rootDigest, createHash('sha256').update(raw).digest('hex'))
    })
  }
  test('ignoring everything is an error, as in the Go port', () => {
    assert.throws(
      () =>
        manifestToOms(goManifest(), {includeConfig: true, ignorePaths: ['config.json', 'model.safetensors', 'merges.txt', 'tokenizer.json'], modelName: 't'}),
      /no layers/,
    )
  })
  test('untitled layers are layer_NNN.tar.gz by index; a directory ignore path covers its files', () => {
    const m = manifestToOms(goManifest([{digest: D('a')}, {digest: D('b'), title: 'sub/x.bin'}, {digest: D('c')}]), {modelName: 't'})
    assert.deepEqual(
      m.resources.map((r) => r.name),
      ['layer_000.tar.gz', 'layer_002.tar.gz', 'sub/x.bin'],
    )
    const n = manifestToOms(goManifest([{digest: D('a')}, {digest: D('b'), title: 'sub/x.bin'}]), {modelName: 't', ignorePaths: ['sub']})
    assert.deepEqual(
      n.resources.map((r) => r.name),
      ['layer_000.tar.gz'],
    )
  })
  test('without the config option, the layers alone (what `push` + `sign` produce by default)', () => {
    assert.deepEqual(
      manifestToOms(goManifest(), {modelName: 't'}).resources.map((r) => r.name),
      ['merges.txt', 'model.safetensors', 'tokenizer.json'],
    )
  })
  test('titles that could leave the directory or shadow a file are refused', () => {
    for (const t of ['../x', '/abs', 'a\\b', 'a\0b', 'a/./b', '.', 'a/']) {
      assert.throws(
        () => modelFiles(goManifest([{digest: D('a'), title: t}])),
        (e: {code?: string}) => e.code === 'E_OCI_UNSAFE_TITLE',
        t,
      )
    }
    assert.throws(
      () =>
        modelFiles(
          goManifest([
            {digest: D('a'), title: 'x'},
            {digest: D('b'), title: 'x'},
          ]),
        ),
      /more than once/,
    )
  })
})

describe('manifest parsing', () => {
  const base = {schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {mediaType: 'x', digest: D('0'), size: 2}, layers: []}
  test('digests other than lowercase sha256, negative sizes, wrong schema and type confusion are refused', () => {
    const cases: unknown[] = [
      {...base, schemaVersion: 1},
      {...base, layers: [{mediaType: 'x', digest: `sha512:${'a'.repeat(128)}`, size: 1}]},
      {...base, layers: [{mediaType: 'x', digest: D('A'), size: 1}]},
      {...base, layers: [{mediaType: 'x', digest: D('a'), size: -1}]},
      {...base, layers: [{mediaType: 'x', digest: D('a'), size: 1.5}]},
      {...base, layers: [{mediaType: 'x', digest: D('a'), size: 1, annotations: {'org.opencontainers.image.title': 7}}]},
      {...base, mediaType: 'application/vnd.oci.image.index.v1+json'},
      [],
    ]
    for (const c of cases)
      assert.throws(
        () => parseManifestOrIndex(Buffer.from(JSON.stringify(c)), null, 'm'),
        (e: {exitCode?: number}) => e.exitCode === 3,
        JSON.stringify(c),
      )
    assert.throws(() => parseManifestOrIndex(Buffer.from(JSON.stringify(base)), 'application/vnd.oci.image.index.v1+json', 'm'), /served as/)
  })
  test('referrers tag schema', () => {
    assert.equal(referrersTag(D('f')), `sha256-${'f'.repeat(64)}`)
  })
})

describe('ModelPack layer media types', () => {
  test('by role', () => {
    assert.deepEqual(layerMediaType('model.safetensors'), {mediaType: 'application/vnd.cncf.model.weight.v1.raw', untested: false})
    assert.equal(layerMediaType('tokenizer/tokenizer.json').mediaType, 'application/vnd.cncf.model.weight.config.v1.raw')
    assert.equal(layerMediaType('LICENSE').mediaType, 'application/vnd.cncf.model.doc.v1.raw')
    assert.equal(layerMediaType('handler.py').mediaType, 'application/vnd.cncf.model.code.v1.raw')
    assert.equal(layerMediaType('train.parquet').mediaType, 'application/vnd.cncf.model.dataset.v1.raw')
    assert.deepEqual(layerMediaType('blob'), {mediaType: 'application/vnd.cncf.model.weight.v1.raw', untested: true})
  })
})

describe('Docker config credentials', () => {
  test('inline auth, docker.io legacy key, identity tokens, explicit flags first, bad entries refused', async () => {
    const dir = path.join(tmp.dir, 'docker')
    mkdirSync(dir)
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': {auth: Buffer.from('hub:pw').toString('base64')},
          'reg.example:5000': {auth: Buffer.from('u:p:with:colons').toString('base64')},
          'tok.example': {identitytoken: 'refresh-me'},
          'bad.example': {auth: Buffer.from('nocolon').toString('base64')},
        },
      }),
    )
    const env = {DOCKER_CONFIG: dir}
    assert.deepEqual(await resolveCredentials('docker.io', {env}), {username: 'hub', password: 'pw', source: path.join(dir, 'config.json')})
    assert.equal((await resolveCredentials('reg.example:5000', {env}))?.password, 'p:with:colons')
    assert.equal((await resolveCredentials('tok.example', {env}))?.identityToken, 'refresh-me')
    assert.equal(await resolveCredentials('other.example', {env}), undefined)
    assert.equal((await resolveCredentials('reg.example:5000', {env, username: 'x', password: 'y'}))?.source, 'flags')
    await assert.rejects(resolveCredentials('bad.example', {env}), /E_OCI_CREDENTIALS|base64/)
    await assert.rejects(resolveCredentials('reg.example:5000', {env, username: 'x'}), /both/)
  })

  test('a credential helper that prints broken JSON: refused, and the secret it printed is never quoted', async () => {
    const dir = path.join(tmp.dir, 'docker-leaky')
    const bin = path.join(dir, 'bin')
    mkdirSync(bin, {recursive: true})
    const helper = path.join(bin, 'docker-credential-leaky')
    writeFileSync(helper, '#!/bin/sh\nread server\necho \'{"Username":"alice","Secret":"TOPSECRET-helper-value\'\n')
    chmodSync(helper, 0o755)
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({credHelpers: {'leaky.example': 'leaky'}}))
    const env = {DOCKER_CONFIG: dir, PATH: `${bin}:${process.env.PATH}`}
    await assert.rejects(resolveCredentials('leaky.example', {env}), (e: Error & {code?: string}) => {
      assert.equal(e.code, 'E_OCI_CREDENTIALS')
      assert.doesNotMatch(e.message, /TOPSECRET/)
      return true
    })
  })
})
