import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {InputError, UsageError, VerificationError} from '../../src/errors.js'
import {signModel} from '../../src/oms/sign.js'
import {verifyModel} from '../../src/oms/verify.js'
import type {HashAlgorithm, SerializationMethod} from '../../src/oms/types.js'
import {generateKeyPair} from '../../src/signing/keys.js'
import {tempDir} from '../helpers/cli.js'
import {bytes, makeModel} from './model-fixtures.js'

const tmp = tempDir('modelseal-roundtrip-')
after(tmp.cleanup)
const at = (...p: string[]) => path.join(tmp.dir, ...p)

const keys = (['p256', 'p384', 'p521'] as const).map((curve) => {
  const kp = generateKeyPair(curve)
  writeFileSync(at(`${curve}.pem`), kp.privateKeyPem)
  writeFileSync(at(`${curve}.pub`), kp.publicKeyPem)
  return {priv: at(`${curve}.pem`), pub: at(`${curve}.pub`)}
})
const signer = (i = 0) => ({method: 'key' as const, privateKeyPath: keys[i % 3].priv})
const verifier = (i = 0) => ({method: 'key' as const, publicKeyPath: keys[i % 3].pub})

function statementOf(sigPath: string): any {
  const b = JSON.parse(readFileSync(sigPath, 'utf8'))
  return JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8'))
}

const failsWith = async (p: Promise<unknown>, re: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VerificationError, String(e))
    const problems = ((e.details as {problems?: string[]}).problems ?? []).join('\n')
    assert.match(problems, re)
    return true
  })

describe('sign → verify round trips', () => {
  const combos: Array<[SerializationMethod, HashAlgorithm]> = [
    ['files', 'sha256'],
    ['files', 'blake2b'],
    ['files', 'blake3'],
    ['shards', 'sha256'],
    ['shards', 'blake2b'],
  ]
  const dirModel = makeModel(at('model'))
  mkdirSync(at('single'))
  writeFileSync(at('single', 'model.onnx'), bytes(2300, 9))

  let i = 0
  for (const [method, hashType] of combos) {
    for (const kind of ['directory', 'single-file'] as const) {
      const n = i++
      test(`${method} × ${hashType} × ${kind} (key ${['p256', 'p384', 'p521'][n % 3]})`, async () => {
        const model = kind === 'directory' ? dirModel : at('single', 'model.onnx')
        const sig = at(`rt-${n}.sig`)
        const shardSize = method === 'shards' ? 1000 : undefined
        const s = await signModel(model, {signer: signer(n), signaturePath: sig, method, hashType, shardSize})
        const st = statementOf(sig)
        assert.equal(st.predicate.serialization.method, method)
        assert.equal(st.predicate.serialization.hash_type, hashType)
        assert.equal(st.predicate.serialization.shard_size, shardSize)
        if (kind === 'single-file') {
          assert.deepEqual(
            st.predicate.resources.map((r: {name: string}) => r.name),
            method === 'files' ? ['.'] : ['.:0:1000', '.:1000:2000', '.:2000:2300'],
          )
          assert.equal(st.subject[0].name, 'model.onnx')
        } else {
          const names = st.predicate.resources.map((r: {name: string}) => r.name.replace(/:\d+:\d+$/, ''))
          assert.ok(names.includes('.hidden') && names.includes('nested/deep/er/tensor.bin'))
          assert.equal(names.includes('empty.txt'), method === 'files', 'empty files only in files mode')
          assert.ok(!names.some((x: string) => x.startsWith('.git/')), '.git ignored by default')
          assert.ok(names.indexOf('a/b.bin') < names.indexOf('a-c'), 'Python component order')
        }
        const r = await verifyModel(model, {signaturePath: sig, verifier: verifier(n)})
        assert.equal(r.verified, true)
        assert.equal(r.rootDigest, s.manifest.rootDigest)
        assert.equal(r.resources, st.predicate.resources.length)
        assert.deepEqual(r.problems, [])
      })
    }
  }

  test('blake3 shards are refused when signing', async () => {
    await assert.rejects(
      signModel(dirModel, {signer: signer(), signaturePath: at('b3.sig'), method: 'shards', hashType: 'blake3'}),
      (e: unknown) => e instanceof UsageError && e.code === 'E_BLAKE3_SHARDS',
    )
  })
})

