/** policy check: scan attestations (fresh, stale, untrusted, backdoored), ONNX constraints, datasets. */
import assert from 'node:assert/strict'
import {copyFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {parseJson, repoRoot, runCli, tempDir} from '../helpers/cli.js'
import {
  check,
  dataset,
  keySigner,
  makeKey,
  policyYaml,
  provenance,
  req,
  scanAttestation,
  scanReport,
  finding,
  signModelWith,
  writePolicy,
  type KeyPair,
} from './fixtures.js'
import {cleanOnnx, contribOnnx, externalOnnx} from './onnx-fixtures.js'

const tmp = tempDir('modelseal-policy-ev-')
let release: KeyPair, scanner: KeyPair, data: KeyPair, other: KeyPair
let clean: string, backdoored: string, contrib: string, external: string
const sig: Record<string, string> = {}
const root: Record<string, string> = {}
const DAY = 86400e3
// Times relative to the real clock: attestations made by `attest scan` carry the real time.
const soon = new Date(Date.now() + DAY).toISOString()
const later = new Date(Date.now() + 8 * DAY).toISOString()

function onnxModel(name: string, make: (f: string) => void): string {
  const dir = path.join(tmp.dir, name)
  mkdirSync(dir, {recursive: true})
  make(path.join(dir, 'model.onnx'))
  return dir
}

before(async () => {
  const keys = path.join(tmp.dir, 'keys')
  ;[release, scanner, data, other] = ['release', 'scanner', 'data', 'other'].map((n) => makeKey(keys, n))
  clean = onnxModel('clean', cleanOnnx)
  // The scanner team's ShadowLogic fixture (Where selects a constant over the logits on a trigger).
  backdoored = onnxModel('backdoored', (f) => copyFileSync(path.join(repoRoot, 'testdata', 'onnx', 'backdoor_where.onnx'), f))
  contrib = onnxModel('contrib', contribOnnx)
  external = onnxModel('external', (f) => externalOnnx(f, path.join(path.dirname(f), 'weights.data')))
  for (const [n, m] of Object.entries({clean, backdoored, contrib, external})) {
    const s = await signModelWith(m, release, path.join(tmp.dir, `${n}.sig`))
    sig[n] = s.sig
    root[n] = s.rootDigest
  }
})
after(() => tmp.cleanup())

const identities = () => `      release: {key: {path: ${release.pub}}}
      scanner: {key: {path: ${scanner.pub}}}
      data-team: {key: {path: ${data.pub}}}`

const policy = (name: string, requirements: string) =>
  writePolicy(tmp.dir, policyYaml({identities: identities(), requirements, expires: '2099-01-01T00:00:00Z'}), `${name}.yaml`)

const SCAN = (source: string) => `    - id: scan-clean
      type: scan
      source: ${source}
${source === 'inline' ? '' : '      signedBy: {anyOf: [scanner]}\n      maxAge: 7d\n'}      maxSeverity: {default: low, graph-backdoor: low}`

test('attest scan + policy check: a fresh clean scan passes; the same attestation 8 days later is stale', async () => {
  const out = path.join(tmp.dir, 'clean-scan.json')
  const a = await runCli(['attest', 'scan', clean, '--private-key', scanner.priv, '--output', out, '--json'])
  assert.equal(a.code, 0, a.stderr)
  const rep = parseJson(a)
  assert.equal(rep.subject.digest.sha256, root.clean)
  assert.equal(rep.verdict, 'pass')
  const p = policy('scan-att', SCAN('attestation'))
  const ok = await check(clean, p, ['--attestation', out], soon)
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  assert.equal(req(ok.d, 'scan-clean').code, 'SCAN_CLEAN')
  const stale = await check(clean, p, ['--attestation', out], later)
  assert.equal(stale.r.code, 1)
  assert.equal(req(stale.d, 'scan-clean').code, 'EVIDENCE_STALE')
  assert.match(req(stale.d, 'scan-clean').reason, /older than maxAge 1w/)
  // The same attestation presented for another model does not count.
  const wrong = await check(contrib, p, ['--attestation', out], soon)
  assert.equal(wrong.r.code, 1)
  assert.match(req(wrong.d, 'scan-clean').reason, /for another model/)
})

test('backdoored model under a clean-scan requirement: denied from its attestation and inline', async () => {
  const out = path.join(tmp.dir, 'bd-scan.json')
  const a = await runCli(['attest', 'scan', backdoored, '--private-key', scanner.priv, '--output', out])
  assert.equal(a.code, 0, a.stderr)
  const att = await check(backdoored, policy('scan-bd', SCAN('attestation')), ['--attestation', out], soon)
  assert.equal(att.r.code, 1, JSON.stringify(att.d))
  assert.equal(req(att.d, 'scan-clean').code, 'SCAN_SEVERITY_EXCEEDED')
  assert.match(req(att.d, 'scan-clean').reason, /high graph-backdoor/)
  const inline = await check(backdoored, policy('scan-inline', SCAN('inline')), [], soon)
  assert.equal(inline.r.code, 1)
  assert.equal(req(inline.d, 'scan-clean').code, 'SCAN_SEVERITY_EXCEEDED')
  const cleanInline = await check(clean, policy('scan-inline', SCAN('inline')), [], soon)
  assert.equal(cleanInline.r.code, 0, JSON.stringify(cleanInline.d))
})

test('scan attestation signed by an unapproved key, or reporting an unscanned file, fails', async () => {
  const at = new Date('2026-11-30T00:00:00Z')
  const byOther = await scanAttestation(root.clean, scanReport([], 'scanned', ['model.onnx']), keySigner(other), path.join(tmp.dir, 'other-scan.json'), at)
  const p = policy('scan-att2', SCAN('attestation'))
  const r1 = await check(clean, p, ['--attestation', byOther], '2026-12-01T00:00:00Z')
  assert.equal(r1.r.code, 1)
  assert.equal(req(r1.d, 'scan-clean').code, 'ATTESTATION_MISSING')
  const errored = await scanAttestation(root.clean, scanReport([], 'error', ['model.onnx']), keySigner(scanner), path.join(tmp.dir, 'err-scan.json'), at)
  const r2 = await check(clean, p, ['--attestation', errored], '2026-12-01T00:00:00Z')
  assert.equal(req(r2.d, 'scan-clean').code, 'SCAN_INCOMPLETE')
  const medium = await scanAttestation(
    root.clean,
    scanReport([finding('medium', 'custom-op', 'MS-CO001')], 'scanned', ['model.onnx']),
    keySigner(scanner),
    path.join(tmp.dir, 'med-scan.json'),
    at,
  )
  const r3 = await check(clean, p, ['--attestation', medium], '2026-12-01T00:00:00Z')
  assert.equal(req(r3.d, 'scan-clean').code, 'SCAN_SEVERITY_EXCEEDED')
  const info = await scanAttestation(
    root.clean,
    scanReport([finding('low', 'custom-op', 'MS-CO004')], 'scanned', ['model.onnx']),
    keySigner(scanner),
    path.join(tmp.dir, 'low-scan.json'),
    at,
  )
  const r4 = await check(clean, p, ['--attestation', info], '2026-12-01T00:00:00Z')
  assert.equal(r4.r.code, 0, JSON.stringify(r4.d))
})

const ONNX = `    - id: onnx
      type: onnx
      allowedDomains: ["", ai.onnx.ml]
      forbiddenOperators: [Where]
      externalData: forbid`

test('onnx constraints: domain, forbidden operator and external data each fail; a clean graph passes', async () => {
  const p = policy('onnx', ONNX)
  const ok = await check(clean, p)
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  const dom = await check(contrib, p)
  assert.equal(dom.r.code, 1)
  assert.match(req(dom.d, 'onnx').reason, /"com\.microsoft" not in allowedDomains/)
  const op = await check(backdoored, p)
  assert.match(req(op.d, 'onnx').reason, /forbidden operator\(s\) Where×\d+/)
  const ext = await check(external, p)
  assert.match(req(ext.d, 'onnx').reason, /external data weights\.data/)
})

test('datasets: covered by a signed manifest passes; unsigned or wrongly signed manifests fail', async () => {
  const signed = await dataset(tmp.dir, 'train', keySigner(data))
  const unsigned = await dataset(tmp.dir, 'raw')
  const byOther = await dataset(tmp.dir, 'shady', keySigner(other))
  const prov = await provenance(root.clean, [signed.root], keySigner(release), path.join(tmp.dir, 'prov.json'))
  const provUnsigned = await provenance(root.clean, [unsigned.root], keySigner(release), path.join(tmp.dir, 'prov2.json'))
  const provOther = await provenance(root.clean, [byOther.root], keySigner(release), path.join(tmp.dir, 'prov3.json'))
  const p = policy(
    'datasets',
    `    - id: training-data
      type: datasets
      source: provenance
      provenanceSignedBy: {anyOf: [release]}
      signedBy: {anyOf: [data-team]}`,
  )
  const ok = await check(clean, p, ['--attestation', prov, '--dataset-manifest', signed.manifest])
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  assert.equal(req(ok.d, 'training-data').code, 'DATASETS_SIGNED')
  const noManifest = await check(clean, p, ['--attestation', prov])
  assert.equal(req(noManifest.d, 'training-data').code, 'DATASET_UNSIGNED')
  const uns = await check(clean, p, ['--attestation', provUnsigned, '--dataset-manifest', unsigned.manifest])
  assert.equal(uns.r.code, 1)
  assert.equal(req(uns.d, 'training-data').code, 'DATASET_UNSIGNED')
  assert.ok(
    uns.d.evidenceProblems.some((x: any) => /is not signed/.test(x.problem)),
    JSON.stringify(uns.d.evidenceProblems),
  )
  const wrong = await check(clean, p, ['--attestation', provOther, '--dataset-manifest', byOther.manifest])
  assert.equal(req(wrong.d, 'training-data').result, 'fail')
  const noProv = await check(clean, p, ['--dataset-manifest', signed.manifest])
  assert.equal(req(noProv.d, 'training-data').code, 'PROVENANCE_MISSING')
  // explicit source: the policy lists the roots itself.
  const explicit = policy(
    'datasets-explicit',
    `    - id: training-data
      type: datasets
      source: explicit
      datasets: [{name: train, root: "${signed.root}"}]
      signedBy: {anyOf: [data-team]}`,
  )
  const ex = await check(clean, explicit, ['--dataset-manifest', path.join(signed.manifest, 'manifest.sigstore.json')])
  assert.equal(ex.r.code, 0, JSON.stringify(ex.d))
})
