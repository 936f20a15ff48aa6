/**
 * Fail-closed policy decisions: each construction below once got `allow` (or crashed) where a
 * careful engineer expects `deny`. Every case runs through the CLI with policies, keys and
 * evidence made here.
 */
import assert from 'node:assert/strict'
import {createPublicKey, ECDH} from 'node:crypto'
import {copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {computeRootDigest as rootDigestOf} from '../../src/oms/resource-name.js'
import {signModel} from '../../src/oms/sign.js'
import {serializeBundle, signPayload} from '../../src/signing/index.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../../src/signing/dsse.js'
import {assertCleanFailure, parseJson, repoRoot, runCli, tempDir} from '../helpers/cli.js'
import {cleanOnnx} from './onnx-fixtures.js'
import {
  check,
  dataset,
  keySigner,
  makeKey,
  makeModel,
  policyYaml,
  provenance,
  req,
  scanAttestation,
  scanReport,
  signModelWith,
  writePolicy,
  type KeyPair,
} from './fixtures.js'

const tmp = tempDir('modelseal-failclosed-')
let release: KeyPair, release2: KeyPair, scanner: KeyPair, data: KeyPair
const AT = '2026-12-01T00:00:00Z'
/** A protocol-0 pickle that calls os.system: a payload whatever its file name. */
const PICKLE = Buffer.from("cos\nsystem\n(S'echo pwned'\ntR.")

before(() => {
  const keys = path.join(tmp.dir, 'keys')
  ;[release, release2, scanner, data] = ['release', 'release2', 'scanner', 'data'].map((n) => makeKey(keys, n))
})
after(() => tmp.cleanup())

const ids = () => `      release: {key: {path: ${release.pub}}}
      release2: {key: {path: ${release2.pub}}}
      scanner: {key: {path: ${scanner.pub}}}
      data-team: {key: {path: ${data.pub}}}`

let n = 0
function policy(requirements: string, opts: {extra?: string; waivers?: string; identities?: string} = {}): string {
  return writePolicy(
    tmp.dir,
    policyYaml({identities: opts.identities ?? ids(), requirements, waivers: opts.waivers, expires: '2099-01-01T00:00:00Z', extra: opts.extra}),
    `p${n++}.yaml`,
  )
}

const SIGNED = `    - id: signed
      type: signature
      signedBy: {anyOf: [release, release2]}`
const INTEGRITY = (extra = '') => `    - id: integrity
      type: integrity
      unsignedFiles: forbid${extra}`

test('1. evidence inside the model hides nothing: a manifest directory, an unverified file, a signature kept beside the weights', async () => {
  const model = makeModel(path.join(tmp.dir, 'm1'))
  const sigInside = path.join(model, 'model.sig')
  await signModelWith(model, release, sigInside)
  const p = policy(`${SIGNED}\n${INTEGRITY()}`)
  // The signer recorded model.sig as ignored; under forbid it is an unsigned file unless the policy excludes verified evidence.
  const plain = await check(model, p, ['--signature', sigInside])
  assert.equal(plain.r.code, 1, JSON.stringify(plain.d))
  assert.match(req(plain.d, 'integrity').reason, /model\.sig/)
  const excluding = policy(`${SIGNED}\n${INTEGRITY()}`, {extra: ''})
  writeFileSync(excluding, readFileSync(excluding, 'utf8').replace('  trust:\n', '  excludeVerifiedEvidence: true\n  trust:\n'))
  const ok = await check(model, excluding, ['--signature', sigInside])
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  assert.deepEqual(
    ok.d.requirements.map((r: any) => r.result),
    ['pass', 'pass'],
  )
  // A dataset manifest directory inside the model, with a pickle dropped into it: still a model file.
  const extras = path.join(model, 'extras')
  const ds = await dataset(extras, 'x', keySigner(data))
  writeFileSync(path.join(ds.manifest, 'pytorch_model.bin'), PICKLE)
  const hidden = await check(model, excluding, ['--signature', sigInside, '--dataset-manifest', ds.manifest])
  assert.equal(hidden.r.code, 1, JSON.stringify(hidden.d))
  assert.match(req(hidden.d, 'integrity').reason, /extras\/x-manifest\/pytorch_model\.bin/)
  // An attestation inside the model that does not verify is a model file like any other.
  const bogus = path.join(model, 'scan.sig.json')
  copyFileSync(sigInside, bogus)
  const unverified = await check(
    model,
    policy(`${SIGNED}\n${INTEGRITY()}`, {identities: `      release: {key: {path: ${release.pub}}}\n      release2: {key: {path: ${release2.pub}}}`}),
    ['--signature', sigInside, '--attestation', bogus],
  )
  assert.equal(unverified.r.code, 1)
  assert.ok(req(unverified.d, 'integrity').evidence.signatures[0].unsignedFiles.includes('scan.sig.json'))
})

test('2. a scan requirement proves coverage: unscanned names, skipped directories and unbound files deny', async () => {
  const model = makeModel(path.join(tmp.dir, 'm2'), {'config.json': '{}\n', 'weights.dat': PICKLE, noext: PICKLE})
  const {sig, rootDigest} = await signModelWith(model, release, path.join(tmp.dir, 'm2.sig'))
  const inline = await check(
    model,
    policy(`${SIGNED}\n    - id: scan\n      type: scan\n      source: inline\n      maxSeverity: {default: low}\n      skippable: ['**/*.json']`),
    ['--signature', sig],
  )
  assert.equal(inline.r.code, 1, JSON.stringify(inline.d))
  assert.equal(req(inline.d, 'scan').result, 'fail')
  // An attestation whose report leaves out a file of the model does not cover it.
  const SCAN = `${SIGNED}\n    - id: scan\n      type: scan\n      source: attestation\n      signedBy: {anyOf: [scanner]}\n      maxSeverity: {default: low}\n      skippable: ['**/*.json']`
  const partial = await scanAttestation(
    rootDigest,
    scanReport([], 'scanned', ['config.json', 'weights.dat']),
    keySigner(scanner),
    path.join(tmp.dir, 'm2-scan.json'),
    new Date('2026-11-30T00:00:00Z'),
  )
  const r = await check(model, policy(SCAN), ['--signature', sig, '--attestation', partial])
  assert.equal(r.r.code, 1, JSON.stringify(r.d))
  assert.equal(req(r.d, 'scan').code, 'SCAN_INCOMPLETE')
  assert.match(req(r.d, 'scan').reason, /noext \(not in the report\)/)
  // A full report passes; then a payload in .git/ (ignored by the attestation's digest) denies.
  const full = await scanAttestation(
    rootDigest,
    scanReport([], 'scanned', ['config.json', 'noext', 'weights.dat']),
    keySigner(scanner),
    path.join(tmp.dir, 'm2-full.json'),
    new Date('2026-11-30T00:00:00Z'),
  )
  const good = await check(model, policy(SCAN), ['--signature', sig, '--attestation', full])
  assert.equal(good.r.code, 0, JSON.stringify(good.d))
  // A file the scanner reports as skipped (with its reason) is covered only where the policy accepts it.
  const withSkip = {
    ...scanReport([], 'scanned', ['noext', 'weights.dat']),
    skipped: [{path: 'config.json', kind: 'file' as const, reason: 'content is no model format'}],
  }
  const skipAtt = await scanAttestation(rootDigest, withSkip, keySigner(scanner), path.join(tmp.dir, 'm2-skip.json'), new Date('2026-11-30T00:00:00Z'))
  const accepted = await check(model, policy(SCAN), ['--signature', sig, '--attestation', skipAtt])
  assert.equal(accepted.r.code, 0, JSON.stringify(accepted.d))
  const strict = await check(model, policy(SCAN.replace("skippable: ['**/*.json']", 'skippable: []')), ['--signature', sig, '--attestation', skipAtt])
  assert.equal(strict.r.code, 1)
  assert.match(req(strict.d, 'scan').reason, /config\.json \(skipped: content is no model format; not in skippable\)/)
  mkdirSync(path.join(model, '.git'))
  writeFileSync(path.join(model, '.git', 'evil.pkl'), PICKLE)
  const git = await check(model, policy(SCAN), ['--signature', sig, '--attestation', full])
  assert.equal(git.r.code, 1, JSON.stringify(git.d))
  assert.match(req(git.d, 'scan').reason, /\.git\/evil\.pkl/)
})

test('3. the model digest is computed from the files on disk, never borrowed from a signature', async () => {
  const A = Buffer.from('clean weights A'.repeat(50))
  const B = Buffer.from('other weights B'.repeat(50))
  const clean = makeModel(path.join(tmp.dir, 'm3-clean'), {'a.bin': A, 'b.bin': B})
  const {rootDigest} = await signModelWith(clean, release, path.join(tmp.dir, 'm3-clean.sig'))
  const cleanScan = await scanAttestation(
    rootDigest,
    scanReport([], 'scanned', ['a.bin', 'b.bin']),
    keySigner(scanner),
    path.join(tmp.dir, 'm3-scan.json'),
    new Date('2026-11-30T00:00:00Z'),
  )
  // The same files with their contents swapped, signed by a second trusted key with the resources
  // listed in the order that reproduces the clean model's root digest.
  const swapped = makeModel(path.join(tmp.dir, 'm3-swapped'), {'a.bin': B, 'b.bin': A})
  const {createHash} = await import('node:crypto')
  const d = (x: Buffer) => createHash('sha256').update(x).digest('hex')
  const resources = [
    {name: 'b.bin', algorithm: 'sha256', digest: d(A)},
    {name: 'a.bin', algorithm: 'sha256', digest: d(B)},
  ]
  assert.equal(rootDigestOf(resources), rootDigest)
  const st = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{name: 'm3-swapped', digest: {sha256: rootDigest}}],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: {
      serialization: {method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: ['.git', '.gitattributes', '.github', '.gitignore']},
      resources,
    },
  }
  const bundle = await signPayload(Buffer.from(JSON.stringify(st)), IN_TOTO_PAYLOAD_TYPE, keySigner(release2))
  const forged = path.join(tmp.dir, 'm3-reordered.sig')
  writeFileSync(forged, serializeBundle(bundle))
  const LIMIT = `    - id: few-files\n      type: limits\n      maxFiles: 1`
  const SCAN = `    - id: scan\n      type: scan\n      source: attestation\n      signedBy: {anyOf: [scanner]}\n      maxSeverity: {default: low}`
  const waiver = `    - id: W-CLEAN\n      requirement: few-files\n      modelDigest: sha256:${rootDigest}\n      expires: 2098-01-01T00:00:00Z\n      justification: reviewed\n      approvedBy: [sec@acme.example]\n`
  const p = policy(`${SIGNED}\n${INTEGRITY()}\n${SCAN}\n${LIMIT}`, {waivers: waiver})
  const ok = await check(clean, p, ['--signature', path.join(tmp.dir, 'm3-clean.sig'), '--attestation', cleanScan])
  assert.equal(ok.r.code, 0, JSON.stringify(ok.d))
  assert.equal(req(ok.d, 'few-files').result, 'waived')
  const r = await check(swapped, p, ['--signature', forged, '--attestation', cleanScan])
  assert.equal(r.r.code, 1, JSON.stringify(r.d))
  assert.notEqual(r.d.model.digest.sha256, rootDigest)
  assert.match(req(r.d, 'scan').reason, /for another model/)
  assert.equal(req(r.d, 'few-files').result, 'fail')
})

