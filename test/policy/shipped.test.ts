/**
 * The shipped policies (policies/*.yaml), used the way the walk-through in docs/policy.md says:
 * copy, put your keys where the policy points, gate with one command. Also --decision-out.
 */
import assert from 'node:assert/strict'
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {parseDecisionStatement} from '../../src/policy/decision-statement.js'
import {parseStatement} from '../../src/attest/statement.js'
import {verifyBundle} from '../../src/signing/index.js'
import {signModel} from '../../src/oms/sign.js'
import {repoRoot, tempDir} from '../helpers/cli.js'
import {githubClaims, startSigstoreMock, type SigstoreMock} from '../helpers/sigstore-mock.js'
import {check, dataset, keySigner, makeKey, provenance, req, scanAttestation, scanReport, signModelWith, type KeyPair} from './fixtures.js'
import {cleanOnnx, contribOnnx} from './onnx-fixtures.js'

const tmp = tempDir('modelseal-policy-shipped-')
const pol = path.join(tmp.dir, 'gate')
let release: KeyPair, scanner: KeyPair, data: KeyPair, gate: KeyPair
let model: string
let evidence: string[]
let mock: SigstoreMock
const AT = '2026-12-01T00:00:00Z'

before(async () => {
  mkdirSync(path.join(pol, 'keys'), {recursive: true})
  mkdirSync(path.join(pol, 'trust'), {recursive: true})
  mock = await startSigstoreMock()
  mock.writeTrustedRoot(path.join(pol, 'trust'))
  for (const p of ['production', 'staging', 'audit']) copyFileSync(path.join(repoRoot, 'policies', `${p}.yaml`), path.join(pol, `${p}.yaml`))
  const keys = path.join(tmp.dir, 'private')
  ;[release, scanner, data, gate] = ['release', 'scanner', 'data-team', 'gate'].map((n) => makeKey(keys, n))
  for (const k of [release, scanner, data]) copyFileSync(k.pub, path.join(pol, 'keys', `${k.name}.pub`))
  model = path.join(tmp.dir, 'model')
  mkdirSync(model)
  cleanOnnx(path.join(model, 'model.onnx'))
  const {sig, rootDigest} = await signModelWith(model, release, path.join(tmp.dir, 'model.sig'))
  const scan = await scanAttestation(
    rootDigest,
    scanReport([], 'scanned', ['model.onnx']),
    keySigner(scanner),
    path.join(tmp.dir, 'scan.json'),
    new Date('2026-11-30T00:00:00Z'),
  )
  const ds = await dataset(tmp.dir, 'train', keySigner(data))
  const prov = await provenance(rootDigest, [ds.root], keySigner(release), path.join(tmp.dir, 'prov.json'))
  evidence = ['--signature', sig, '--attestation', scan, '--attestation', prov, '--dataset-manifest', ds.manifest]
})
after(async () => {
  await mock?.close()
  tmp.cleanup()
})

test('production.yaml: full evidence is allowed, and --decision-out writes a verifiable signed decision', async () => {
  const out = path.join(tmp.dir, 'decision.json')
  const {r, d} = await check(model, path.join(pol, 'production.yaml'), [...evidence, '--decision-out', out, '--private-key', gate.priv], AT)
  assert.equal(r.code, 0, JSON.stringify(d, null, 1) + r.stderr)
  assert.equal(d.decision, 'allow')
  assert.deepEqual(
    d.requirements.map((q: any) => [q.id, q.result]),
    ['model-signed', 'model-integrity', 'scan-clean', 'onnx-operators', 'training-data', 'size-limits'].map((id) => [id, 'pass']),
  )
  const env = await verifyBundle(readFileSync(out), {method: 'key', publicKeyPath: gate.pub})
  const st = parseStatement(env.payload, out)
  const dec = parseDecisionStatement(st, out)
  assert.equal(dec.verificationResult, 'PASSED')
  assert.equal(dec.subjectDigest, d.model.digest.sha256)
  assert.equal(dec.policy?.name, 'production-model-deploy')
})

test('production.yaml: missing scan attestation denies; a contrib operator denies', async () => {
  const noScan = evidence.filter((x, i) => !(x.endsWith('scan.json') || evidence[i + 1]?.endsWith('scan.json')))
  const {r, d} = await check(model, path.join(pol, 'production.yaml'), noScan, AT)
  assert.equal(r.code, 1)
  assert.equal(req(d, 'scan-clean').code, 'ATTESTATION_MISSING')
  const m2 = path.join(tmp.dir, 'model2')
  mkdirSync(m2)
  contribOnnx(path.join(m2, 'model.onnx'))
  const {sig} = await signModelWith(m2, release, path.join(tmp.dir, 'model2.sig'))
  const c = await check(m2, path.join(pol, 'production.yaml'), ['--signature', sig], AT)
  assert.equal(c.r.code, 1)
  assert.equal(req(c.d, 'onnx-operators').result, 'fail')
  assert.equal(req(c.d, 'model-signed').result, 'pass')
})

