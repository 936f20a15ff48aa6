/**
 * scan, audit and policy check of oci:// references against the real registry: scan only
 * after a verified pull; audit and policy check get the digest-checked files plus every
 * attached signature and judge them with their own trust material.
 */
import assert from 'node:assert/strict'
import {cpSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {assertCleanFailure, parseJson, repoRoot, runCli, tempDir, type CliResult} from '../helpers/cli.js'
import {registrySkip, startRegistry, type RealRegistry} from './registry.js'

const tmp = tempDir('modelseal-oci-cmds-')
const at = (...p: string[]) => path.join(tmp.dir, ...p)
let reg: RealRegistry | undefined
const P = ['--plain-http']
const cli = (args: string[]): Promise<CliResult> => runCli(args, {env: {DOCKER_CONFIG: at('no-docker')}, timeoutMs: 180_000})
const ref = () => `oci://${reg?.host}/demo/model:v1`
// Only the CLI's own temporary pulls: other test files running beside this one make their own temp dirs.
const leftovers = () => readdirSync(tmpdir()).filter((n) => n.startsWith('modelseal-oci-pull-') || n.startsWith('modelseal-pull-sig-'))

const policy = (keyFile: string) => `apiVersion: modelseal.dev/v1alpha1
kind: ModelPolicy
metadata: {name: oci-gate, version: 1.0.0, owner: ml@example.com}
spec:
  mode: enforce
  expires: 2099-01-01T00:00:00Z
  trust:
    identities:
      release-key:
        key: {path: ${keyFile}}
  requirements:
    - id: model-signed
      type: signature
      signedBy: {anyOf: [release-key]}
    - id: model-integrity
      type: integrity
      unsignedFiles: forbid
`

before(async () => {
  if (registrySkip) return
  reg = await startRegistry()
  cpSync(path.join(repoRoot, 'testdata', 'demo-model'), at('model'), {recursive: true})
  for (const name of ['k', 'other']) {
    const k = await cli(['keys', 'generate', '--private-key', at(`${name}.pem`), '--public-key', at(`${name}.pub`)])
    assert.equal(k.code, 0, k.stderr)
  }
  assert.equal((await cli(['push', at('model'), ref(), ...P])).code, 0)
  assert.equal((await cli(['sign', 'key', ref(), '--private-key', at('k.pem'), ...P])).code, 0)
  writeFileSync(at('policy.yaml'), policy(at('k.pub')))
  writeFileSync(at('policy-other.yaml'), policy(at('other.pub')))
})
after(async () => {
  await reg?.stop()
  tmp.cleanup()
})

describe('scan, audit and policy check of oci:// models', {skip: registrySkip, concurrency: false}, () => {
  const before = leftovers()

  test('scan oci:// pulls and verifies first, then scans; without --verify it is a usage error', async () => {
    const r = await cli(['scan', ref(), '--verify', 'key', '--public-key', at('k.pub'), ...P, '--json'])
    assert.ok(r.code === 0 || r.code === 1, r.stderr)
    const j = parseJson(r)
    assert.ok(j.summary.files >= 1, JSON.stringify(j.summary))
    const bad = await cli(['scan', ref(), '--verify', 'key', '--public-key', at('other.pub'), ...P])
    assert.equal(bad.code, 1, bad.stderr)
    assert.match(bad.stderr, /verification failed/)
    const usage = await cli(['scan', ref(), ...P])
    assert.equal(usage.code, 2, usage.stderr)
    assertCleanFailure(usage)
  })

  test('audit oci:// reports the attached signature, verified with the given key', async () => {
    const r = await cli(['audit', ref(), '--public-key', at('k.pub'), ...P, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const j = parseJson(r)
    assert.match(j.model.path, /^oci:\/\/.+@sha256:[a-f0-9]{64}$/)
    assert.match(JSON.stringify(j), /verified/)
  })

  test('policy check oci://: allow with the trusted key, deny (exit 1) with another', async () => {
    const ok = await cli(['policy', 'check', ref(), '--policy', at('policy.yaml'), ...P, '--json'])
    assert.equal(ok.code, 0, ok.stderr + ok.stdout)
    assert.equal(parseJson(ok).decision, 'allow')
    const deny = await cli(['policy', 'check', ref(), '--policy', at('policy-other.yaml'), ...P, '--json'])
    assert.equal(deny.code, 1, deny.stderr + deny.stdout)
    assert.equal(parseJson(deny).decision, 'deny')
  })

  test('the temporary pulls are removed', () => {
    assert.deepEqual(
      leftovers().filter((n) => !before.includes(n)),
      [],
    )
  })
})
