/**
 * Keyless signing/verification at the library level, against local Fulcio/Rekor/TSA servers:
 * every check of the verifier is made to fail once, with the check named in the error.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'

import {ExitCode, ModelsealError} from '../../../src/errors.js'
import {signKeyless, verifyKeyless} from '../../../src/signing/keyless/index.js'
import {compilePolicy, enforcePolicy} from '../../../src/signing/keyless/policy.js'
import type {BundleJson, KeylessVerifyOptions} from '../../../src/signing/types.js'
import {githubClaims, MOCK_IDENTITY, MOCK_ISSUER, startSigstoreMock, tempDir, type SigstoreMock} from './keyless-helpers.js'

const TYPE = 'application/vnd.in-toto+json'
const PAYLOAD = Buffer.from(JSON.stringify({_type: 'https://in-toto.io/Statement/v1', subject: [], predicate: {}}))

let mock: SigstoreMock
let tmp: {dir: string; cleanup: () => void}
let trustedRootPath: string
let good: BundleJson
let other: BundleJson

const clone = (b: BundleJson): any => JSON.parse(JSON.stringify(b))
const base = (): KeylessVerifyOptions => ({identity: MOCK_IDENTITY, issuer: MOCK_ISSUER, trustedRootPath})

async function sign(claims = githubClaims(), payload = PAYLOAD, m = mock): Promise<BundleJson> {
  return signKeyless(payload, TYPE, {
    identityToken: m.mintToken(claims),
    fulcioUrl: m.fulcioUrl,
    rekorUrl: m.rekorUrl,
    tsaUrl: m.tsaUrl,
    retries: 0,
    env: {},
  })
}

/** Asserts verification fails with `code` (exit 1 unless said otherwise). */
async function rejects(bundle: unknown, opts: KeylessVerifyOptions, code: string, exit: number = ExitCode.FAILED): Promise<string> {
  try {
    await verifyKeyless(bundle, opts)
  } catch (err) {
    assert.ok(err instanceof ModelsealError, `not a ModelsealError: ${String(err)}`)
    assert.equal(err.code, code, err.message)
    assert.equal(err.exitCode, exit, err.message)
    return err.message
  }
  assert.fail(`verification passed, expected ${code}`)
}

before(async () => {
  mock = await startSigstoreMock()
  tmp = tempDir('modelseal-keyless-')
  trustedRootPath = mock.writeTrustedRoot(tmp.dir)
  good = await sign()
  other = await sign(githubClaims(), Buffer.from('{"other":true}'))
})
after(async () => {
  await mock?.close()
  tmp?.cleanup()
})

describe('keyless bundle', () => {
  test('has the shape model_signing writes: v0.3, leaf certificate, Rekor v1 dsse entry, RFC 3161 timestamp', () => {
    const b = good as any
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json')
    assert.deepEqual(Object.keys(b), ['mediaType', 'verificationMaterial', 'dsseEnvelope'])
    assert.ok(b.verificationMaterial.certificate.rawBytes)
    assert.equal(b.verificationMaterial.x509CertificateChain, undefined)
    const [e] = b.verificationMaterial.tlogEntries
    assert.deepEqual(e.kindVersion, {kind: 'dsse', version: '0.0.1'})
    assert.ok(e.inclusionPromise.signedEntryTimestamp && e.inclusionProof.checkpoint.envelope)
    const body = JSON.parse(Buffer.from(e.canonicalizedBody, 'base64').toString())
    assert.equal(body.spec.payloadHash.value, createHash('sha256').update(PAYLOAD).digest('hex'))
    assert.equal(b.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1)
    assert.equal(b.dsseEnvelope.payloadType, TYPE)
    assert.deepEqual(Object.keys(b.dsseEnvelope.signatures[0]), ['sig'])
  })

  test('verifies by identity and issuer and reports SAN, issuer, extensions, log entry and times', async () => {
    const v = await verifyKeyless(good, {...base(), extensions: {sourceRepositoryURI: 'https://github.com/acme/models'}})
    assert.deepEqual(v.payload, PAYLOAD)
    assert.equal(v.payloadType, TYPE)
    const s = v.signer
    assert.equal(s.method, 'sigstore')
    assert.deepEqual(s.subjectAlternativeNames, [MOCK_IDENTITY])
    assert.equal(s.oidcIssuer, MOCK_ISSUER)
    assert.equal(s.extensions?.sourceRepositoryRef, 'refs/tags/v1.0.0')
    assert.equal(s.extensions?.buildSignerURI, 'https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1.0.0')
    assert.equal(s.tlog?.length, 1)
    assert.match(s.tlog![0].logIndex, /^\d+$/)
    assert.ok(Math.abs(Date.parse(s.tlog![0].integratedTime!) - Date.now()) < 600_000)
    assert.equal(s.timestamps?.length, 1)
    assert.match(s.trustSource!, /^trusted-root-file:/)
  })
})

