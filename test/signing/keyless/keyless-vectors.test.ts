/**
 * The public-good bundles written by model_signing (and the OMS spec's sigstore vector) verify
 * air-gapped against the public-good trusted root with their signer's identity, and with no
 * other. (Model comparison for these vectors is covered by keyless-cli.test.ts.)
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, test} from 'node:test'

import {ModelsealError} from '../../../src/errors.js'
import {verifyKeyless} from '../../../src/signing/keyless/index.js'
import type {KeylessVerifyOptions} from '../../../src/signing/types.js'
import {omsVectorsDir, omsVectorsSkip} from '../../helpers/cli.js'

const ID = 'stefanb@us.ibm.com'
const ISSUER = 'https://sigstore.verify.ibm.com/oauth2'
const trustedRootPath = path.join(omsVectorsDir, 'sigstore-public-good', 'trusted_root.json')
const vectors = {
  'v1.1.0-sigstore': path.join(omsVectorsDir, 'model-transparency', 'scripts', 'tests', 'v1.1.0-sigstore', 'model.sig'),
  'v1.0.1-sigstore': path.join(omsVectorsDir, 'model-transparency', 'scripts', 'tests', 'v1.0.1-sigstore', 'model.sig'),
  'spec sigstore.bundle.json': path.join(omsVectorsDir, 'ossf-model-signing-spec', 'test-vectors', 'v1.0', 'valid', 'sigstore.bundle.json'),
}

async function failsWith(bundle: unknown, opts: KeylessVerifyOptions, code: string): Promise<void> {
  await assert.rejects(verifyKeyless(bundle, opts), (err: unknown) => {
    assert.ok(err instanceof ModelsealError)
    assert.equal(err.code, code, err.message)
    assert.equal(err.exitCode, 1)
    return true
  })
}

describe('public-good vectors (offline)', {skip: omsVectorsSkip}, () => {
  for (const [name, file] of Object.entries(vectors)) {
    test(`${name}: verifies as ${ID}, and as nobody else`, async () => {
      const bundle = JSON.parse(readFileSync(file, 'utf8'))
      const v = await verifyKeyless(bundle, {identity: ID, issuer: ISSUER, trustedRootPath})
      assert.deepEqual(v.signer.subjectAlternativeNames, [ID])
      assert.equal(v.signer.oidcIssuer, ISSUER)
      assert.equal(v.signer.tlog?.length, 1)
      // The shipped root (--offline) verifies them too.
      await verifyKeyless(bundle, {identity: ID, issuer: ISSUER, offline: true, tufCachePath: path.join(omsVectorsDir, 'no-such-cache')})
      for (const identity of ['stefanb@us.ibm.co', 'Stefanb@us.ibm.com', 'stefanb@us.ibm.com.evil', 'someone@example.com']) {
        await failsWith(bundle, {identity, issuer: ISSUER, trustedRootPath}, 'E_SIGSTORE_IDENTITY')
      }
      await failsWith(bundle, {identity: ID, issuer: 'https://sigstore.verify.ibm.com/oauth', trustedRootPath}, 'E_SIGSTORE_ISSUER')
      await failsWith(bundle, {identity: ID, issuer: 'https://github.com/login/oauth', trustedRootPath}, 'E_SIGSTORE_ISSUER')
      await failsWith(bundle, {identityRegexp: 'stefanb', issuer: ISSUER, trustedRootPath}, 'E_SIGSTORE_IDENTITY')
      await verifyKeyless(bundle, {identityRegexp: 'stefanb@us\\.ibm\\.com', issuerRegexp: 'https://sigstore\\.verify\\.ibm\\.com/.*', trustedRootPath})
      const tampered = JSON.parse(JSON.stringify(bundle))
      tampered.dsseEnvelope.payload = Buffer.from('{}').toString('base64')
      await failsWith(tampered, {identity: ID, issuer: ISSUER, trustedRootPath}, 'E_SIGSTORE_TLOG_BODY')
    })
  }
})
