/** modelseal audit: who signed, when, what is covered, which attestations exist — verified vs read. */
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {signModel} from '../../src/oms/sign.js'
import {parseJson, runCli, tempDir} from '../helpers/cli.js'
import {githubClaims, MOCK_IDENTITY, MOCK_ISSUER, startSigstoreMock, type SigstoreMock} from '../helpers/sigstore-mock.js'
import {keySigner, makeKey, makeModel, scanAttestation, scanReport, signModelWith, type KeyPair} from './fixtures.js'

const tmp = tempDir('modelseal-audit-')
let mock: SigstoreMock
let key: KeyPair
let model: string
let keySig: string
let keylessSig: string
let trustedRoot: string
let scanOk: string
let scanOther: string

before(async () => {
  mock = await startSigstoreMock()
  mkdirSync(path.join(tmp.dir, 'trust'))
  trustedRoot = mock.writeTrustedRoot(path.join(tmp.dir, 'trust'))
  key = makeKey(path.join(tmp.dir, 'keys'), 'release')
  model = makeModel(path.join(tmp.dir, 'model'))
  const s = await signModelWith(model, key, path.join(tmp.dir, 'key.sig'))
  keySig = s.sig
  keylessSig = path.join(tmp.dir, 'keyless.sig')
  await signModel(model, {
    signer: {method: 'sigstore', identityToken: mock.mintToken(githubClaims()), fulcioUrl: mock.fulcioUrl, rekorUrl: mock.rekorUrl, tsaUrl: mock.tsaUrl},
    signaturePath: keylessSig,
  })
  scanOk = await scanAttestation(s.rootDigest, scanReport([]), keySigner(key), path.join(tmp.dir, 'scan.json'), new Date('2026-11-30T00:00:00Z'))
  scanOther = await scanAttestation('ab'.repeat(32), scanReport([]), keySigner(key), path.join(tmp.dir, 'scan-other.json'), new Date('2026-11-30T00:00:00Z'))
  writeFileSync(path.join(model, 'added-later.txt'), 'not signed')
})
after(async () => {
  await mock?.close()
  tmp.cleanup()
})

test('audit --json: verified key and keyless signers, log index, coverage, attestations about this or another model', async () => {
  const r = await runCli(
    [
      'audit',
      model,
      '--signature',
      keySig,
      '--signature',
      keylessSig,
      '--attestation',
      scanOk,
      '--attestation',
      scanOther,
      '--public-key',
      key.pub,
      '--trusted-root',
      trustedRoot,
      '--json',
    ],
    {timeoutMs: 240_000},
  )
  assert.equal(r.code, 0, r.stderr)
  const a = parseJson(r)
  assert.equal(a.reportVersion, '1')
  const [k, kl] = a.signatures
  assert.equal(k.status, 'verified')
  assert.match(k.signer.keyFingerprint, /^[0-9a-f]{64}$/)
  assert.deepEqual(k.content.notCovered, ['added-later.txt'])
  assert.equal(k.content.matches, false)
  assert.equal(kl.status, 'verified', kl.note)
  assert.equal(kl.signer.identity, MOCK_IDENTITY)
  assert.equal(kl.signer.issuer, MOCK_ISSUER)
  assert.equal(kl.signer.sourceRepository, 'https://github.com/acme/models')
  assert.ok(kl.signer.tlog.length >= 1 && /^\d+$/.test(kl.signer.tlog[0].logIndex))
  assert.ok(kl.signedAt)
  assert.equal(kl.resources.length, 2)
  const [s1, s2] = a.attestations
  assert.equal(s1.status, 'verified')
  assert.equal(s1.aboutThisModel, false, 'the model changed after the scan (a file was added)')
  assert.equal(s2.aboutThisModel, false)
  assert.ok(a.facts.some((f: any) => f.status === 'verified' && /signed by .*acme\/models/.test(f.fact)))
})

test('audit without trust material reads but does not verify; markdown output', async () => {
  const r = await runCli(['audit', model, '--signature', keySig, '--format', 'markdown'], {timeoutMs: 240_000})
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^# Provenance audit of /m)
  assert.match(r.stdout, /key\.sig — READ/)
  assert.match(r.stdout, /pass --public-key to verify it/)
  // An unverified bundle's key hint is not signed: it names nobody.
  assert.match(r.stdout, /\[read\] .*signature not verified \(no trust material for it\); its signer is unknown/)
  assert.doesNotMatch(r.stdout, /signed by key sha256:/)
  const bad = await runCli(['audit', model, '--signature', path.join(model, 'config.json')])
  assert.equal(bad.code, 3)
})
