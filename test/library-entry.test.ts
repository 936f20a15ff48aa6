/**
 * The package's public entry (`import … from 'modelseal'` = dist/src/index.js): the documented
 * names exist and work together without the CLI.
 */
import assert from 'node:assert/strict'
import {cpSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import * as modelseal from '../src/index.js'
import {repoRoot, runCli, tempDir} from './helpers/cli.js'

const demoModel = path.join(repoRoot, 'testdata', 'demo-model')

test('the README names exist on the library entry point', () => {
  for (const name of ['digestModel', 'signModel', 'verifyModel', 'scanPaths', 'evaluatePolicy', 'loadPolicy', 'signPayload', 'verifyBundle', 'writeKeyPair']) {
    assert.equal(typeof (modelseal as Record<string, unknown>)[name], 'function', name)
  }
})

test('digestModel agrees with `modelseal digest`; signModel/verifyModel round-trip and catch tampering', async () => {
  const {manifest} = await modelseal.digestModel(demoModel, {method: 'files', hashType: 'sha256'})
  const cli = await runCli(['digest', demoModel])
  assert.equal(cli.code, 0, cli.stderr)
  assert.equal(cli.stdout.trim(), `sha256:${manifest.rootDigest}`)

  const tmp = tempDir('modelseal-lib-')
  try {
    const model = path.join(tmp.dir, 'model')
    cpSync(demoModel, model, {recursive: true})
    const keys = {privateKeyPath: path.join(tmp.dir, 'k.pem'), publicKeyPath: path.join(tmp.dir, 'k.pub')}
    modelseal.writeKeyPair({...keys, curve: 'p384'})
    const signaturePath = path.join(tmp.dir, 'model.sig')
    await modelseal.signModel(model, {signer: {method: 'key', privateKeyPath: keys.privateKeyPath}, signaturePath})
    const verifier = {method: 'key' as const, publicKeyPath: keys.publicKeyPath}
    const ok = await modelseal.verifyModel(model, {signaturePath, verifier})
    assert.equal(ok.verified, true)
    assert.equal(ok.rootDigest, manifest.rootDigest)

    writeFileSync(path.join(model, 'config.json'), '{"tampered": true}')
    await assert.rejects(modelseal.verifyModel(model, {signaturePath, verifier}), (err: unknown) => {
      assert.ok(err instanceof modelseal.VerificationError || (err as {exitCode?: number}).exitCode === 1, String(err))
      return true
    })
  } finally {
    tmp.cleanup()
  }
})
