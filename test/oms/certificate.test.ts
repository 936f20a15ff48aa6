import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import path from 'node:path'

import {InputError, VerificationError} from '../../src/errors.js'
import {prepareSigner, verifyBundle} from '../../src/signing/index.js'
import {loadCertificates, verifyCertificateChain} from '../../src/signing/certificate.js'
import {keyUsage} from '../../src/signing/der.js'
import {omsVectorsDir, omsVectorsSkip, tempDir} from '../helpers/cli.js'
import {makePki, type Pki} from './pki.js'

const tmp = tempDir('modelseal-pki-')
after(tmp.cleanup)
let pki: Pki
before(() => {
  pki = makePki(tmp.dir)
})
const TYPE = 'application/vnd.in-toto+json'
const payload = Buffer.from('{"p":1}')
const isVerif = (code: string) => (e: unknown) => e instanceof VerificationError && e.code === code && e.exitCode === 1

describe('certificate method', () => {
  test('sign with leaf + intermediate, verify against the root: chain by signature', async () => {
    const signer = prepareSigner({
      method: 'certificate',
      privateKeyPath: pki.leafKey,
      signingCertificatePath: pki.leafCert,
      certificateChainPaths: [pki.intCert],
    })
    const bundle = signer.sign(payload, TYPE) as any
    assert.deepEqual(Object.keys(bundle.verificationMaterial), ['x509CertificateChain', 'tlogEntries'])
    assert.equal(bundle.verificationMaterial.x509CertificateChain.certificates.length, 2)
    const v = await verifyBundle(bundle, {method: 'certificate', certificateChainPaths: [pki.rootCert]})
    assert.equal(v.signer.method, 'certificate')
    // The leaf's subject is the intermediate's name; a name-based builder would stop at the leaf.
    assert.deepEqual(v.signer.chain, ['CN=test-intermediate', 'CN=test-intermediate', 'CN=test-root-ca'])
    assert.deepEqual(v.signer.subjectAlternativeNames, ['email:signer@example.com'])
    // trusting the intermediate directly also works (the user trusts what they pass)
    await verifyBundle(bundle, {method: 'certificate', certificateChainPaths: [pki.intCert]})
  })

  test('wrong CA, missing intermediate, expired and unusable leaves fail with exit 1', async () => {
    const signer = prepareSigner({
      method: 'certificate',
      privateKeyPath: pki.leafKey,
      signingCertificatePath: pki.leafCert,
      certificateChainPaths: [pki.intCert],
    })
    const bundle = signer.sign(payload, TYPE) as any
    await assert.rejects(verifyBundle(bundle, {method: 'certificate', certificateChainPaths: [pki.otherRootCert]}), isVerif('E_CERT_CHAIN'))
    const noInt = JSON.parse(JSON.stringify(bundle))
    noInt.verificationMaterial.x509CertificateChain.certificates.pop()
    await assert.rejects(verifyBundle(noInt, {method: 'certificate', certificateChainPaths: [pki.rootCert]}), isVerif('E_CERT_CHAIN'))
    // the same key in an expired / a non-signing certificate: the signature is fine, the certificate is not
    const swap = (certPath: string) => {
      const b = JSON.parse(JSON.stringify(bundle))
      b.verificationMaterial.x509CertificateChain.certificates[0].rawBytes = loadCertificates([certPath])[0].raw.toString('base64')
      return b
    }
    await assert.rejects(verifyBundle(swap(pki.expiredLeafCert), {method: 'certificate', certificateChainPaths: [pki.rootCert]}), isVerif('E_CERT_VALIDITY'))
    await assert.rejects(verifyBundle(swap(pki.noUsageLeafCert), {method: 'certificate', certificateChainPaths: [pki.rootCert]}), isVerif('E_CERT_USAGE'))
    // the whole chain is checked at the verification time: a month from now everything expired
    const later = new Date(Date.now() + 60 * 86400_000)
    await assert.rejects(verifyBundle(bundle, {method: 'certificate', certificateChainPaths: [pki.rootCert]}, {now: later}), isVerif('E_CERT_VALIDITY'))
    // a bundle signed by a key is not a certificate bundle
    const keyBundle = prepareSigner({method: 'key', privateKeyPath: pki.leafKey}).sign(payload, TYPE)
    await assert.rejects(verifyBundle(keyBundle, {method: 'certificate', certificateChainPaths: [pki.rootCert]}), isVerif('E_BUNDLE_METHOD'))
  })

  test('signing refuses a mismatched key, an expired or unusable certificate', () => {
    const spec = (cert: string, key = pki.leafKey) => ({
      method: 'certificate' as const,
      privateKeyPath: key,
      signingCertificatePath: cert,
      certificateChainPaths: [],
    })
    const isInput = (code: string) => (e: unknown) => e instanceof InputError && e.code === code
    assert.throws(() => prepareSigner(spec(pki.expiredLeafCert)), isInput('E_SIGNING_CERT_VALIDITY'))
    assert.throws(() => prepareSigner(spec(pki.noUsageLeafCert)), isInput('E_SIGNING_CERT_USAGE'))
    assert.throws(() => prepareSigner(spec(pki.leafCert, path.join(pki.dir, 'int.key'))), isInput('E_CERT_KEY_MISMATCH'))
    assert.throws(() => prepareSigner(spec(pki.leafKey)), isInput('E_CERT_MALFORMED'))
  })

  test('chain search ignores loops and non-CA issuers', () => {
    const [leaf] = loadCertificates([pki.leafCert])
    const [root] = loadCertificates([pki.rootCert])
    const [noUsage] = loadCertificates([pki.noUsageLeafCert])
    // a leaf cannot vouch for another leaf, and listing the leaf twice does not loop
    assert.throws(() => verifyCertificateChain(leaf, [leaf, noUsage, leaf], [root]), isVerif('E_CERT_CHAIN'))
    assert.deepEqual(keyUsage(leaf.raw), {digitalSignature: true, keyCertSign: false})
    assert.deepEqual(keyUsage(root.raw), {digitalSignature: false, keyCertSign: true})
  })

  test('the model_signing vector chain (leaf CN == issuer CN, RSA CAs, P-384 leaf)', {skip: omsVectorsSkip}, async () => {
    const dir = path.join(omsVectorsDir, 'model-transparency/scripts/tests')
    const v = await verifyBundle((await import('node:fs')).readFileSync(path.join(dir, 'v1.1.0-certificate/model.sig')), {
      method: 'certificate',
      certificateChainPaths: [path.join(dir, 'keys/certificate/ca-cert.pem')],
    })
    assert.equal(v.signer.chain?.at(-1), 'CN=root-ca')
  })
})