describe('identity policy', () => {
  test('wrong identity, wrong issuer, wrong extension', async () => {
    await rejects(good, {...base(), identity: `${MOCK_IDENTITY}x`}, 'E_SIGSTORE_IDENTITY')
    await rejects(good, {...base(), issuer: 'https://token.actions.githubusercontent.co'}, 'E_SIGSTORE_ISSUER')
    await rejects(good, {...base(), extensions: {sourceRepositoryRef: 'refs/heads/main'}}, 'E_SIGSTORE_EXTENSION')
    await rejects(good, {...base(), extensionRegexps: {sourceRepositoryURI: 'https://github.com/acme'}}, 'E_SIGSTORE_EXTENSION')
  })

  test('regular expressions are anchored: "acme" never matches "acme-evil"', async () => {
    const evil = await sign(githubClaims({sub: 'acme-evil', iss: 'https://issuer.example/acme-evil'}))
    await rejects(evil, {...base(), identity: undefined, identityRegexp: 'acme', issuer: 'https://issuer.example/acme-evil'}, 'E_SIGSTORE_IDENTITY')
    await rejects(evil, {...base(), identity: undefined, identityRegexp: 'acme', issuer: undefined, issuerRegexp: '.*'}, 'E_SIGSTORE_IDENTITY')
    await rejects(evil, {...base(), identity: 'acme-evil', issuer: undefined, issuerRegexp: 'https://issuer\\.example/acme'}, 'E_SIGSTORE_ISSUER')
    // An alternation must not escape the anchors either.
    await rejects(evil, {...base(), identity: undefined, identityRegexp: 'nobody|acme', issuer: undefined, issuerRegexp: '.*'}, 'E_SIGSTORE_IDENTITY')
    const ok = await verifyKeyless(evil, {
      ...base(),
      identity: undefined,
      identityRegexp: 'acme-.*',
      issuer: undefined,
      issuerRegexp: 'https://issuer\\.example/.*',
    })
    assert.deepEqual(ok.signer.subjectAlternativeNames, ['acme-evil'])
    // Exact matching treats regex metacharacters literally.
    await rejects(good, {...base(), identity: MOCK_IDENTITY.replace('.yml', '.ym.')}, 'E_SIGSTORE_IDENTITY')
  })

  test('issuer extensions that disagree (v2 vs legacy, which model_signing reads) fail', () => {
    const policy = compilePolicy({identity: 'a', issuer: 'https://x'})
    const id = {subjectAlternativeNames: ['a'], issuer: 'https://x', extensions: {}}
    enforcePolicy(policy, {...id, legacyIssuer: 'https://x'})
    assert.throws(() => enforcePolicy(policy, {...id, legacyIssuer: 'https://y'}), {code: 'E_SIGSTORE_ISSUER'})
  })

  test('an expected signer and issuer are required; bad patterns are usage errors', async () => {
    await rejects(good, {trustedRootPath, issuer: MOCK_ISSUER}, 'E_SIGSTORE_POLICY', ExitCode.USAGE)
    await rejects(good, {trustedRootPath, identity: MOCK_IDENTITY}, 'E_SIGSTORE_POLICY', ExitCode.USAGE)
    await rejects(good, {...base(), identity: undefined, identityRegexp: '('}, 'E_SIGSTORE_BAD_REGEXP', ExitCode.USAGE)
    await rejects(good, {...base(), extensions: {noSuchExtension: 'x'}}, 'E_SIGSTORE_POLICY', ExitCode.USAGE)
  })
})

