/** policy check: signature, integrity and limits requirements, thresholds over distinct signers. */
import assert from 'node:assert/strict'
import {createHash, createPublicKey} from 'node:crypto'
import {appendFileSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {assertCleanFailure, tempDir} from '../helpers/cli.js'
import {check, makeKey, makeModel, policyYaml, req, signModelWith, writePolicy, type KeyPair} from './fixtures.js'

const tmp = tempDir('modelseal-policy-sig-')
let alice: KeyPair, bob: KeyPair, carol: KeyPair, mallory: KeyPair
let model: string
const sigs: Record<string, string> = {}

function fp(k: KeyPair): string {
  const pem = createPublicKey(readFileSync(k.pub)).export({type: 'spki', format: 'pem'}) as string
  return createHash('sha256').update(pem).digest('hex')
}

before(async () => {
  const keys = path.join(tmp.dir, 'keys')
  ;[alice, bob, carol, mallory] = ['alice', 'bob', 'carol', 'mallory'].map((n) => makeKey(keys, n))
  model = makeModel(path.join(tmp.dir, 'model'))
  for (const k of [alice, bob, mallory]) sigs[k.name] = (await signModelWith(model, k, path.join(tmp.dir, `${k.name}.sig`))).sig
  // A second, distinct signature file by alice: must not count as a second signer.
  sigs.alice2 = (await signModelWith(model, alice, path.join(tmp.dir, 'alice2.sig'))).sig
})
after(() => tmp.cleanup())

const ids = () => `      alice: {key: {path: ${alice.pub}}}
      bob: {key: {path: ${bob.pub}}}
      carol: {key: {path: ${carol.pub}}}
      alice-by-fp: {key: {fingerprint: "sha256:${fp(alice)}"}}`

function policy(name: string, requirements: string, extra: Partial<Parameters<typeof policyYaml>[0]> = {}): string {
  return writePolicy(tmp.dir, policyYaml({identities: ids(), requirements, ...extra}), `${name}.yaml`)
}

const SIGNED_ANY = `    - id: model-signed
      type: signature
      signedBy: {anyOf: [alice, bob]}
    - id: integrity
      type: integrity
      allowedAlgorithms: [sha256]
    - id: limits
      type: limits
      maxFiles: 10
      maxTotalBytes: 1MB`

test('unsigned model: denied, SIGNATURE_MISSING, exit 1', async () => {
  const {r, d} = await check(model, policy('any', SIGNED_ANY))
  assert.equal(r.code, 1, r.stderr)
  assert.equal(d.decision, 'deny')
  assert.equal(req(d, 'model-signed').result, 'fail')
  assert.equal(req(d, 'model-signed').code, 'SIGNATURE_MISSING')
  assert.equal(req(d, 'integrity').result, 'fail')
  assert.equal(req(d, 'limits').result, 'pass')
})

test('signed by an approved key: allowed, exit 0, stable JSON shape', async () => {
  const {r, d} = await check(model, policy('any', SIGNED_ANY), ['--signature', sigs.alice])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.equal(d.decision, 'allow')
  assert.equal(d.decisionVersion, '1')
  for (const q of d.requirements) {
    assert.equal(q.result, 'pass', JSON.stringify(q))
    for (const k of ['id', 'type', 'result', 'reason', 'code', 'outcome', 'mode']) assert.ok(k in q, k)
  }
  assert.match(d.model.digest.sha256, /^[0-9a-f]{64}$/)
  assert.deepEqual(Object.keys(d.summary).sort(), ['error', 'fail', 'pass', 'total', 'waived', 'warn'])
})

test('wrong signer: denied, and the evidence problem says why', async () => {
  const {r, d} = await check(model, policy('any', SIGNED_ANY), ['--signature', sigs.mallory])
  assert.equal(r.code, 1)
  assert.equal(req(d, 'model-signed').result, 'fail')
  assert.match(req(d, 'model-signed').reason, /did not verify against any policy identity/)
  assert.equal(d.evidenceProblems[0].source, sigs.mallory)
})

const TWO_OF_THREE = `    - id: two-person
      type: signature
      signedBy: {anyOf: [alice, bob, carol], threshold: 2}`

test('k-of-n: 2-of-3 short by one is denied; two distinct signers pass', async () => {
  const p = policy('k-of-n', TWO_OF_THREE)
  const short = await check(model, p, ['--signature', sigs.alice])
  assert.equal(short.r.code, 1)
  assert.equal(req(short.d, 'two-person').code, 'THRESHOLD_NOT_MET')
  assert.match(req(short.d, 'two-person').reason, /1 of 2 required distinct signers/)
  const ok = await check(model, p, ['--signature', sigs.alice, '--signature', sigs.bob])
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  assert.equal(req(ok.d, 'two-person').evidence.signers.length, 2)
})

test('the same key counted twice does not count twice (two files, two identity names)', async () => {
  const p = policy(
    'same-key',
    `    - id: two-person
      type: signature
      signedBy: {anyOf: [alice, alice-by-fp], threshold: 2}`,
  )
  const {r, d} = await check(model, p, ['--signature', sigs.alice, '--signature', sigs.alice2])
  assert.equal(r.code, 1, JSON.stringify(d))
  assert.equal(req(d, 'two-person').code, 'THRESHOLD_NOT_MET')
  const allOf = policy(
    'same-key-all',
    `    - id: both
      type: signature
      signedBy: {allOf: [alice, alice-by-fp]}`,
  )
  const r2 = await check(model, allOf, ['--signature', sigs.alice, '--signature', sigs.alice2])
  assert.equal(r2.r.code, 1)
  assert.match(req(r2.d, 'both').reason, /missing a distinct signature/)
  const realTwo = await check(
    model,
    policy(
      'same-key-fine',
      `    - id: both
      type: signature
      signedBy: {allOf: [alice-by-fp, bob]}`,
    ),
    ['--signature', sigs.alice, '--signature', sigs.bob],
  )
  assert.equal(realTwo.r.code, 0, JSON.stringify(realTwo.d))
})

test('integrity: a changed file and an unsigned extra file fail with the file named', async () => {
  const m = makeModel(path.join(tmp.dir, 'm-int'))
  const {sig} = await signModelWith(m, alice, path.join(tmp.dir, 'm-int.sig'))
  const p = policy('int', SIGNED_ANY)
  writeFileSync(path.join(m, 'extra.txt'), 'not signed')
  let res = await check(m, p, ['--signature', sig])
  assert.equal(res.r.code, 1)
  assert.equal(req(res.d, 'model-signed').result, 'pass')
  assert.equal(req(res.d, 'integrity').result, 'fail')
  assert.match(req(res.d, 'integrity').reason, /not covered by .*extra\.txt/)
  appendFileSync(path.join(m, 'weights.bin'), 'x')
  res = await check(m, p, ['--signature', sig])
  assert.equal(req(res.d, 'model-signed').result, 'fail')
  assert.match(req(res.d, 'model-signed').reason, /changed file: weights\.bin/)
  assert.equal(req(res.d, 'integrity').code, 'DIGEST_MISMATCH')
})

test('integrity: a disallowed hash algorithm fails; limits fail when exceeded', async () => {
  const m = makeModel(path.join(tmp.dir, 'm-alg'))
  const {sig} = await signModelWith(m, alice, path.join(tmp.dir, 'm-alg.sig'), {hashType: 'blake2b'})
  const p = policy('alg', `${SIGNED_ANY.replace('maxFiles: 10', 'maxFiles: 1')}`)
  const {r, d} = await check(m, p, ['--signature', sig])
  assert.equal(r.code, 1)
  assert.equal(req(d, 'model-signed').result, 'pass')
  assert.match(req(d, 'integrity').reason, /blake2b, allowed: sha256/)
  assert.equal(req(d, 'limits').code, 'SIZE_LIMIT_EXCEEDED')
})

test('waivers: a valid waiver turns a failure into waived (allow); an expired one is no waiver', async () => {
  const waivers = `    - id: WAIVER-1
      requirement: model-signed
      expires: 2026-12-15T00:00:00Z
      justification: signing service outage, INC-42
      approvedBy: [security@acme.example]`
  const p = policy(
    'waiver',
    `    - id: model-signed
      type: signature
      signedBy: {anyOf: [alice]}`,
    {waivers},
  )
  const ok = await check(model, p)
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  assert.equal(req(ok.d, 'model-signed').result, 'waived')
  assert.equal(req(ok.d, 'model-signed').waiver.id, 'WAIVER-1')
  assert.equal(ok.d.summary.waived, 1)
  const late = await runAt(model, p, '2026-12-20T00:00:00Z')
  assert.equal(late.r.code, 1)
  assert.equal(req(late.d, 'model-signed').result, 'fail')
  assert.match(req(late.d, 'model-signed').reason, /waiver WAIVER-1 expired/)
})

async function runAt(m: string, p: string, at: string, extra: string[] = []) {
  return check(m, p, extra, at)
}

test('expired policy: denied with POLICY_EXPIRED even when everything else passes', async () => {
  const p = policy('expired', SIGNED_ANY, {expires: '2026-11-01T00:00:00Z'})
  const {r, d} = await check(model, p, ['--signature', sigs.alice])
  assert.equal(r.code, 1)
  assert.equal(req(d, 'policy-expiry').code, 'POLICY_EXPIRED')
  assert.equal(req(d, 'policy-expiry').result, 'error')
})

test('warn mode: failures are warnings (exit 0); audit mode never blocks', async () => {
  const warnReq = `    - id: model-signed
      type: signature
      mode: warn
      signedBy: {anyOf: [alice]}
    - id: limits
      type: limits
      maxFiles: 10`
  const w = await check(model, policy('warn', warnReq))
  assert.equal(w.r.code, 0, JSON.stringify(w.d))
  assert.equal(w.d.decision, 'allow')
  assert.equal(req(w.d, 'model-signed').result, 'warn')
  assert.equal(req(w.d, 'model-signed').outcome, 'fail')
  const a = await check(model, policy('audit', SIGNED_ANY, {mode: 'audit', expires: '2026-11-01T00:00:00Z'}))
  assert.equal(a.r.code, 0, JSON.stringify(a.d))
  assert.equal(a.d.decision, 'allow')
  assert.ok(a.d.requirements.every((q: any) => q.result === 'pass' || q.result === 'warn'))
  assert.equal(req(a.d, 'policy-expiry').result, 'warn')
})

test('text output: decision first, one line per requirement; sarif is valid-shaped', async () => {
  const p = policy('any', SIGNED_ANY)
  const {runCli} = await import('../helpers/cli.js')
  const t = await runCli(['policy', 'check', model, '--policy', p, '--at', '2026-12-01T00:00:00Z'])
  assert.equal(t.code, 1)
  assert.match(t.stdout.split('\n')[0], /^Decision: DENY/)
  assert.match(t.stdout, /FAIL\s+model-signed \[signature\] SIGNATURE_MISSING/)
  const s = await runCli(['policy', 'check', model, '--policy', p, '--signature', sigs.bob, '--format', 'sarif'])
  assert.equal(s.code, 0, s.stderr)
  const sarif = JSON.parse(s.stdout)
  assert.equal(sarif.version, '2.1.0')
  assert.equal(sarif.runs[0].properties.decision, 'allow')
  assertCleanFailure(t)
})

test('certificate identities: chain to the trusted CA and subject match; another CA fails', async () => {
  const {makePki} = await import('../oms/pki.js')
  const {mkdirSync} = await import('node:fs')
  const {signModel} = await import('../../src/oms/sign.js')
  const dir = path.join(tmp.dir, 'pki')
  mkdirSync(dir)
  const pki = makePki(dir)
  const sig = path.join(tmp.dir, 'cert.sig')
  await signModel(model, {
    signer: {method: 'certificate', privateKeyPath: pki.leafKey, signingCertificatePath: pki.leafCert, certificateChainPaths: [pki.intCert]},
    signaturePath: sig,
  })
  const ids = (chain: string, subject: string) => `      corp: {certificate: {chain: [${chain}], subjectRegExp: '${subject}'}}`
  const req1 = `    - id: model-signed
      type: signature
      signedBy: {anyOf: [corp]}`
  const soon = new Date(Date.now() + 3600e3).toISOString()
  const ok = await check(
    model,
    writePolicy(tmp.dir, policyYaml({identities: ids(pki.rootCert, 'CN=test-intermediate'), requirements: req1}), 'cert.yaml'),
    ['--signature', sig],
    soon,
  )
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  assert.match(req(ok.d, 'model-signed').reason, /certificate "CN=test-intermediate" as corp/)
  const otherCa = await check(
    model,
    writePolicy(tmp.dir, policyYaml({identities: ids(pki.otherRootCert, 'CN=test-intermediate'), requirements: req1}), 'cert2.yaml'),
    ['--signature', sig],
    soon,
  )
  assert.equal(otherCa.r.code, 1)
  const otherSubject = await check(
    model,
    writePolicy(tmp.dir, policyYaml({identities: ids(pki.rootCert, 'CN=release-team'), requirements: req1}), 'cert3.yaml'),
    ['--signature', sig],
    soon,
  )
  assert.equal(otherSubject.r.code, 1)
  assert.match(otherSubject.d.evidenceProblems[0].problem, /subject "CN=test-intermediate" does not match/)
})