/** The same public key as a PEM of the compressed point. */
function compressedPem(pubPem: string): string {
  const jwk = createPublicKey(pubPem).export({format: 'jwk'}) as {x: string; y: string}
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')])
  const comp = ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'compressed') as Buffer
  const der = Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), comp])
  return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`
}

test('4. one key is one signer: a compressed-point copy, a rewritten hint, a key inside a certificate', async () => {
  const model = makeModel(path.join(tmp.dir, 'm4'))
  const {sig} = await signModelWith(model, release, path.join(tmp.dir, 'm4.sig'))
  const comp = path.join(tmp.dir, 'keys', 'release-compressed.pub')
  writeFileSync(comp, compressedPem(readFileSync(release.pub, 'utf8')))
  const twice = `      a: {key: {path: ${release.pub}}}\n      b: {key: {path: ${comp}}}`
  const p = policy(`    - id: signed\n      type: signature\n      signedBy: {anyOf: [a, b], threshold: 2}`, {identities: twice})
  const lint = await runCli(['policy', 'lint', p, '--json'])
  assert.equal(lint.code, 3, lint.stdout)
  assert.ok(parseJson(lint).issues.some((i: any) => i.code === 'IDENTITY_DUPLICATE_KEY' && i.level === 'error'))
  // A copy of the one signature with its unsigned hint rewritten is not a second signer.
  const copy = path.join(tmp.dir, 'm4-copy.sig')
  const b = JSON.parse(readFileSync(sig, 'utf8'))
  b.verificationMaterial.publicKey.hint = 'f'.repeat(64)
  writeFileSync(copy, JSON.stringify(b))
  for (const signedBy of ['{anyOf: [a, b], threshold: 2}', '{allOf: [a, b]}']) {
    const r = await check(model, policy(`    - id: signed\n      type: signature\n      signedBy: ${signedBy}`, {identities: twice}), [
      '--signature',
      sig,
      '--signature',
      copy,
    ])
    assert.equal(r.r.code, 1, JSON.stringify(r.d))
  }
  // The same key as a key identity and inside a certificate from a trusted CA: one signer.
  const {makePki} = await import('../oms/pki.js')
  const dir = path.join(tmp.dir, 'pki4')
  mkdirSync(dir)
  const pki = makePki(dir)
  const leafPub = path.join(dir, 'leaf.pub')
  writeFileSync(leafPub, createPublicKey(readFileSync(pki.leafKey)).export({type: 'spki', format: 'pem'}))
  const keySig = path.join(tmp.dir, 'm4-leaf-key.sig')
  const certSig = path.join(tmp.dir, 'm4-leaf-cert.sig')
  await signModel(model, {signer: {method: 'key', privateKeyPath: pki.leafKey}, signaturePath: keySig})
  await signModel(model, {
    signer: {method: 'certificate', privateKeyPath: pki.leafKey, signingCertificatePath: pki.leafCert, certificateChainPaths: [pki.intCert]},
    signaturePath: certSig,
  })
  const mixed = `      k: {key: {path: ${leafPub}}}\n      ca: {certificate: {chain: [${pki.rootCert}]}}`
  const soon = new Date(Date.now() + 3600e3).toISOString()
  const r = await check(
    model,
    policy(`    - id: signed\n      type: signature\n      signedBy: {anyOf: [k, ca], threshold: 2}`, {identities: mixed}),
    ['--signature', keySig, '--signature', certSig],
    soon,
  )
  assert.equal(r.r.code, 1, JSON.stringify(r.d))
  assert.match(req(r.d, 'signed').reason, /1 of 2 required distinct signers/)
})

test('5+6. regexes: an escaped anchor, unbounded edges and a backtracking pattern are refused or harmless', async () => {
  const lint = async (re: string) => {
    const p = policy(`    - id: signed\n      type: signature\n      signedBy: {anyOf: [ci]}`, {
      identities: `      ci:\n        keyless:\n          issuer: https://token.actions.githubusercontent.com\n          subjectRegExp: '${re}'`,
    })
    return runCli(['policy', 'lint', p, '--json'])
  }
  for (const re of [
    'https://github\\.com/acme/x)|(.*',
    '(?:.*)@acme\\.example',
    '.{0,}@acme\\.example',
    '[\\s\\S]*@acme\\.example',
    '(.*|)@acme\\.example',
    'https://github\\.com/acme/.*',
  ]) {
    const r = await lint(re)
    assert.equal(r.code, 3, `${re}: ${r.stdout}`)
  }
  assert.equal((await lint('[a-z0-9._-]+@acme\\.example')).code, 0)
  // A certificate subject that makes a backtracking engine run for years: linear here.
  const {makePki} = await import('../oms/pki.js')
  const dir = path.join(tmp.dir, 'pki6')
  mkdirSync(dir)
  const pki = makePki(dir)
  const model = makeModel(path.join(tmp.dir, 'm6'))
  const sig = path.join(tmp.dir, 'm6.sig')
  await signModel(model, {
    signer: {method: 'certificate', privateKeyPath: pki.leafKey, signingCertificatePath: pki.leafCert, certificateChainPaths: [pki.intCert]},
    signaturePath: sig,
  })
  const p = policy(`    - id: signed\n      type: signature\n      signedBy: {anyOf: [corp]}`, {
    identities: `      corp: {certificate: {chain: [${pki.rootCert}], subjectRegExp: 'CN=(?:[a-z]|[a-z0-9-])*x'}}`,
  })
  const soon = new Date(Date.now() + 3600e3).toISOString()
  const r = await check(model, p, ['--signature', sig], soon)
  assert.equal(r.r.code, 1, JSON.stringify(r.d))
})

