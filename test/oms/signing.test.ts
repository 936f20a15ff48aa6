import assert from 'node:assert/strict'
import {createHash, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify} from 'node:crypto'
import {truncateSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {InputError, UsageError, VerificationError} from '../../src/errors.js'
import {parseBoundedJson, parseBundle, readBundleFile, MAX_BUNDLE_BYTES} from '../../src/signing/bundle.js'
import {pae, paeCompat, pythonBytesRepr} from '../../src/signing/dsse.js'
import {generateKeyPair, keyHint, keyIdentity, loadPrivateKey, loadPublicKey} from '../../src/signing/keys.js'
import {signPayload, verifyBundle} from '../../src/signing/index.js'
import {omsVectorsDir, omsVectorsSkip, tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-signing-')
after(tmp.cleanup)
const f = (name: string) => path.join(tmp.dir, name)
const TYPE = 'application/vnd.in-toto+json'

function writeKeys(name: string, curve: 'p256' | 'p384' | 'p521', password?: string) {
  const kp = generateKeyPair(curve, password)
  writeFileSync(f(`${name}.pem`), kp.privateKeyPem)
  writeFileSync(f(`${name}.pub`), kp.publicKeyPem)
  return {priv: f(`${name}.pem`), pub: f(`${name}.pub`), hint: kp.hint}
}

describe('DSSE encodings', () => {
  test('PAE is DSSEv1 with byte lengths', () => {
    assert.equal(pae(TYPE, Buffer.from('é')).toString('utf8'), `DSSEv1 28 ${TYPE} 2 é`)
  })
  test('python repr(bytes) matches CPython for quotes, escapes and high bytes', () => {
    // Expected strings produced by CPython 3.11 `str(b)`.
    assert.equal(pythonBytesRepr(Buffer.from('{"a": 1}\n')).toString(), `b'{"a": 1}\\n'`)
    assert.equal(pythonBytesRepr(Buffer.from("it's")).toString(), `b"it's"`)
    assert.equal(pythonBytesRepr(Buffer.from(`it's "q"`)).toString(), `b'it\\'s "q"'`)
    assert.equal(pythonBytesRepr(Buffer.from([0x5c, 0x20, 0x09, 0x0d, 0x00, 0x7f, 0xc3, 0xa9])).toString(), `b'\\\\ \\t\\r\\x00\\x7f\\xc3\\xa9'`)
    assert.equal(paeCompat(TYPE, Buffer.from('x')).toString(), `DSSEV1 28 ${TYPE} 1 b'x'`)
  })
})

describe('keys', () => {
  test('generated keys of every curve sign with the curve hash and round-trip', async () => {
    for (const [curve, hash] of [
      ['p256', 'sha256'],
      ['p384', 'sha384'],
      ['p521', 'sha512'],
    ] as const) {
      const k = writeKeys(`k-${curve}`, curve)
      const payload = Buffer.from('{"hello":"world"}')
      const bundle = await signPayload(payload, TYPE, {method: 'key', privateKeyPath: k.priv})
      // The exact model_signing shape: nothing more, nothing less.
      assert.deepEqual(Object.keys(bundle), ['mediaType', 'verificationMaterial', 'dsseEnvelope'])
      assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json')
      assert.deepEqual(bundle.verificationMaterial, {publicKey: {hint: k.hint}, tlogEntries: []})
      const env = bundle.dsseEnvelope as {payload: string; payloadType: string; signatures: {sig: string; keyid: string}[]}
      assert.deepEqual(Object.keys(env), ['payload', 'payloadType', 'signatures'])
      assert.equal(env.signatures.length, 1)
      assert.equal(env.signatures[0].keyid, '')
      const pub = loadPublicKey(k.pub)
      assert.ok(cryptoVerify(hash, pae(TYPE, payload), {key: pub, dsaEncoding: 'der'}, Buffer.from(env.signatures[0].sig, 'base64')), curve)
      const v = await verifyBundle(bundle, {method: 'key', publicKeyPath: k.pub})
      assert.equal(v.payload.toString(), payload.toString())
      assert.equal(v.signer.keyFingerprint, k.hint)
    }
  })

  test('hint is sha256 of the SPKI PEM text (matches the model_signing vector key)', {skip: omsVectorsSkip}, () => {
    const pub = loadPublicKey(path.join(omsVectorsDir, 'model-transparency/scripts/tests/keys/certificate/signing-key-pub.pem'))
    assert.equal(keyHint(pub), 'e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e')
    const pem = pub.export({type: 'spki', format: 'pem'}) as string
    assert.equal(createHash('sha256').update(pem).digest('hex'), keyHint(pub))
  })

  test('PEM files may have text before the block; SEC1, PKCS#8 and encrypted forms load', () => {
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'secp384r1'})
    writeFileSync(f('sec1.pem'), `Public Key Info:\n\tsome certtool text\n\n${privateKey.export({type: 'sec1', format: 'pem'})}`)
    writeFileSync(f('sec1-enc.pem'), privateKey.export({type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw'}))
    writeFileSync(f('p8-enc.pem'), privateKey.export({type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw'}))
    const want = keyHint(createPublicKey(privateKey))
    assert.equal(keyHint(createPublicKey(loadPrivateKey(f('sec1.pem')))), want)
    assert.equal(keyHint(createPublicKey(loadPrivateKey(f('sec1-enc.pem'), 'pw'))), want)
    assert.equal(keyHint(createPublicKey(loadPrivateKey(f('p8-enc.pem'), 'pw'))), want)
    assert.throws(
      () => loadPrivateKey(f('p8-enc.pem')),
      (e: unknown) => e instanceof UsageError && e.code === 'E_KEY_PASSWORD_REQUIRED',
    )
    assert.throws(
      () => loadPrivateKey(f('p8-enc.pem'), 'wrong'),
      (e: unknown) => e instanceof InputError && e.code === 'E_KEY_DECRYPT',
    )
    assert.throws(
      () => loadPrivateKey(f('sec1-enc.pem'), 'wrong'),
      (e: unknown) => e instanceof InputError && e.code === 'E_KEY_DECRYPT',
    )
  })

  test('PEM scanning is linear and skips non-key blocks (EC PARAMETERS first, CRLF)', () => {
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'prime256v1'})
    const pem = (privateKey.export({type: 'sec1', format: 'pem'}) as string).replace(/\n/g, '\r\n')
    writeFileSync(f('params.pem'), `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${pem}`)
    assert.equal(keyHint(createPublicKey(loadPrivateKey(f('params.pem')))), keyHint(createPublicKey(privateKey)))
    writeFileSync(f('bomb.pem'), '-----BEGIN A-----\n'.repeat(50_000))
    const t = Date.now()
    assert.throws(
      () => loadPrivateKey(f('bomb.pem')),
      (e: unknown) => e instanceof InputError && e.code === 'E_KEY_MALFORMED',
    )
    assert.ok(Date.now() - t < 2000, 'unterminated BEGIN lines must not take quadratic time')
  })

  test('public keys load from DER and compressed points too', () => {
    const {publicKey} = generateKeyPairSync('ec', {namedCurve: 'prime256v1'})
    writeFileSync(f('pub.der'), publicKey.export({type: 'spki', format: 'der'}))
    const jwk = publicKey.export({format: 'jwk'})
    const y = Buffer.from(jwk.y as string, 'base64url')
    writeFileSync(f('pub.compressed'), Buffer.concat([Buffer.from([y[y.length - 1] & 1 ? 3 : 2]), Buffer.from(jwk.x as string, 'base64url')]))
    assert.equal(keyHint(loadPublicKey(f('pub.der'))), keyHint(publicKey))
    assert.equal(keyHint(loadPublicKey(f('pub.compressed'))), keyHint(publicKey))
  })

  test('a key whose SPKI holds a compressed or hybrid point has the same hint and identity as the uncompressed one', () => {
    for (const [curve, n, oid] of [
      ['prime256v1', 32, '06082a8648ce3d030107'],
      ['secp384r1', 48, '06052b81040022'],
      ['secp521r1', 66, '06052b81040023'],
    ] as const) {
      const {publicKey} = generateKeyPairSync('ec', {namedCurve: curve})
      const point = publicKey.export({type: 'spki', format: 'der'}).subarray(-(2 * n + 1))
      const compressed = Buffer.concat([Buffer.from([point[2 * n] & 1 ? 3 : 2]), point.subarray(1, 1 + n)])
      // SEQUENCE { SEQUENCE { id-ecPublicKey, curve }, BIT STRING { 0, point } }, hand-built (short lengths)
      const alg = Buffer.from(`06072a8648ce3d0201${oid}`, 'hex')
      const algSeq = Buffer.concat([Buffer.from([0x30, alg.length]), alg])
      const bits = Buffer.concat([Buffer.from([0x03, compressed.length + 1, 0]), compressed])
      const spki = Buffer.concat([Buffer.from([0x30, algSeq.length + bits.length]), algSeq, bits])
      const key = createPublicKey({key: spki, format: 'der', type: 'spki'})
      assert.equal((key.export({type: 'spki', format: 'der'}) as Buffer).length, spki.length, `${curve}: OpenSSL keeps the point compressed`)
      assert.equal(keyHint(key), keyHint(publicKey), curve)
      assert.equal(keyIdentity(key), keyIdentity(publicKey), curve)
      // the hybrid form (0x06/0x07 ‖ X ‖ Y), which OpenSSL also reads
      const hybrid = Buffer.from(publicKey.export({type: 'spki', format: 'der'}))
      hybrid[hybrid.length - 2 * n - 1] = point[2 * n] & 1 ? 7 : 6
      const hk = createPublicKey({key: hybrid, format: 'der', type: 'spki'})
      assert.equal(keyHint(hk), keyHint(publicKey), `${curve} hybrid`)
    }
  })

  test('unsupported keys and garbage are input errors', () => {
    const ed = generateKeyPairSync('ed25519')
    writeFileSync(f('ed.pem'), ed.privateKey.export({type: 'pkcs8', format: 'pem'}))
    writeFileSync(f('ed.pub'), ed.publicKey.export({type: 'spki', format: 'pem'}))
    const k1 = generateKeyPairSync('ec', {namedCurve: 'secp256k1'})
    writeFileSync(f('k1.pem'), k1.privateKey.export({type: 'pkcs8', format: 'pem'}))
    writeFileSync(f('junk.pem'), '-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----\n')
    writeFileSync(f('empty.pem'), '')
    const isInput = (code: string) => (e: unknown) => e instanceof InputError && e.code === code
    assert.throws(() => loadPrivateKey(f('ed.pem')), isInput('E_KEY_UNSUPPORTED'))
    assert.throws(() => loadPublicKey(f('ed.pub')), isInput('E_KEY_UNSUPPORTED'))
    assert.throws(() => loadPrivateKey(f('k1.pem')), isInput('E_KEY_UNSUPPORTED'))
    assert.throws(() => loadPublicKey(f('junk.pem')), isInput('E_PEM_MALFORMED'))
    assert.throws(() => loadPrivateKey(f('empty.pem')), isInput('E_KEY_MALFORMED'))
    assert.throws(() => loadPublicKey(f('missing.pub')), isInput('E_IO'))
  })
})

describe('bundles', () => {
  const k = writeKeys('b', 'p256')
  const other = writeKeys('other', 'p256')
  const payload = Buffer.from('{"x":1}')

  test('legacy PAE signatures verify only when allowed', async () => {
    const priv = loadPrivateKey(k.priv)
    const sig = cryptoSign('sha256', paeCompat(TYPE, payload), {key: priv, dsaEncoding: 'der'})
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {publicKey: {hint: k.hint}},
      dsseEnvelope: {payload: payload.toString('base64'), payloadType: TYPE, signatures: [{sig: sig.toString('base64'), keyid: null}]},
    }
    await assert.rejects(
      verifyBundle(bundle, {method: 'key', publicKeyPath: k.pub}),
      (e: unknown) => e instanceof VerificationError && e.code === 'E_SIGNATURE_INVALID',
    )
    const v = await verifyBundle(bundle, {method: 'key', publicKeyPath: k.pub}, {allowLegacyPae: true})
    assert.match((v.warnings ?? []).join(), /legacy/)
  })

  test('wrong key, forged hint, tampered fields and wrong material fail with exit 1', async () => {
    const good = await signPayload(payload, TYPE, {method: 'key', privateKeyPath: k.priv})
    const clone = () => JSON.parse(JSON.stringify(good))
    const fails = async (b: unknown, code: string, pub = k.pub) =>
      assert.rejects(
        verifyBundle(b, {method: 'key', publicKeyPath: pub}),
        (e: unknown) => e instanceof VerificationError && e.code === code && e.exitCode === 1,
      )
    await fails(good, 'E_KEY_MISMATCH', other.pub)
    const noHint = clone()
    delete noHint.verificationMaterial.publicKey.hint
    noHint.verificationMaterial.publicKey.rawBytes = Buffer.from('x').toString('base64')
    await fails(noHint, 'E_SIGNATURE_INVALID', other.pub)
    const forged = clone()
    forged.verificationMaterial.publicKey.hint = other.hint
    await fails(forged, 'E_SIGNATURE_INVALID', other.pub)
    const edited = clone()
    edited.dsseEnvelope.payload = Buffer.from('{"x":2}').toString('base64')
    await fails(edited, 'E_SIGNATURE_INVALID')
    const retyped = clone()
    retyped.dsseEnvelope.payloadType = 'application/json'
    await fails(retyped, 'E_SIGNATURE_INVALID')
    const chain = clone()
    chain.verificationMaterial = {x509CertificateChain: {certificates: [{rawBytes: 'AAAA'}]}}
    await fails(chain, 'E_BUNDLE_METHOD')
    await assert.rejects(
      verifyBundle(good, {method: 'key', publicKeyPath: k.pub}, {payloadType: 'text/plain'}),
      (e: unknown) => e instanceof VerificationError && e.code === 'E_PAYLOAD_TYPE',
    )
  })

  test('malformed bundles are input errors (exit 3)', async () => {
    const good = await signPayload(payload, TYPE, {method: 'key', privateKeyPath: k.priv})
    const bad = (mut: (b: any) => void) => {
      const b = JSON.parse(JSON.stringify(good))
      mut(b)
      return b
    }
    const cases: unknown[] = [
      '',
      'not json',
      '[]',
      bad((b) => (b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.3')),
      bad((b) => delete b.dsseEnvelope),
      bad((b) => delete b.verificationMaterial),
      bad((b) => (b.verificationMaterial.certificate = {rawBytes: 'AAAA'})),
      bad((b) => (b.dsseEnvelope.signatures = [])),
      bad((b) => (b.dsseEnvelope.signatures[0].sig = 'not base64!')),
      bad((b) => (b.dsseEnvelope.payload = 42)),
      bad((b) => (b.verificationMaterial.tlogEntries = {})),
      '['.repeat(100_000),
    ]
    for (const c of cases) {
      await assert.rejects(
        verifyBundle(c, {method: 'key', publicKeyPath: k.pub}),
        (e: unknown) => e instanceof InputError && e.exitCode === 3,
        JSON.stringify(c).slice(0, 80),
      )
    }
  })

  test('oversized bundle files are refused before reading', () => {
    writeFileSync(f('huge.sig'), '')
    truncateSync(f('huge.sig'), MAX_BUNDLE_BYTES + 1)
    assert.throws(
      () => readBundleFile(f('huge.sig')),
      (e: unknown) => e instanceof InputError && e.code === 'E_BUNDLE_TOO_LARGE',
    )
    assert.throws(
      () => parseBoundedJson('{"a":'.repeat(70) + '1' + '}'.repeat(70), 'x'),
      (e: unknown) => e instanceof InputError,
    )
    assert.doesNotThrow(() =>
      parseBundle(
        JSON.stringify({mediaType: 'm', verificationMaterial: {publicKey: {}}, dsseEnvelope: {payload: '', payloadType: 't', signatures: [{sig: 'AA=='}]}}),
      ),
    )
  })
})
