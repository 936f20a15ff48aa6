/**
 * The tamper matrix, through the CLI: every change to the model or the bundle, every wrong key
 * or certificate must make `verify` exit 1 and name the problem on its own line.
 */
import assert from 'node:assert/strict'
import {cpSync, mkdirSync, readFileSync, renameSync, rmSync, truncateSync, appendFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {signPayload} from '../../src/signing/index.js'
import {loadCertificates} from '../../src/signing/certificate.js'
import {generateKeyPair} from '../../src/signing/keys.js'
import {assertCleanFailure, runCli, tempDir} from '../helpers/cli.js'
import {makeModel} from './model-fixtures.js'
import {makePki, type Pki} from './pki.js'

const tmp = tempDir('modelseal-tamper-')
after(tmp.cleanup)
const at = (...p: string[]) => path.join(tmp.dir, ...p)
let pki: Pki
const model = at('model')
let n = 0

before(async () => {
  makeModel(model)
  for (const name of ['key', 'other']) {
    const kp = generateKeyPair('p256')
    writeFileSync(at(`${name}.pem`), kp.privateKeyPem)
    writeFileSync(at(`${name}.pub`), kp.publicKeyPem)
  }
  const pkiDir = at('pki')
  mkdirSync(pkiDir)
  pki = makePki(pkiDir)
  const r1 = await runCli(['sign', 'key', model, '--private-key', at('key.pem'), '--signature', at('key.sig')])
  assert.equal(r1.code, 0, r1.stderr)
  const r2 = await runCli(['sign', 'key', model, '--private-key', at('key.pem'), '--signature', at('shards.sig'), '--method', 'shards', '--shard-size', '1000'])
  assert.equal(r2.code, 0, r2.stderr)
  const r3 = await runCli([
    'sign',
    'certificate',
    model,
    '--private-key',
    pki.leafKey,
    '--signing-certificate',
    pki.leafCert,
    '--certificate-chain',
    pki.intCert,
    '--signature',
    at('cert.sig'),
  ])
  assert.equal(r3.code, 0, r3.stderr)
})

/** A fresh copy of the model with `mutate` applied. */
function copyWith(mutate: (dir: string) => void): string {
  const dir = at(`case-${n++}`)
  cpSync(model, dir, {recursive: true})
  mutate(dir)
  return dir
}

/** A copy of a bundle with `mutate` applied to its JSON. */
function bundleWith(src: string, mutate: (b: any) => void): string {
  const b = JSON.parse(readFileSync(at(src), 'utf8'))
  mutate(b)
  const out = at(`bundle-${n++}.sig`)
  writeFileSync(out, JSON.stringify(b))
  return out
}

/** Exit 1 with the problem on its own stderr line; with `json`, also the --json report. */
async function expectFailure(args: string[], line: RegExp, json = false) {
  const r = await runCli(json ? [...args, '--json'] : args)
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}\n${r.stdout}\n${r.stderr}`)
  assertCleanFailure(r)
  if (!json) {
    assert.match(r.stderr, line)
    return
  }
  const report = JSON.parse(r.stdout)
  assert.equal(report.verified, false)
  assert.ok(
    report.problems.some((p: string) => line.test(`Verification failed: ${p}`)),
    JSON.stringify(report.problems),
  )
}

const byKey = (dir: string, sig = at('key.sig'), pub = at('key.pub')) => ['verify', 'key', dir, '--signature', sig, '--public-key', pub]
const byCert = (dir: string, sig = at('cert.sig'), root = pki.rootCert) => ['verify', 'certificate', dir, '--signature', sig, '--certificate-chain', root]
const payloadEdit = (b: any, f: (st: any) => void) => {
  const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString())
  f(st)
  b.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64')
}

// Cases are independent (each works on its own copy); run a few at once, the CLI start dominates.
describe('tamper matrix (exit 1, one line per problem)', {concurrency: 4}, () => {
  test('baseline: the untouched model verifies (key, shards, certificate)', async () => {
    for (const args of [byKey(model), byKey(model, at('shards.sig')), byCert(model)]) {
      const r = await runCli(args)
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /^Verification succeeded/)
    }
  })

  test('flip one byte', () =>
    expectFailure(
      byKey(
        copyWith((d) => {
          const p = path.join(d, 'weights.bin')
          const b = readFileSync(p)
          b[1234] ^= 1
          writeFileSync(p, b)
        }),
      ),
      /^Verification failed: changed file: weights\.bin: sha256 digest differs$/m,
    ))

  test('flip one byte (shards mode names the shard)', () =>
    expectFailure(
      byKey(
        copyWith((d) => {
          const p = path.join(d, 'weights.bin')
          const b = readFileSync(p)
          b[1234] ^= 1
          writeFileSync(p, b)
        }),
        at('shards.sig'),
      ),
      /^Verification failed: changed file: weights\.bin: shard 1000-2000 digest differs$/m,
    ))

  test('--json report of a failure', () =>
    expectFailure(byKey(copyWith((d) => rmSync(path.join(d, 'config.json')))), /^Verification failed: missing file: config\.json$/, true))

  test('--json report of a crypto failure', () => expectFailure(byKey(model, at('key.sig'), at('other.pub')), /key mismatch/, true))

  test('append a byte', () => expectFailure(byKey(copyWith((d) => appendFileSync(path.join(d, 'config.json'), ' '))), /changed file: config\.json/))
  test('truncate', () => expectFailure(byKey(copyWith((d) => truncateSync(path.join(d, 'a/b.bin'), 10))), /changed file: a\/b\.bin/))
  test('add a file', () =>
    expectFailure(byKey(copyWith((d) => writeFileSync(path.join(d, 'nested/new.py'), 'import os'))), /^Verification failed: extra file: nested\/new\.py/m))
  test('delete a file', () => expectFailure(byKey(copyWith((d) => rmSync(path.join(d, '.hidden')))), /^Verification failed: missing file: \.hidden$/m))

  test('rename a file (one missing, one extra)', async () => {
    const dir = copyWith((d) => renameSync(path.join(d, 'a-c'), path.join(d, 'a-d')))
    await expectFailure(byKey(dir), /missing file: a-c/)
    const r = await runCli(byKey(dir))
    assert.match(r.stderr, /extra file: a-d/)
  })

  test('swap the contents of two files', async () => {
    const dir = copyWith((d) => {
      const a = readFileSync(path.join(d, 'weights.bin'))
      writeFileSync(path.join(d, 'weights.bin'), readFileSync(path.join(d, 'a/b.bin')))
      writeFileSync(path.join(d, 'a/b.bin'), a)
    })
    await expectFailure(byKey(dir), /changed file: weights\.bin/)
    assert.match((await runCli(byKey(dir))).stderr, /changed file: a\/b\.bin/)
  })

  test('edit the payload', () =>
    expectFailure(
      byKey(
        model,
        bundleWith('key.sig', (b) => payloadEdit(b, (st) => (st.predicate.resources[0].digest = '0'.repeat(64)))),
      ),
      /signature check failed/,
    ))

  test('edit the signature', () =>
    expectFailure(
      byKey(
        model,
        bundleWith('key.sig', (b) => {
          const sig = Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64')
          sig[sig.length - 3] ^= 0x40
          b.dsseEnvelope.signatures[0].sig = sig.toString('base64')
        }),
      ),
      /signature check failed/,
    ))

  test('change payloadType', () =>
    expectFailure(
      byKey(
        model,
        bundleWith('key.sig', (b) => (b.dsseEnvelope.payloadType = 'application/vnd.in-toto+jsonx')),
      ),
      /signature check failed/,
    ))

  test('wrong public key', () => expectFailure(byKey(model, at('key.sig'), at('other.pub')), /key mismatch/))

  test('forged hint (bundle claims the verifier key)', async () => {
    const other = readFileSync(at('other.pub'), 'utf8')
    const hint = (await import('node:crypto')).createHash('sha256').update(other).digest('hex')
    await expectFailure(
      byKey(
        model,
        bundleWith('key.sig', (b) => (b.verificationMaterial.publicKey.hint = hint)),
        at('other.pub'),
      ),
      /signature check failed/,
    )
  })

  test('wrong CA', () => expectFailure(byCert(model, at('cert.sig'), pki.otherRootCert), /does not lead to a trusted certificate/))

  test('expired leaf (same key, certificate expired)', () =>
    expectFailure(
      byCert(
        model,
        bundleWith('cert.sig', (b) => {
          b.verificationMaterial.x509CertificateChain.certificates[0].rawBytes = loadCertificates([pki.expiredLeafCert])[0].raw.toString('base64')
        }),
      ),
      /expired at 2020-02-01/,
    ))

  test('resource name ../x in a re-signed payload, with ../x present beside the model', async () => {
    writeFileSync(at('x'), 'outside')
    const b = JSON.parse(readFileSync(at('key.sig'), 'utf8'))
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString())
    st.predicate.resources.push({name: '../x', algorithm: 'sha256', digest: (await import('node:crypto')).createHash('sha256').update('outside').digest('hex')})
    const {computeRootDigest} = await import('../../src/oms/resource-name.js')
    st.subject[0].digest.sha256 = computeRootDigest(st.predicate.resources)
    const resigned = await signPayload(Buffer.from(JSON.stringify(st)), 'application/vnd.in-toto+json', {method: 'key', privateKeyPath: at('key.pem')})
    writeFileSync(at('evil.sig'), JSON.stringify(resigned))
    await expectFailure(byKey(model, at('evil.sig')), /unsafe path "\.\.\/x"/)
  })

  test('a non-canonical alias of a signed shard (w.bin:00:1000 listed before w.bin:0:1000)', async () => {
    const b = JSON.parse(readFileSync(at('shards.sig'), 'utf8'))
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString())
    const i = st.predicate.resources.findIndex((r: {name: string}) => r.name.endsWith(':0:1000'))
    assert.ok(i >= 0, 'the fixture has a shard 0:1000')
    const r = st.predicate.resources[i]
    st.predicate.resources.splice(i, 0, {...r, name: r.name.replace(/:0:1000$/, ':00:1000')})
    const {computeRootDigest} = await import('../../src/oms/resource-name.js')
    st.subject[0].digest.sha256 = computeRootDigest(st.predicate.resources)
    const resigned = await signPayload(Buffer.from(JSON.stringify(st)), 'application/vnd.in-toto+json', {method: 'key', privateKeyPath: at('key.pem')})
    writeFileSync(at('alias.sig'), JSON.stringify(resigned))
    await expectFailure(byKey(model, at('alias.sig')), /:00:1000" is not path:start:end/)
  })
})