test('7. files the signer ignored are unsigned under forbid; allowUnsigned is the only escape; audit lists them', async () => {
  const model = makeModel(path.join(tmp.dir, 'm7'))
  mkdirSync(path.join(model, 'cache'))
  const sigPath = path.join(tmp.dir, 'm7.sig')
  await signModel(model, {signer: keySigner(release), signaturePath: sigPath, ignorePaths: [path.join(model, 'cache')]})
  writeFileSync(path.join(model, 'cache', 'evil.pkl'), PICKLE)
  mkdirSync(path.join(model, '.git'))
  writeFileSync(path.join(model, '.git', 'payload.pkl'), PICKLE)
  writeFileSync(path.join(model, '.gitattributes'), '* binary\n')
  const r = await check(model, policy(`${SIGNED}\n${INTEGRITY()}`), ['--signature', sigPath])
  assert.equal(r.r.code, 1, JSON.stringify(r.d))
  const why = req(r.d, 'integrity').reason
  for (const f of ['cache/evil.pkl', '.git/payload.pkl', '.gitattributes']) assert.ok(why.includes(f), why)
  assert.match(why, /ignored by the signer/)
  const allowGit = await check(model, policy(`${SIGNED}\n${INTEGRITY("\n      allowUnsigned: ['.git/**', '.gitattributes']")}`), ['--signature', sigPath])
  assert.equal(allowGit.r.code, 1)
  assert.match(req(allowGit.d, 'integrity').reason, /cache\/evil\.pkl/)
  assert.doesNotMatch(req(allowGit.d, 'integrity').reason, /payload\.pkl/)
  const audit = await runCli(['audit', model, '--signature', sigPath, '--public-key', release.pub, '--json'])
  assert.equal(audit.code, 0, audit.stderr)
  const c = parseJson(audit).signatures[0].content
  assert.equal(c.matches, false)
  assert.ok(c.ignoredBySigner.includes('cache/evil.pkl'), JSON.stringify(c))
})

