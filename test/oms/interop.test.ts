/**
 * Interop with the Python reference: its published bundles verify, the OMS spec's invalid
 * vectors are rejected, and bundles in the v0.2.0-era and v1.0.0-era forms (rebuilt here by
 * re-signing with the vector key) verify.
 */
import assert from 'node:assert/strict'
import {createHash, sign as cryptoSign} from 'node:crypto'
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {paeCompat, pae} from '../../src/signing/dsse.js'
import {loadCertificates} from '../../src/signing/certificate.js'
import {loadPrivateKey} from '../../src/signing/keys.js'
import {assertCleanFailure, omsVectorsDir, omsVectorsSkip, runCli, tempDir} from '../helpers/cli.js'

const MT = path.join(omsVectorsDir, 'model-transparency/scripts/tests')
const KEYS = path.join(MT, 'keys/certificate')
const SPEC = path.join(omsVectorsDir, 'ossf-model-signing-spec/test-vectors/v1.0')
const PUB = path.join(KEYS, 'signing-key-pub.pem')
const ROOT = path.join(KEYS, 'ca-cert.pem')
const tmp = tempDir('modelseal-interop-')
after(tmp.cleanup)

const ok = async (args: string[], cwd?: string) => {
  const r = await runCli(args, {cwd})
  assert.equal(r.code, 0, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`)
  return r
}
const rejected = async (args: string[], code: number, msg: RegExp) => {
  const r = await runCli(args)
  assert.equal(r.code, code, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`)
  assertCleanFailure(r)
  assert.match(r.stderr, msg)
}

describe('model_signing vectors', {skip: omsVectorsSkip, concurrency: 3}, () => {
  test('v1.1.0 key bundle verifies with the P-384 public key (PEM with a certtool preamble)', async () => {
    const d = path.join(MT, 'v1.1.0-elliptic-key')
    const r = await ok(['verify', 'key', d, '--signature', path.join(d, 'model.sig'), '--public-key', PUB, '--json'])
    const j = JSON.parse(r.stdout)
    assert.equal(j.verified, true)
    assert.equal(j.rootDigest, '92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4')
    assert.equal(j.signer.keyFingerprint, 'e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e')
  })

  test('v1.1.0 certificate bundle verifies against the root CA', async () => {
    const d = path.join(MT, 'v1.1.0-certificate')
    await ok(['verify', 'certificate', d, '--signature', path.join(d, 'model.sig'), '--certificate-chain', ROOT])
  })

  test('v1.0.1 bundles (rawBytes + keyDetails, keyid null, no tlogEntries, no ignore_paths) need --ignore-paths ignore-me', async () => {
    for (const [dir, how] of [
      ['v1.0.1-elliptic-key', ['key', '--public-key', PUB]],
      ['v1.0.1-certificate', ['certificate', '--certificate-chain', ROOT]],
    ] as const) {
      const d = path.join(MT, dir)
      const base = ['verify', how[0], '.', '--signature', 'model.sig', how[1], how[2]]
      // the Python CLI semantics: --ignore-paths relative to the current directory
      await ok([...base, '--ignore-paths', 'ignore-me'], d)
      const r = await runCli(base, {cwd: d})
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /extra file: ignore-me/)
    }
  })

  test('the spec valid key and certificate bundles verify the v1.1.0 model', async () => {
    const d = path.join(MT, 'v1.1.0-elliptic-key')
    // these bundles record ignore-me but not the model.sig that sits in that directory
    const common = [d, '--ignore-paths', path.join(d, 'model.sig')]
    await ok(['verify', 'key', ...common, '--signature', path.join(SPEC, 'valid/key.bundle.json'), '--public-key', PUB])
    await ok(['verify', 'certificate', ...common, '--signature', path.join(SPEC, 'valid/certificate.bundle.json'), '--certificate-chain', ROOT])
  })

  test('the spec invalid vectors are rejected', async () => {
    const d = path.join(MT, 'v1.1.0-elliptic-key')
    const key = (sig: string) => ['verify', 'key', d, '--signature', path.join(SPEC, sig), '--public-key', PUB]
    await rejected(key('invalid/empty.bundle.json'), 3, /E_BUNDLE_MALFORMED: signature bundle is empty/)
    await rejected(key('invalid/missing-envelope.bundle.json'), 3, /has no dsseEnvelope/)
    await rejected(key('invalid/missing-verification-material.bundle.json'), 3, /has no verificationMaterial/)
    // a Sigstore (Fulcio certificate) bundle: not signed by a key, and not keyless-verifiable without tlog entries
    await rejected(key('invalid/missing-tlog-entries.bundle.json'), 1, /signed with a Sigstore certificate/)
    await rejected(key('invalid-payload/wrong-predicate.bundle.json'), 1, /signature check failed/)
  })

  test('a sigstore bundle given to verify key / verify certificate is refused (exit 1)', async () => {
    const d = path.join(MT, 'v1.1.0-sigstore')
    await rejected(['verify', 'key', d, '--signature', path.join(d, 'model.sig'), '--public-key', PUB], 1, /Sigstore certificate/)
    await rejected(['verify', 'certificate', d, '--signature', path.join(d, 'model.sig'), '--certificate-chain', ROOT], 1, /Sigstore certificate/)
  })
})

