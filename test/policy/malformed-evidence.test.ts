/** Malformed evidence is exit 3 (never "denied" or "allowed"); keyless attest scan through the CLI. */
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {assertCleanFailure, parseJson, runCli, tempDir} from '../helpers/cli.js'
import {githubClaims, MOCK_IDENTITY, startSigstoreMock, type SigstoreMock} from '../helpers/sigstore-mock.js'
import {makeKey, makeModel, policyYaml, signModelWith, writePolicy, type KeyPair} from './fixtures.js'
import {cleanOnnx} from './onnx-fixtures.js'

const tmp = tempDir('modelseal-policy-bad-')
let key: KeyPair
let model: string
let policy: string
let mock: SigstoreMock

before(async () => {
  mock = await startSigstoreMock()
  key = makeKey(path.join(tmp.dir, 'keys'), 'k')
  model = makeModel(path.join(tmp.dir, 'model'), {})
  cleanOnnx(path.join(model, 'model.onnx'))
  policy = writePolicy(
    tmp.dir,
    policyYaml({
      identities: `      k: {key: {path: ${key.pub}}}`,
      requirements: `    - id: s\n      type: signature\n      signedBy: {anyOf: [k]}`,
      expires: '2099-01-01T00:00:00Z',
    }),
  )
})
after(async () => {
  await mock?.close()
  tmp.cleanup()
})

test('a signature that is not a bundle, and an attestation whose statement is garbage, exit 3', async () => {
  const notJson = path.join(tmp.dir, 'not.sig')
  writeFileSync(notJson, 'this is not json')
  const r = await runCli(['policy', 'check', model, '--policy', policy, '--signature', notJson], {timeoutMs: 240_000})
  assert.equal(r.code, 3, r.stdout + r.stderr)
  assert.match(r.stderr, /^modelseal: E_BUNDLE_MALFORMED: /)
  assertCleanFailure(r)
  // A correctly signed envelope whose payload is not an in-toto statement.
  const {sig} = await signModelWith(model, key, path.join(tmp.dir, 'm.sig'))
  const {signPayload, serializeBundle} = await import('../../src/signing/index.js')
  const garbage = await signPayload(Buffer.from('{"_type": 42}'), 'application/vnd.in-toto+json', {method: 'key', privateKeyPath: key.priv})
  const att = path.join(tmp.dir, 'garbage.json')
  writeFileSync(att, serializeBundle(garbage))
  const r2 = await runCli(['policy', 'check', model, '--policy', policy, '--signature', sig, '--attestation', att, '--json'], {timeoutMs: 240_000})
  assert.equal(r2.code, 3, r2.stdout + r2.stderr)
  assert.equal(parseJson(r2).error.code, 'E_ATTESTATION_MALFORMED')
})

test('attest scan --sigstore signs keylessly; audit verifies and names the workflow identity', async () => {
  const out = path.join(tmp.dir, 'scan.sigstore.json')
  const a = await runCli(
    [
      'attest',
      'scan',
      model,
      '--sigstore',
      '--identity-token',
      mock.mintToken(githubClaims()),
      '--fulcio-url',
      mock.fulcioUrl,
      '--rekor-url',
      mock.rekorUrl,
      '--tsa-url',
      mock.tsaUrl,
      '--output',
      out,
      '--json',
    ],
    {env: {SIGSTORE_ID_TOKEN: '', ACTIONS_ID_TOKEN_REQUEST_URL: ''}, timeoutMs: 240_000},
  )
  assert.equal(a.code, 0, a.stderr)
  assert.equal(parseJson(a).method, 'sigstore')
  const root = mock.writeTrustedRoot(tmp.dir)
  const r = await runCli(['audit', model, '--attestation', out, '--trusted-root', root, '--json'], {timeoutMs: 240_000})
  assert.equal(r.code, 0, r.stderr)
  const att = parseJson(r).attestations[0]
  assert.equal(att.status, 'verified', att.note)
  assert.equal(att.signer.identity, MOCK_IDENTITY)
  assert.equal(att.aboutThisModel, true)
  assert.equal(att.predicateType, 'https://modelseal.dev/scan/v1')
})
