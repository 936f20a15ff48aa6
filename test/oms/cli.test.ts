import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {assertCleanFailure, parseJson, runCli, tempDir} from '../helpers/cli.js'
import {makeModel} from './model-fixtures.js'

const tmp = tempDir('modelseal-cli-')
after(tmp.cleanup)
const at = (...p: string[]) => path.join(tmp.dir, ...p)
const model = at('model')

before(async () => {
  makeModel(model)
  const r = await runCli(['keys', 'generate', '--private-key', at('k.pem'), '--public-key', at('k.pub'), '--curve', 'p521', '--password', 'hunter2', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const j = parseJson(r)
  assert.deepEqual(Object.keys(j).sort(), ['curve', 'encrypted', 'hint', 'privateKey', 'publicKey'])
  assert.equal(j.curve, 'p521')
  assert.equal(j.encrypted, true)
})

describe('keys, sign key, verify key through the CLI', {concurrency: 3}, () => {
  test('keys generate writes a 0600 encrypted PKCS#8 key and refuses to overwrite', async () => {
    assert.match(readFileSync(at('k.pem'), 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/)
    assert.match(readFileSync(at('k.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/)
    if (process.platform !== 'win32') assert.equal(statSync(at('k.pem')).mode & 0o777, 0o600)
    const r = await runCli(['keys', 'generate', '--private-key', at('k.pem'), '--public-key', at('k2.pub')])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /E_FILE_EXISTS/)
    assertCleanFailure(r)
  })

  test('sign key with the encrypted key (password from the environment), verify --json', async () => {
    const sig = at('env.sig')
    const s = await runCli(['sign', 'key', model, '--private-key', at('k.pem'), '--signature', sig, '--json'], {env: {MODELSEAL_KEY_PASSWORD: 'hunter2'}})
    assert.equal(s.code, 0, s.stderr)
    const sj = parseJson(s)
    assert.equal(sj.signed, true)
    assert.equal(sj.method, 'key')
    assert.equal(sj.signaturePath, sig)
    assert.match(sj.rootDigest, /^[0-9a-f]{64}$/)
    assert.equal(sj.resources, 8)
    assert.equal(sj.serialization.method, 'files')
    // compact JSON, no trailing newline, exactly the model_signing top-level keys
    const text = readFileSync(sig, 'utf8')
    assert.ok(!text.includes('\n') && !text.includes(', '))
    assert.deepEqual(Object.keys(JSON.parse(text)), ['mediaType', 'verificationMaterial', 'dsseEnvelope'])
    const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', at('k.pub'), '--json'])
    assert.equal(v.code, 0, v.stderr)
    const vj = parseJson(v)
    for (const k of ['verified', 'method', 'rootDigest', 'signer', 'resources', 'problems']) assert.ok(k in vj, k)
    assert.equal(vj.verified, true)
    assert.equal(vj.rootDigest, sj.rootDigest)
    assert.equal(vj.signer.keyFingerprint, sj.keyHint)
    assert.deepEqual(vj.problems, [])
  })

  test('password missing → exit 2, wrong → exit 3', async () => {
    const a = await runCli(['sign', 'key', model, '--private-key', at('k.pem'), '--signature', at('x.sig')], {env: {MODELSEAL_KEY_PASSWORD: undefined}})
    assert.equal(a.code, 2, a.stderr)
    assert.match(a.stderr, /E_KEY_PASSWORD_REQUIRED/)
    const b = await runCli(['sign', 'key', model, '--private-key', at('k.pem'), '--password', 'nope', '--signature', at('x.sig')])
    assert.equal(b.code, 3, b.stderr)
    assert.match(b.stderr, /^modelseal: E_KEY_DECRYPT: .*\n$/)
  })

  test('usage errors exit 2', async () => {
    for (const args of [
      ['verify', 'key', model, '--signature', at('env.sig')],
      ['sign', 'key', model, '--private-key', at('k.pem'), '--method', 'tar'],
      ['keys', 'generate', '--private-key', at('n.pem'), '--public-key', at('n.pub'), '--curve', 'p192'],
    ]) {
      const r = await runCli(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assertCleanFailure(r)
    }
  })

  test('unreadable or malformed input exits 3 with one line', async () => {
    writeFileSync(at('garbage.sig'), '{"mediaType": ')
    mkdirSync(at('empty-model'))
    const cases: Array<[string[], RegExp]> = [
      [['verify', 'key', model, '--signature', at('garbage.sig'), '--public-key', at('k.pub')], /E_BUNDLE_MALFORMED/],
      [['verify', 'key', model, '--signature', at('missing.sig'), '--public-key', at('k.pub')], /E_IO/],
      [['verify', 'key', model, '--signature', at('env.sig'), '--public-key', at('garbage.sig')], /E_KEY_MALFORMED/],
      [['sign', 'key', at('empty-model'), '--private-key', at('k.pem'), '--password', 'hunter2', '--signature', at('e.sig')], /E_EMPTY_MODEL/],
      [['sign', 'key', at('no-such-model'), '--private-key', at('k.pem'), '--password', 'hunter2', '--signature', at('e.sig')], /E_MODEL_NOT_FOUND/],
    ]
    for (const [args, re] of cases) {
      const r = await runCli(args)
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, re)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assertCleanFailure(r)
    }
  })
})
