/**
 * `sign … --scan-attestation FILE`: one run writes the model signature and a scan attestation
 * about the same root digest, signed the same way; the attestation is what `attest scan` writes
 * (a policy accepts it, or refuses a backdoored model from it) and never part of the model.
 */
import assert from 'node:assert/strict'
import {appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {signModelWithScan} from '../../src/attest/sign-statement.js'
import {runModelScan} from '../../src/attest/run-scan.js'
import {serializeModel} from '../../src/oms/serialize.js'
import {parseJson, repoRoot, runCli, tempDir} from '../helpers/cli.js'
import {check, makeKey, policyYaml, req, writePolicy, type KeyPair} from '../policy/fixtures.js'

const tmp = tempDir('modelseal-sign-scan-')
let key: KeyPair
let clean: string
let backdoored: string
const soon = new Date(Date.now() + 86400e3).toISOString()

function model(name: string, fixture: string): string {
  const dir = path.join(tmp.dir, name)
  mkdirSync(dir, {recursive: true})
  copyFileSync(path.join(repoRoot, 'testdata', 'onnx', fixture), path.join(dir, 'model.onnx'))
  return dir
}

function statementOf(bundleFile: string): {subject: {digest: {sha256: string}}[]; predicateType: string; predicate: {report?: {files?: unknown[]}}} {
  const b = JSON.parse(readFileSync(bundleFile, 'utf8'))
  return JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8'))
}

before(() => {
  key = makeKey(path.join(tmp.dir, 'keys'), 'scanner')
  clean = model('clean', 'benign_last_token.onnx')
  backdoored = model('backdoored', 'backdoor_where.onnx')
})
after(() => tmp.cleanup())

const policy = () =>
  writePolicy(
    tmp.dir,
    policyYaml({
      identities: `      scanner: {key: {path: ${key.pub}}}`,
      requirements: `    - id: scan-clean
      type: scan
      source: attestation
      signedBy: {anyOf: [scanner]}
      maxAge: 7d
      maxSeverity: {default: low, graph-backdoor: low}`,
      expires: '2099-01-01T00:00:00Z',
    }),
  )

test('one run signs the model and writes a scan attestation about the same digest', async () => {
  const sig = path.join(tmp.dir, 'clean.sig')
  const att = path.join(tmp.dir, 'clean.scan.json')
  const r = await runCli(['sign', 'key', clean, '--private-key', key.priv, '--signature', sig, '--scan-attestation', att, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const rep = parseJson(r)
  assert.equal(rep.scanAttestation.path, att)
  assert.equal(rep.scanAttestation.verdict, 'pass')
  const v = await runCli(['verify', 'key', clean, '--signature', sig, '--public-key', key.pub, '--json'])
  assert.equal(v.code, 0, v.stderr)
  assert.equal(parseJson(v).rootDigest, rep.rootDigest)
  // The same statement `attest scan` makes: subject = the signed root digest, the scan predicate.
  const a = await runCli(['attest', 'scan', clean, '--private-key', key.priv, '--output', path.join(tmp.dir, 'attest.json'), '--json'])
  assert.equal(a.code, 0, a.stderr)
  const ours = statementOf(att)
  const theirs = statementOf(path.join(tmp.dir, 'attest.json'))
  assert.equal(ours.subject[0].digest.sha256, rep.rootDigest)
  assert.equal(ours.subject[0].digest.sha256, theirs.subject[0].digest.sha256)
  assert.equal(ours.predicateType, theirs.predicateType)
  assert.equal(ours.predicate.report?.files?.length, theirs.predicate.report?.files?.length)
  // A policy takes it as scan evidence.
  const ok = await check(clean, policy(), ['--attestation', att], soon)
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  assert.equal(req(ok.d, 'scan-clean').code, 'SCAN_CLEAN')
})

test('a backdoored model gets a signature and an attestation that a policy refuses', async () => {
  const sig = path.join(tmp.dir, 'bd.sig')
  const att = path.join(tmp.dir, 'bd.scan.json')
  const r = await runCli(['sign', 'key', backdoored, '--private-key', key.priv, '--signature', sig, '--scan-attestation', att])
  assert.equal(r.code, 0, r.stderr)
  // The attestation records the findings; the policy (not the scanner threshold) decides.
  assert.match(r.stdout, /Scan attestation \(\w+\): wrote .*\n.*1 high/)
  const denied = await check(backdoored, policy(), ['--attestation', att], soon)
  assert.equal(denied.r.code, 1)
  assert.equal(req(denied.d, 'scan-clean').code, 'SCAN_SEVERITY_EXCEEDED')
})

test('an attestation written inside the model is not part of it; it cannot be the signature file', async () => {
  const plain = await runCli(['digest', clean, '--json'])
  assert.equal(plain.code, 0, plain.stderr)
  const inside = path.join(clean, 'scan.json')
  const r = await runCli(['sign', 'key', clean, '--private-key', key.priv, '--signature', path.join(tmp.dir, 'in.sig'), '--scan-attestation', inside, '--json'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(parseJson(r).rootDigest, parseJson(plain).rootDigest)
  const v = await runCli(['verify', 'key', clean, '--signature', path.join(tmp.dir, 'in.sig'), '--public-key', key.pub])
  assert.equal(v.code, 0, v.stderr)
  const same = path.join(tmp.dir, 'same.json')
  const bad = await runCli(['sign', 'key', clean, '--private-key', key.priv, '--signature', same, '--scan-attestation', same])
  assert.equal(bad.code, 2)
})

test('a model file that changes while it is signed and scanned: no attestation (E_FILE_CHANGED), fail closed', async () => {
  const m = model('changing', 'benign_last_token.onnx')
  const att = path.join(tmp.dir, 'changing.scan.json')
  const sig = path.join(tmp.dir, 'changing.sig')
  const signer = {method: 'key' as const, privateKeyPath: key.priv}
  // the scan sees the file, then someone appends to it before the hashing is done
  const runScan = async (p: string, o?: {weightLanes?: number}) => {
    const r = await runModelScan(p, undefined, o)
    appendFileSync(path.join(m, 'model.onnx'), 'x')
    return r
  }
  await assert.rejects(
    signModelWithScan(m, {signer, signaturePath: sig, scanAttestation: att, runScan}),
    (e: Error & {code?: string}) => e.code === 'E_FILE_CHANGED',
  )
  assert.equal(existsSync(att), false)
  // unchanged: written, and the scan was asked to leave the main thread to the hashing
  let lanes: number | undefined
  const r = await signModelWithScan(m, {
    signer,
    signaturePath: sig,
    scanAttestation: att,
    runScan: (p, o) => ((lanes = o?.weightLanes), runModelScan(p, undefined, o)),
  })
  assert.equal(existsSync(att), true)
  assert.ok(lanes !== undefined && lanes >= 1)
  assert.equal(statementOf(att).subject[0].digest.sha256, r.manifest.rootDigest)
})

test('a large safetensors model (weight jobs on a worker, hash reading in its own thread): findings and digest of a plain scan and sign; a change before the end fails closed', async () => {
  const dir = path.join(tmp.dir, 'big')
  mkdirSync(dir, {recursive: true})
  const file = path.join(dir, 'model.safetensors')
  // 72 MiB of float32 (above the pool threshold: 32 MiB jobs on worker threads, 512 KiB reads)
  const n = 18 << 20
  const f = new Uint32Array(n)
  let x = 0x9e3779b9
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    f[i] = ((x & 0x80000000) | ((117 + ((x >>> 8) & 7)) << 23) | (Math.imul(x, 0x9e3779b1) & 0x7fffff)) >>> 0
  }
  const b = new Uint8Array(f.buffer)
  const elf = readFileSync(path.join(repoRoot, 'testdata', 'weights', 'tiny.elf'))
  // payloads in the lowest bytes, across a worker read border, a job border and the hash's 1 MiB reads
  for (const at of [(512 << 10) / 4 - 1, (32 << 20) / 4 - 2, (40 << 20) / 4 - 3]) for (let j = 0; j < elf.length; j++) b[(at + j) * 4] = elf[j]
  const header = Buffer.from(JSON.stringify({'model.weight': {dtype: 'F32', shape: [n], data_offsets: [0, b.length]}}).padEnd(96, ' '))
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(header.length))
  writeFileSync(file, Buffer.concat([len, header, b]))
  const signer = {method: 'key' as const, privateKeyPath: key.priv}
  const att = path.join(tmp.dir, 'big.scan.json')
  const r = await signModelWithScan(dir, {
    signer,
    signaturePath: path.join(tmp.dir, 'big.sig'),
    scanAttestation: att,
    runScan: (p, o) => runModelScan(p, undefined, o),
  })
  const plain = await runModelScan(dir)
  assert.ok(
    plain.files[0].findings.some((f) => f.id === 'MS-WG001'),
    JSON.stringify(plain.files[0].findings.map((f) => f.id)),
  )
  assert.deepEqual(r.scan.report.files[0].findings, plain.files[0].findings)
  assert.equal(r.manifest.rootDigest, (await serializeModel(dir, {ignorePaths: [path.join(tmp.dir, 'big.sig')]})).manifest.rootDigest)
  // the file changes once the scan is done (hashing or not): E_FILE_CHANGED, no attestation
  rmSync(att)
  await assert.rejects(
    signModelWithScan(dir, {
      signer,
      signaturePath: path.join(tmp.dir, 'big.sig'),
      scanAttestation: att,
      runScan: async (p, o) => {
        const rep = await runModelScan(p, undefined, o)
        appendFileSync(file, 'x')
        return rep
      },
    }),
    (e: Error & {code?: string}) => e.code === 'E_FILE_CHANGED',
  )
  assert.equal(existsSync(att), false)
})

test('attest scan --signature: the attestation is bound to the digest the signature signs (shards too), and refused for another model', async () => {
  const m = model('attest-sig', 'benign_last_token.onnx')
  const sig = path.join(tmp.dir, 'attest-sig.sig')
  const s = await runCli(['sign', 'key', m, '--private-key', key.priv, '--signature', sig, '--method', 'shards', '--shard-size', '4096', '--json'])
  assert.equal(s.code, 0, s.stderr)
  const signedDigest = parseJson(s).rootDigest
  const att = path.join(tmp.dir, 'attest-sig.scan.json')
  const a = await runCli(['attest', 'scan', m, '--signature', sig, '--private-key', key.priv, '--output', att, '--json'])
  assert.equal(a.code, 0, a.stderr)
  assert.equal(parseJson(a).subject.digest.sha256, signedDigest)
  const st = statementOf(att) as ReturnType<typeof statementOf> & {predicate: {serialization?: {method?: string}}}
  assert.equal(st.subject[0].digest.sha256, signedDigest)
  assert.equal(st.predicate.serialization?.method, 'shards')
  // a policy takes it as scan evidence beside the model signature
  const ok = await check(m, policy(), ['--attestation', att], soon)
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  // the text output says what was checked: the digest, not the signature
  const t = await runCli(['attest', 'scan', m, '--signature', sig, '--private-key', key.priv, '--output', path.join(tmp.dir, 'attest-sig-text.scan.json')])
  assert.equal(t.code, 0, t.stderr)
  assert.match(t.stdout, /digest equals the one .* signs; that signature is not verified here/)
  assert.doesNotMatch(t.stdout, /\bverified\b(?! here)/)
  // the model changed after signing: exit 1, nothing written
  appendFileSync(path.join(m, 'model.onnx'), 'x')
  const att2 = path.join(tmp.dir, 'attest-sig-2.scan.json')
  const b = await runCli(['attest', 'scan', m, '--signature', sig, '--private-key', key.priv, '--output', att2])
  assert.equal(b.code, 1, b.stdout + b.stderr)
  assert.match(b.stderr, /E_MODEL_MISMATCH|not the one/)
  assert.equal(existsSync(att2), false)
})

test('attest scan --signature with an unreadable signature: one line naming the code, exit 3, nothing written', async () => {
  const m = model('attest-badsig', 'benign_last_token.onnx')
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['not-json.sig', 'not json', /E_BUNDLE_MALFORMED/],
    ['half.sig', '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}', /E_BUNDLE_MALFORMED/],
    ['missing.sig', undefined, /E_IO/],
  ]
  for (const [name, content, code] of cases) {
    const sig = path.join(tmp.dir, name)
    if (content !== undefined) writeFileSync(sig, content)
    const att = path.join(tmp.dir, `${name}.scan.json`)
    const r = await runCli(['attest', 'scan', m, '--signature', sig, '--private-key', key.priv, '--output', att])
    assert.equal(r.code, 3, `${name}: ${r.stdout}${r.stderr}`)
    assert.match(r.stderr, code, name)
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: ${r.stderr}`)
    assert.doesNotMatch(r.stderr, /\n\s+at /, name)
    assert.equal(existsSync(att), false, name)
  }
})