test('8. ONNX rules apply by content, whatever the file is called', async () => {
  const onnx = readFileSync(path.join(repoRoot, 'testdata', 'onnx', 'backdoor_where.onnx'))
  const model = makeModel(path.join(tmp.dir, 'm8'), {'model.ort': onnx, 'graph.pb': onnx, 'x.onnx.bin': onnx, noext: onnx})
  const r = await check(model, policy(`    - id: onnx\n      type: onnx\n      forbiddenOperators: [Where]`))
  assert.equal(r.r.code, 1, JSON.stringify(r.d))
  for (const f of ['model.ort', 'graph.pb', 'x.onnx.bin', 'noext'])
    assert.match(req(r.d, 'onnx').reason, new RegExp(`${f.replace('.', '\\.')} uses forbidden operator`))
})

test('9. every provenance statement counts, whatever the order of --attestation', async () => {
  const model = makeModel(path.join(tmp.dir, 'm9'))
  const {sig, rootDigest} = await signModelWith(model, release, path.join(tmp.dir, 'm9.sig'))
  const signed = await dataset(tmp.dir, 'good9', keySigner(data))
  const unsigned = await dataset(tmp.dir, 'raw9')
  const p1 = await provenance(rootDigest, [signed.root], keySigner(release), path.join(tmp.dir, 'm9-p1.json'))
  const p2 = await provenance(rootDigest, [unsigned.root], keySigner(release), path.join(tmp.dir, 'm9-p2.json'))
  const p = policy(`${SIGNED}\n    - id: data\n      type: datasets\n      provenanceSignedBy: {anyOf: [release]}\n      signedBy: {anyOf: [data-team]}`)
  for (const order of [
    [p1, p2],
    [p2, p1],
  ]) {
    const r = await check(model, p, ['--signature', sig, '--attestation', order[0], '--attestation', order[1], '--dataset-manifest', signed.manifest])
    assert.equal(r.r.code, 1, JSON.stringify(r.d))
    assert.equal(req(r.d, 'data').code, 'DATASET_UNSIGNED')
  }
})