describe('historical bundle forms rebuilt by re-signing', {skip: omsVectorsSkip, concurrency: 3}, () => {
  const model = path.join(tmp.dir, 'model')
  mkdirSync(model)
  for (const f of ['signme-1', 'signme-2']) copyFileSync(path.join(MT, 'v1.1.0-elliptic-key', f), path.join(model, f))
  const sha = (f: string) =>
    createHash('sha256')
      .update(readFileSync(path.join(model, f)))
      .digest('hex')
  const TYPE = 'application/vnd.in-toto+json'
  const priv = () => loadPrivateKey(path.join(KEYS, 'signing-key.pem'))
  // Python's json.dumps style (", " / ": " separators), as the pre-1.1 bundles were written
  const pyJson = (o: unknown) => JSON.stringify(o).replace(/","/g, '", "').replace(/":/g, '": ')
  const write = (name: string, bundle: unknown) => {
    const p = path.join(tmp.dir, name)
    writeFileSync(p, pyJson(bundle))
    return p
  }
  const pubPem = readFileSync(PUB, 'utf8').slice(readFileSync(PUB, 'utf8').indexOf('-----BEGIN'))

  test('v0.2.0: Digests/v0.1 predicate signed over the compat PAE (key and certificate)', async () => {
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: ['signme-1', 'signme-2'].map((n) => ({name: n, digest: {sha256: sha(n)}, annotations: {actual_hash_algorithm: 'file-sha256'}})),
      predicateType: 'https://model_signing/Digests/v0.1',
      predicate: {unused: 'Unused, just passed due to API requirements'},
    }
    const payload = Buffer.from(JSON.stringify(statement, null, 2))
    const env = (sig: Buffer) => ({payload: payload.toString('base64'), payloadType: TYPE, signatures: [{sig: sig.toString('base64'), keyid: null}]})
    const keySig = cryptoSign('sha384', paeCompat(TYPE, payload), {key: priv(), dsaEncoding: 'der'})
    const keyBundle = write('v020-key.sig', {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {publicKey: {rawBytes: Buffer.from(pubPem).toString('base64'), keyDetails: 'PKIX_ECDSA_P384_SHA_384'}},
      dsseEnvelope: env(keySig),
    })
    const r = await ok(['verify', 'key', model, '--signature', keyBundle, '--public-key', PUB, '--json'])
    const j = JSON.parse(r.stdout)
    assert.equal(j.predicateType, 'https://model_signing/Digests/v0.1')
    assert.ok(j.warnings.some((w: string) => /legacy/.test(w)))
    // certificate bundles of that era hashed the compat PAE with SHA-256 whatever the curve
    const certSig = cryptoSign('sha256', paeCompat(TYPE, payload), {key: priv(), dsaEncoding: 'der'})
    const chain = loadCertificates([path.join(KEYS, 'signing-key-cert.pem'), path.join(KEYS, 'int-ca-cert.pem')])
    const certBundle = write('v020-cert.sig', {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {x509CertificateChain: {certificates: chain.map((c) => ({rawBytes: c.raw.toString('base64')}))}},
      dsseEnvelope: env(certSig),
    })
    await ok(['verify', 'certificate', model, '--signature', certBundle, '--certificate-chain', ROOT])
    // and the legacy form is still tamper-evident
    writeFileSync(
      path.join(tmp.dir, 'tampered-v020.sig'),
      readFileSync(keyBundle, 'utf8').replace(
        keySig.toString('base64'),
        cryptoSign('sha384', paeCompat(TYPE, Buffer.from('{}')), {key: priv(), dsaEncoding: 'der'}).toString('base64'),
      ),
    )
    await rejected(['verify', 'key', model, '--signature', path.join(tmp.dir, 'tampered-v020.sig'), '--public-key', PUB], 1, /signature check failed/)
  })

  test('v1.0.0: rawBytes + keyDetails, keyid null, no tlogEntries, no ignore_paths, float shard_size', async () => {
    const files = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{name: 'model', digest: {sha256: ''}}],
      predicateType: 'https://model_signing/signature/v1.0',
      predicate: {
        serialization: {method: 'files', hash_type: 'sha256', allow_symlinks: false},
        resources: ['signme-2', 'signme-1'].map((n) => ({algorithm: 'sha256', digest: sha(n), name: n})),
      },
    }
    const root = (rs: {digest: string}[]) =>
      createHash('sha256')
        .update(Buffer.concat(rs.map((r) => Buffer.from(r.digest, 'hex'))))
        .digest('hex')
    files.subject[0].digest.sha256 = root(files.predicate.resources)
    const shards = JSON.parse(JSON.stringify(files))
    shards.predicate.serialization = {method: 'shards', hash_type: 'sha256', shard_size: 1000000000, allow_symlinks: false}
    shards.predicate.resources = ['signme-1', 'signme-2'].map((n) => ({
      name: `${n}:0:${readFileSync(path.join(model, n)).length}`,
      algorithm: 'sha256-sharded-1000000000',
      digest: sha(n),
    }))
    shards.subject[0].digest.sha256 = root(shards.predicate.resources)
    let i = 0
    for (const st of [files, shards]) {
      // protobuf's MessageToJson: 2-space indent, floats for Struct numbers
      const payload = Buffer.from(JSON.stringify(st, null, 2).replace('"shard_size": 1000000000', '"shard_size": 1000000000.0'))
      const sig = cryptoSign('sha384', pae(TYPE, payload), {key: priv(), dsaEncoding: 'der'})
      const bundle = write(`v100-${i++}.sig`, {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: {publicKey: {rawBytes: Buffer.from(pubPem).toString('base64'), keyDetails: 'PKIX_ECDSA_P384_SHA_384'}},
        dsseEnvelope: {payload: payload.toString('base64'), payloadType: TYPE, signatures: [{sig: sig.toString('base64'), keyid: null}]},
      })
      const r = await ok(['verify', 'key', model, '--signature', bundle, '--public-key', PUB])
      assert.match(r.stderr, /pre-1\.1 verification material/)
    }
  })
})