describe('tampering and missing evidence', () => {
  test('a tampered payload fails', async () => {
    const b = clone(good)
    b.dsseEnvelope.payload = Buffer.from('{"_type":"evil"}').toString('base64')
    const msg = await rejects(b, base(), 'E_SIGSTORE_TLOG_BODY')
    assert.match(msg, /transparency log entry check failed/)
  })

  test('a tampered signature fails', async () => {
    const b = clone(good)
    const sig = Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64')
    sig[sig.length - 1] ^= 1
    b.dsseEnvelope.signatures[0].sig = sig.toString('base64')
    // The TSA timestamp covers the signature bytes, so the first check to notice is the time.
    await rejects(b, base(), 'E_SIGSTORE_TIMESTAMP')
  })

  test('a log entry made for another signature fails', async () => {
    const b = clone(good)
    b.verificationMaterial.tlogEntries = clone(other).verificationMaterial.tlogEntries
    await rejects(b, base(), 'E_SIGSTORE_TLOG_BODY')
  })

  test('a log entry naming another certificate fails (model_signing parity)', async () => {
    const b = clone(good)
    const sig = b.dsseEnvelope.signatures[0].sig
    const otherPem = pem(clone(other).verificationMaterial.certificate.rawBytes)
    b.verificationMaterial.tlogEntries = [await logEntry(mock, PAYLOAD, sig, otherPem)]
    const msg = await rejects(b, base(), 'E_SIGSTORE_TLOG_BODY')
    assert.match(msg, /different certificate/)
    // The same forged-entry route with the right certificate verifies: the test isolates the check.
    const fine = clone(good)
    fine.verificationMaterial.tlogEntries = [await logEntry(mock, PAYLOAD, sig, pem(fine.verificationMaterial.certificate.rawBytes))]
    await verifyKeyless(fine, base())
  })

  test('no trusted time (no RFC 3161 timestamp, no inclusion promise) fails', async () => {
    const b = clone(good)
    b.verificationMaterial.timestampVerificationData = {rfc3161Timestamps: []}
    delete b.verificationMaterial.tlogEntries[0].inclusionPromise
    const msg = await rejects(b, base(), 'E_SIGSTORE_TIMESTAMP')
    assert.match(msg, /trusted time check failed/)
  })

  test('either time source alone is enough (model_signing v1.0 bundles have only the Rekor promise)', async () => {
    const noTsa = clone(good)
    noTsa.verificationMaterial.timestampVerificationData = {rfc3161Timestamps: []}
    assert.equal((await verifyKeyless(noTsa, base())).signer.timestamps?.length, 0)
    const noSet = clone(good)
    delete noSet.verificationMaterial.tlogEntries[0].inclusionPromise
    assert.equal((await verifyKeyless(noSet, base())).signer.tlog?.[0].integratedTime, undefined)
  })

  test('an inclusion proof that disagrees with its signed checkpoint fails (model_signing parity)', async () => {
    const b = clone(good)
    const root = Buffer.from(b.verificationMaterial.tlogEntries[0].inclusionProof.rootHash, 'base64')
    root[0] ^= 1
    b.verificationMaterial.tlogEntries[0].inclusionProof.rootHash = root.toString('base64')
    await rejects(b, base(), 'E_SIGSTORE_TLOG_INCLUSION')
    const c = clone(good)
    c.verificationMaterial.tlogEntries[0].inclusionProof.treeSize = '2'
    await rejects(c, base(), 'E_SIGSTORE_TLOG_INCLUSION')
  })

  test('no transparency log entry fails', async () => {
    const b = clone(good)
    b.verificationMaterial.tlogEntries = []
    await rejects(b, base(), 'E_SIGSTORE_TLOG')
  })

  test('a log entry without inclusion proof or promise fails', async () => {
    const b = clone(good)
    delete b.verificationMaterial.tlogEntries[0].inclusionPromise
    delete b.verificationMaterial.tlogEntries[0].inclusionProof
    // The bundle format itself requires a proof in v0.3: malformed input.
    await rejects(b, base(), 'E_SIGSTORE_BUNDLE_MALFORMED', ExitCode.INPUT)
  })
})