describe('enumeration options', () => {
  test('ignore paths are recorded and honoured; the signature inside the model is excluded', async () => {
    const model = makeModel(at('ign'))
    const sig = path.join(model, 'model.sig')
    await signModel(model, {signer: signer(), signaturePath: sig, ignorePaths: [path.join(model, 'cache')]})
    const ip = statementOf(sig).predicate.serialization.ignore_paths
    assert.deepEqual([...ip].sort(), ['.git', '.gitattributes', '.github', '.gitignore', 'cache', 'model.sig'])
    writeFileSync(path.join(model, 'cache', 'tmp.bin'), 'changed after signing')
    assert.equal((await verifyModel(model, {signaturePath: sig, verifier: verifier()})).verified, true)
    // a verifier-side ignore path: an extra file the user chooses not to care about
    writeFileSync(path.join(model, 'NOTES.md'), 'x')
    await failsWith(verifyModel(model, {signaturePath: sig, verifier: verifier()}), /^extra file: NOTES\.md/m)
    assert.ok((await verifyModel(model, {signaturePath: sig, verifier: verifier(), ignorePaths: [path.join(model, 'NOTES.md')]})).verified)
    assert.ok((await verifyModel(model, {signaturePath: sig, verifier: verifier(), ignoreUnsignedFiles: true})).verified)
    // --ignore-unsigned-files still catches a changed or missing signed file
    writeFileSync(path.join(model, 'config.json'), '{}')
    await failsWith(verifyModel(model, {signaturePath: sig, verifier: verifier(), ignoreUnsignedFiles: true}), /changed file: config\.json/)
    rmSync(path.join(model, 'config.json'))
    await failsWith(verifyModel(model, {signaturePath: sig, verifier: verifier(), ignoreUnsignedFiles: true}), /missing file: config\.json/)
  })

  test('--no-ignore-git-paths signs .git; the default verifier checks it (the recorded rule), --ignore-git-paths skips it', async () => {
    const model = makeModel(at('git'))
    const sig = at('git.sig')
    await signModel(model, {signer: signer(), signaturePath: sig, ignoreGitPaths: false})
    assert.ok((await verifyModel(model, {signaturePath: sig, verifier: verifier()})).verified)
    await failsWith(verifyModel(model, {signaturePath: sig, verifier: verifier(), ignoreGitPaths: true}), /missing file: \.git\/HEAD/)
  })

  test('symlinks: refused by default, signed when allowed, and the recorded policy applies at verification', async () => {
    const model = makeModel(at('link'))
    symlinkSync('weights.bin', path.join(model, 'alias.bin'))
    await assert.rejects(signModel(model, {signer: signer(), signaturePath: at('l0.sig')}), (e: unknown) => e instanceof InputError && e.code === 'E_SYMLINK')
    const sig = at('link.sig')
    await signModel(model, {signer: signer(), signaturePath: sig, allowSymlinks: true})
    const st = statementOf(sig)
    assert.equal(st.predicate.serialization.allow_symlinks, true)
    assert.ok(st.predicate.resources.some((r: {name: string}) => r.name === 'alias.bin'))
    assert.ok((await verifyModel(model, {signaturePath: sig, verifier: verifier()})).verified, 'recorded allow_symlinks is used')
    // signed without links; a file later replaced by a link is a verification failure (exit 1)
    const plain = makeModel(at('nolink'))
    const sig2 = at('nolink.sig')
    await signModel(plain, {signer: signer(), signaturePath: sig2})
    writeFileSync(at('outside.txt'), '{"layers": 2}\n')
    rmSync(path.join(plain, 'config.json'))
    symlinkSync(at('outside.txt'), path.join(plain, 'config.json'))
    await failsWith(verifyModel(plain, {signaturePath: sig2, verifier: verifier()}), /symlink/)
  })

  test('an empty model (or one with only ignored files) is refused', async () => {
    mkdirSync(at('empty', '.git'), {recursive: true})
    await assert.rejects(
      signModel(at('empty'), {signer: signer(), signaturePath: at('e.sig')}),
      (e: unknown) => e instanceof InputError && e.code === 'E_EMPTY_MODEL',
    )
    writeFileSync(at('empty', '.git', 'HEAD'), 'x')
    await assert.rejects(
      signModel(at('empty'), {signer: signer(), signaturePath: at('e.sig')}),
      (e: unknown) => e instanceof InputError && e.code === 'E_EMPTY_MODEL',
    )
  })

  test('a file name with ":" round-trips in shards mode', async () => {
    const model = at('colon')
    mkdirSync(model)
    writeFileSync(path.join(model, 'a:b.bin'), bytes(1500, 5))
    const sig = at('colon.sig')
    await signModel(model, {signer: signer(), signaturePath: sig, method: 'shards', shardSize: 1000})
    assert.deepEqual(
      statementOf(sig).predicate.resources.map((r: {name: string}) => r.name),
      ['a:b.bin:0:1000', 'a:b.bin:1000:1500'],
    )
    assert.ok((await verifyModel(model, {signaturePath: sig, verifier: verifier()})).verified)
    writeFileSync(path.join(model, 'a:b.bin'), bytes(1501, 5))
    await failsWith(verifyModel(model, {signaturePath: sig, verifier: verifier()}), /changed file: a:b\.bin: size differs/)
  })
})