test('staging.yaml: signature enforced, everything else warns (signed model without other evidence is allowed)', async () => {
  const sigOnly = evidence.slice(0, 2)
  const {r, d} = await check(model, path.join(pol, 'staging.yaml'), sigOnly, AT)
  assert.equal(r.code, 0, JSON.stringify(d, null, 1))
  assert.equal(req(d, 'model-signed').result, 'pass')
  assert.equal(req(d, 'training-data').result, 'warn')
  // inline scan fallback ran (no attestation given) and found the clean model clean
  assert.equal(req(d, 'scan-clean').result, 'pass')
  const unsigned = await check(model, path.join(pol, 'staging.yaml'), [], AT)
  assert.equal(unsigned.r.code, 1)
  assert.equal(req(unsigned.d, 'model-signed').result, 'fail')
})

test('audit.yaml: never blocks, reports every shortfall', async () => {
  const {r, d} = await check(model, path.join(pol, 'audit.yaml'), [], AT)
  assert.equal(r.code, 0, JSON.stringify(d, null, 1))
  assert.equal(d.decision, 'allow')
  assert.equal(req(d, 'signed-by-known-identity').result, 'warn')
  assert.equal(req(d, 'two-person-release').result, 'warn')
  assert.ok(d.summary.warn >= 3)
  const full = await check(model, path.join(pol, 'audit.yaml'), evidence, AT)
  assert.equal(full.r.code, 0)
  assert.equal(req(full.d, 'signed-by-known-identity').result, 'pass')
  assert.equal(req(full.d, 'two-person-release').result, 'warn')
})

test('production.yaml keyless: the release workflow passes; the acme-evil near miss and a wrong ref fail', async () => {
  // Keyless signatures carry the real signing time, so evaluate just after it (policy expiry moved out).
  const p = path.join(pol, 'production-far.yaml')
  writeFileSync(p, readFileSync(path.join(pol, 'production.yaml'), 'utf8').replace(/expires: 2027-06-30T00:00:00Z/, 'expires: 2099-01-01T00:00:00Z'))
  const soon = new Date(Date.now() + 3600e3).toISOString()
  const sign = async (name: string, claims: Record<string, unknown>) => {
    const out = path.join(tmp.dir, `${name}.sig`)
    const signer = {
      method: 'sigstore' as const,
      identityToken: mock.mintToken(githubClaims(claims)),
      fulcioUrl: mock.fulcioUrl,
      rekorUrl: mock.rekorUrl,
      tsaUrl: mock.tsaUrl,
    }
    await signModel(model, {signer, signaturePath: out})
    return out
  }
  const good = await sign('ci', {})
  const ok = await check(model, p, ['--signature', good], soon)
  assert.equal(req(ok.d, 'model-signed').result, 'pass', JSON.stringify(ok.d, null, 1))
  assert.match(req(ok.d, 'model-signed').reason, /acme\/models.*as release-ci/)
  const evil = await sign('evil', {
    sub: 'https://github.com/acme-evil/models/.github/workflows/release.yml@refs/tags/v1.0.0',
    repository: 'acme-evil/models',
    workflow_ref: 'acme-evil/models/.github/workflows/release.yml@refs/tags/v1.0.0',
    job_workflow_ref: 'acme-evil/models/.github/workflows/release.yml@refs/tags/v1.0.0',
  })
  const bad = await check(model, p, ['--signature', evil], soon)
  assert.equal(bad.r.code, 1)
  assert.equal(req(bad.d, 'model-signed').result, 'fail')
  assert.match(bad.d.evidenceProblems[0].problem, /keyless release-ci/)
  const branch = await sign('branch', {sub: 'https://github.com/acme/models/.github/workflows/release.yml@refs/heads/main', ref: 'refs/heads/main'})
  const br = await check(model, p, ['--signature', branch], soon)
  assert.equal(req(br.d, 'model-signed').result, 'fail')
})

test('the shipped policies lint clean (no errors) once their keys are in place', async () => {
  const {runCli, parseJson} = await import('../helpers/cli.js')
  for (const p of ['production', 'staging', 'audit']) {
    const r = await runCli(['policy', 'lint', path.join(pol, `${p}.yaml`), '--at', AT, '--json'])
    assert.equal(r.code, 0, `${p}: ${r.stdout}${r.stderr}`)
    assert.equal(parseJson(r).errors, 0)
  }
})