test('10. integrity counts only signatures from the identities the signature requirement accepts', async () => {
  const model = makeModel(path.join(tmp.dir, 'm10'))
  const {sig} = await signModelWith(model, scanner, path.join(tmp.dir, 'm10.sig'))
  const r = await check(model, policy(`    - id: signed\n      type: signature\n      mode: warn\n      signedBy: {anyOf: [release]}\n${INTEGRITY()}`), [
    '--signature',
    sig,
  ])
  assert.equal(r.r.code, 1, JSON.stringify(r.d))
  assert.equal(req(r.d, 'integrity').code, 'SIGNATURE_MISSING')
  assert.match(req(r.d, 'integrity').reason, /not from \[release\]/)
})

test('a symlink to a directory (never hashed, never walked) is neither signed nor scanned', async () => {
  const model = path.join(tmp.dir, 'm13')
  mkdirSync(model)
  cleanOnnx(path.join(model, 'model.onnx'))
  const {sig} = await signModelWith(model, release, path.join(tmp.dir, 'm13.sig'))
  const outside = makeModel(path.join(tmp.dir, 'm13-outside'), {'pytorch_model.bin': PICKLE})
  symlinkSync(outside, path.join(model, 'extras'))
  const r = await check(
    model,
    policy(
      `${SIGNED}\n${INTEGRITY()}\n    - id: scan\n      type: scan\n      source: inline\n      maxSeverity: {default: low}\n      skippable: ['**/*.json']`,
    ),
    ['--signature', sig],
  )
  assert.equal(r.r.code, 1, JSON.stringify(r.d))
  assert.match(req(r.d, 'integrity').reason, /extras\//)
  assert.match(req(r.d, 'scan').reason, /extras\/ \(symlink to a directory/)
})

test('crash: a 63 MiB bundle that does not verify is denied, in bounded memory', async () => {
  const model = makeModel(path.join(tmp.dir, 'm11'))
  // The real key's hint, so verification goes all the way to the signature check and its
  // legacy-encoding fallback (which must refuse a payload this size before encoding it).
  const {sig} = await signModelWith(model, release, path.join(tmp.dir, 'm11.sig'))
  const hint = JSON.parse(readFileSync(sig, 'utf8')).verificationMaterial.publicKey.hint
  const big = path.join(tmp.dir, 'big.sig')
  const payload = Buffer.alloc(47 * 1024 * 1024, 0xff)
  writeFileSync(
    big,
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {publicKey: {hint}, tlogEntries: []},
      dsseEnvelope: {
        payload: payload.toString('base64'),
        payloadType: IN_TOTO_PAYLOAD_TYPE,
        signatures: [{sig: Buffer.alloc(70, 1).toString('base64'), keyid: ''}],
      },
    }),
  )
  const r = await runCli(['policy', 'check', model, '--policy', policy(SIGNED), '--signature', big, '--at', AT, '--format', 'json'], {
    env: {NODE_OPTIONS: '--max-old-space-size=1536'},
    timeoutMs: 240_000,
  })
  assertCleanFailure(r)
  assert.equal(r.code, 1, r.stderr)
  assert.equal(req(JSON.parse(r.stdout), 'signed').code, 'SIGNATURE_MISSING')
})

