/**
 * Library entry points: `digestModel(path)` works with no options (model_signing's defaults),
 * and every entry point answers wrong arguments with a typed error (E_BAD_ARGUMENT, exit 2 if it
 * reached the CLI) naming the function and the argument — never a raw TypeError.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'

import * as modelseal from '../../src/index.js'
import {repoRoot, runCli} from '../helpers/cli.js'

const demoModel = path.join(repoRoot, 'testdata', 'demo-model')

test('digestModel(path) with no options: files, sha256, the same digest as `modelseal digest`', async () => {
  const {manifest} = await modelseal.digestModel(demoModel)
  assert.equal(manifest.serialization.method, 'files')
  assert.equal(manifest.serialization.hashType, 'sha256')
  const cli = await runCli(['digest', demoModel])
  assert.equal(cli.stdout.trim(), `sha256:${manifest.rootDigest}`)
})

test('wrong arguments are typed errors naming the function and the argument', async () => {
  const lib = modelseal as unknown as Record<string, (...a: unknown[]) => unknown>
  const calls: [string, unknown[], RegExp][] = [
    ['digestModel', [], /digestModel: modelPath/],
    ['digestModel', [42], /digestModel: modelPath/],
    ['digestModel', [demoModel, 'files'], /digestModel: options must be an object/],
    ['signModel', [demoModel], /signModel: options is required/],
    ['signModel', [demoModel, {}], /signModel: options.signer is required/],
    ['signModel', [demoModel, {signer: {method: 'pgp'}}], /signModel: options.signer.method must be one of key, certificate, sigstore/],
    ['verifyModel', [demoModel, {}], /verifyModel: options.signaturePath/],
    ['verifyModel', [demoModel, {signaturePath: 'x.sig'}], /verifyModel: options.verifier is required/],
    ['scanPaths', ['model.onnx'], /scanPaths: paths must be an array/],
    ['scanPaths', [[demoModel], 7], /scanPaths: options must be an object/],
    ['loadPolicy', [undefined], /loadPolicy: file/],
    ['evaluatePolicy', [{}, undefined], /evaluatePolicy: evidence is required/],
    ['signPayload', ['text', 'application/json', {method: 'key', privateKeyPath: 'k'}], /signPayload: payload must be a Buffer/],
    ['verifyBundle', [{}, null], /verifyBundle: spec must be an object, got null/],
    ['writeKeyPair', [{privateKeyPath: 'k.pem'}], /writeKeyPair: options.publicKeyPath/],
  ]
  for (const [name, args, re] of calls) {
    assert.equal(typeof lib[name], 'function', name)
    await assert.rejects(
      (async () => lib[name](...args))(),
      (err: unknown) => {
        assert.ok(err instanceof modelseal.ModelsealError, `${name}: ${String(err)}`)
        assert.equal((err as modelseal.ModelsealError).code, 'E_BAD_ARGUMENT', `${name}: ${(err as Error).message}`)
        assert.match((err as Error).message, re)
        return true
      },
      name,
    )
  }
})