describe('trust', () => {
  test('a certificate from a CA outside the trusted root fails the chain check', async () => {
    const m2 = await startSigstoreMock()
    try {
      const foreign = await sign(githubClaims(), PAYLOAD, m2)
      // Trust m2's logs and TSA but not its CA: only the chain check can fail.
      const mixed = {...m2.trustedRoot, certificateAuthorities: mock.trustedRoot.certificateAuthorities}
      const p = writeJson(`${tmp.dir}/mixed.json`, mixed)
      await rejects(foreign, {...base(), trustedRootPath: p}, 'E_SIGSTORE_CERTIFICATE')
      // ... and nothing from a foreign instance verifies against ours.
      await rejects(foreign, base(), 'E_SIGSTORE_TIMESTAMP')
    } finally {
      await m2.close()
    }
  })

  test('a trusted root without the CT log fails the SCT check', async () => {
    const p = writeJson(`${tmp.dir}/no-ct.json`, {...mock.trustedRoot, ctlogs: []})
    await rejects(good, {...base(), trustedRootPath: p}, 'E_SIGSTORE_SCT')
  })

  test('malformed trusted roots and bundles are input errors (exit 3)', async () => {
    await rejects(good, {...base(), trustedRootPath: writeJson(`${tmp.dir}/bad1.json`, {mediaType: 'x'})}, 'E_SIGSTORE_TRUSTED_ROOT', ExitCode.INPUT)
    const badKey = clone(mock.trustedRoot)
    badKey.tlogs[0].publicKey.rawBytes = Buffer.from('not a key').toString('base64')
    await rejects(good, {...base(), trustedRootPath: writeJson(`${tmp.dir}/bad2.json`, badKey)}, 'E_SIGSTORE_TRUSTED_ROOT', ExitCode.INPUT)
    await rejects(good, {...base(), trustedRootPath: `${tmp.dir}/missing.json`}, 'E_SIGSTORE_TRUSTED_ROOT', ExitCode.INPUT)
    await rejects({mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json'}, base(), 'E_SIGSTORE_BUNDLE_MALFORMED', ExitCode.INPUT)
    await rejects([], base(), 'E_SIGSTORE_BUNDLE_MALFORMED', ExitCode.INPUT)
    const badCert = clone(good)
    badCert.verificationMaterial.certificate.rawBytes = Buffer.from('garbage').toString('base64')
    await rejects(badCert, base(), 'E_SIGSTORE_BUNDLE_MALFORMED', ExitCode.INPUT)
  })

  test('a key-signed bundle is not a keyless signature', async () => {
    const b = clone(good)
    b.verificationMaterial = {publicKey: {hint: 'ab'.repeat(32)}, tlogEntries: []}
    await rejects(b, base(), 'E_SIGSTORE_NOT_KEYLESS')
  })
})

function pem(b64Der: string): string {
  return `-----BEGIN CERTIFICATE-----\n${b64Der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`
}

function writeJson(p: string, v: unknown): string {
  writeFileSync(p, JSON.stringify(v))
  return p
}

/** Logs a hand-made dsse body in the mock Rekor and returns it as a bundle tlog entry. */
async function logEntry(m: SigstoreMock, payload: Buffer, sigB64: string, verifierPem: string): Promise<unknown> {
  const body = {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      payloadHash: {algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex')},
      signatures: [{signature: sigB64, verifier: Buffer.from(verifierPem).toString('base64')}],
    },
  }
  const res = await fetch(`${m.rekorUrl}/api/v1/log/entries`, {method: 'POST', body: JSON.stringify(body)})
  const [e] = Object.values((await res.json()) as Record<string, any>)
  const p = e.verification.inclusionProof
  return {
    logIndex: String(e.logIndex),
    logId: {keyId: Buffer.from(e.logID, 'hex').toString('base64')},
    kindVersion: {kind: 'dsse', version: '0.0.1'},
    integratedTime: String(e.integratedTime),
    inclusionPromise: {signedEntryTimestamp: e.verification.signedEntryTimestamp},
    inclusionProof: {
      logIndex: String(p.logIndex),
      rootHash: Buffer.from(p.rootHash, 'hex').toString('base64'),
      treeSize: String(p.treeSize),
      hashes: [],
      checkpoint: {envelope: p.checkpoint},
    },
    canonicalizedBody: e.body,
  }
}