test('also: impossible dates, unreadable evidence, private keys, symlinked models, forged attestations, decision times', async () => {
  // Strict RFC 3339: no rollover to March, no hour 24.
  for (const bad of ['2027-02-30T00:00:00Z', '2027-01-01T24:00:00Z']) {
    const p = policy(SIGNED)
    writeFileSync(p, readFileSync(p, 'utf8').replace('2099-01-01T00:00:00Z', bad))
    const r = await runCli(['policy', 'lint', p])
    assert.equal(r.code, 3, `${bad}: ${r.stdout}`)
  }
  const model = makeModel(path.join(tmp.dir, 'm12'))
  const {sig, rootDigest} = await signModelWith(model, release, path.join(tmp.dir, 'm12.sig'))
  // One rule for unreadable evidence: exit 3, like a missing --signature.
  const missing = await check(model, policy(SIGNED), ['--signature', sig, '--dataset-manifest', path.join(tmp.dir, 'nope')])
  assert.equal(missing.r.code, 3)
  assertCleanFailure(missing.r)
  const garbage = JSON.parse(readFileSync(sig, 'utf8'))
  delete garbage.verificationMaterial.publicKey
  garbage.verificationMaterial.x509CertificateChain = {certificates: [{rawBytes: Buffer.from('not a certificate').toString('base64')}]}
  const gfile = path.join(tmp.dir, 'garbage-cert.sig')
  writeFileSync(gfile, JSON.stringify(garbage))
  const g = await check(model, policy(SIGNED), ['--attestation', gfile])
  assert.equal(g.r.code, 3, g.r.stdout)
  // A private key is not a key identity.
  const priv = await runCli([
    'policy',
    'lint',
    policy(SIGNED, {identities: `      release: {key: {path: ${release.priv}}}\n      release2: {key: {path: ${release2.pub}}}`}),
  ])
  assert.equal(priv.code, 3, priv.stdout)
  assert.match(priv.stdout, /private key/)
  // A model path that is a symlink: a clear one-line error.
  const link = path.join(tmp.dir, 'm12-link')
  symlinkSync(model, link)
  const l = await check(link, policy(SIGNED), ['--signature', sig])
  assert.equal(l.r.code, 3)
  assert.match(l.r.stderr, /is a symlink; pass the directory or file it points to/)
  // audit: an attestation whose signature fails is `failed`, names no signer, shows no content.
  const att = await scanAttestation(
    rootDigest,
    scanReport([], 'scanned', ['weights.bin', 'config.json']),
    keySigner(scanner),
    path.join(tmp.dir, 'm12-scan.json'),
    new Date('2026-11-30T00:00:00Z'),
  )
  const forged = JSON.parse(readFileSync(att, 'utf8'))
  const st = JSON.parse(Buffer.from(forged.dsseEnvelope.payload, 'base64').toString())
  st.predicate.verdict = 'pass (forged)'
  forged.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64')
  const ffile = path.join(tmp.dir, 'm12-forged.json')
  writeFileSync(ffile, JSON.stringify(forged))
  const a = await runCli(['audit', model, '--attestation', ffile, '--public-key', scanner.pub, '--json'])
  assert.equal(a.code, 0, a.stderr)
  const fa = parseJson(a).attestations[0]
  assert.equal(fa.status, 'failed')
  assert.equal(fa.signer, undefined)
  assert.deepEqual(fa.says, {})
  // --decision-out: timeVerified is when the check ran; --at is recorded as the evaluation time.
  const out = path.join(tmp.dir, 'm12-decision.json')
  const before = Date.now()
  const d = await check(model, policy(SIGNED), ['--signature', sig, '--decision-out', out, '--private-key', release.priv], '2030-01-01T00:00:00Z')
  assert.equal(d.r.code, 0, JSON.stringify(d.d))
  const dst = JSON.parse(Buffer.from(JSON.parse(readFileSync(out, 'utf8')).dsseEnvelope.payload, 'base64').toString())
  assert.ok(Date.parse(dst.predicate.timeVerified) >= before - 1000 && Date.parse(dst.predicate.timeVerified) <= Date.now() + 1000)
  assert.equal(dst.predicate.modelseal.evaluatedAt, '2030-01-01T00:00:00.000Z')
})
