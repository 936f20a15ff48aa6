/**
 * The whole flow against a real registry (Debian's docker-registry, CNCF distribution 2.8, on
 * 127.0.0.1): push → sign (key, certificate-less keyless with the local Sigstore mock) → verify
 * by manifest → pull --verify → verify the pulled directory with the same signature. This
 * registry has no referrers API, so the referrers tag schema is what gets exercised here; the
 * API path is covered in hostile.test.ts. Plus credentials: htpasswd basic auth with flags, the
 * environment, a Docker config.json and a credential helper.
 */
import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {assertCleanFailure, parseJson, runCli, tempDir, type CliResult} from '../helpers/cli.js'
import {MOCK_IDENTITY, MOCK_ISSUER, startSigstoreMock, type SigstoreMock} from '../helpers/sigstore-mock.js'
import {makePki} from '../oms/pki.js'
import {registrySkip, startRegistry, type RealRegistry} from './registry.js'

const T = 180_000
const tmp = tempDir('modelseal-oci-real-')
const at = (...p: string[]) => path.join(tmp.dir, ...p)
let reg: RealRegistry | undefined
let mock: SigstoreMock | undefined
const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, {env: {SIGSTORE_ID_TOKEN: '', ACTIONS_ID_TOKEN_REQUEST_URL: '', DOCKER_CONFIG: at('no-docker'), ...env}, timeoutMs: T})

function makeModel(dir: string): void {
  mkdirSync(path.join(dir, 'tokenizer'), {recursive: true})
  writeFileSync(path.join(dir, 'model.safetensors'), Buffer.alloc(3 * 1024 * 1024 + 17, 0x5a))
  writeFileSync(path.join(dir, 'config.json'), '{"architectures": ["Tiny"]}\n')
  writeFileSync(path.join(dir, 'tokenizer', 'vocab.txt'), 'a\nb\nc\n')
  writeFileSync(path.join(dir, 'README.md'), '# tiny\n')
  writeFileSync(path.join(dir, 'empty.bin'), '')
}

before(async () => {
  if (registrySkip) return
  reg = await startRegistry()
  makeModel(at('model'))
  const k = await cli(['keys', 'generate', '--private-key', at('k.pem'), '--public-key', at('k.pub')])
  assert.equal(k.code, 0, k.stderr)
  const k2 = await cli(['keys', 'generate', '--private-key', at('other.pem'), '--public-key', at('other.pub')])
  assert.equal(k2.code, 0, k2.stderr)
})
after(async () => {
  await reg?.stop()
  await mock?.close()
  tmp.cleanup()
})

const ref = (repo: string, tag = 'v1') => `oci://${reg?.host}/${repo}:${tag}`
const P = ['--plain-http']

describe('push → sign → verify → pull against a real registry', {skip: registrySkip, concurrency: false}, () => {
  let pinned = ''

  test('push: one layer per file with ModelPack types and titles; the pinned digest is stable', async () => {
    // 1 MiB chunks: the 3 MiB weights go up as PATCH, PATCH, PATCH + closing PUT.
    const r = await cli(['push', at('model'), ref('models/tiny'), ...P, '--json'], {MODELSEAL_OCI_CHUNK_BYTES: String(1 << 20)})
    assert.equal(r.code, 0, r.stderr)
    const j = parseJson(r)
    assert.match(j.digest, /^sha256:[a-f0-9]{64}$/)
    pinned = j.pinned
    assert.deepEqual(
      j.layers.map((l: {title: string}) => l.title),
      ['README.md', 'config.json', 'empty.bin', 'model.safetensors', 'tokenizer/vocab.txt'],
    )
    const byTitle = Object.fromEntries(j.layers.map((l: {title: string; mediaType: string}) => [l.title, l.mediaType]))
    assert.equal(byTitle['model.safetensors'], 'application/vnd.cncf.model.weight.v1.raw')
    assert.equal(byTitle['README.md'], 'application/vnd.cncf.model.doc.v1.raw')
    assert.equal(byTitle['config.json'], 'application/vnd.cncf.model.weight.config.v1.raw')
    // The manifest as the registry serves it.
    const m = await fetch(`http://${reg?.host}/v2/models/tiny/manifests/v1`, {headers: {accept: 'application/vnd.oci.image.manifest.v1+json'}})
    const manifest = (await m.json()) as {artifactType: string; config: {mediaType: string}; layers: {annotations: Record<string, string>}[]}
    assert.equal(manifest.artifactType, 'application/vnd.cncf.model.manifest.v1+json')
    assert.equal(manifest.config.mediaType, 'application/vnd.cncf.model.config.v1+json')
    assert.equal(manifest.layers[3].annotations['org.opencontainers.image.title'], 'model.safetensors')
    // Same files again: same manifest digest, nothing uploaded.
    const again = parseJson(await cli(['push', at('model'), ref('models/tiny', 'v1-again'), ...P, '--json']))
    assert.equal(again.digest, j.digest)
    assert.equal(again.uploadedBytes, 0)
  })

  test('sign key: statement from the manifest only, bundle pushed as a referrer (tag schema here)', async () => {
    const r = await cli(['sign', 'key', ref('models/tiny'), '--private-key', at('k.pem'), '--signature', at('tiny.sig'), ...P, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const j = parseJson(r)
    assert.equal(j.oci.attachedVia, 'tag')
    assert.equal(j.oci.manifestDigest, pinned.split('@')[1])
    assert.equal(j.resources, 5)
    const idx = await fetch(`http://${reg?.host}/v2/models/tiny/manifests/${j.oci.manifestDigest.replace(':', '-')}`, {
      headers: {accept: 'application/vnd.oci.image.index.v1+json'},
    })
    assert.equal(idx.status, 200)
    const index = (await idx.json()) as {manifests: {artifactType: string; digest: string}[]}
    assert.deepEqual(
      index.manifests.map((d) => d.artifactType),
      ['application/vnd.dev.sigstore.bundle.v0.3+json'],
    )
    assert.equal(index.manifests[0].digest, j.oci.signatureDigest)
    // The statement: OMS files/sha256, resource digests = layer digests = the files' SHA-256.
    const bundle = JSON.parse(readFileSync(at('tiny.sig'), 'utf8'))
    const st = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString())
    assert.equal(st.predicateType, 'https://model_signing/signature/v1.0')
    assert.deepEqual(st.predicate.serialization, {method: 'files', hash_type: 'sha256', allow_symlinks: false})
  })

  test('verify key oci://: by manifest, no blob downloaded', async () => {
    const r = await cli(['verify', 'key', ref('models/tiny'), '--public-key', at('k.pub'), ...P, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const j = parseJson(r)
    assert.equal(j.verified, true)
    assert.equal(j.signaturesVia, 'tag')
    assert.equal(j.resources, 5)
    assert.equal(j.signer.method, 'key')
  })

  test('verify with the wrong key fails with exit 1 and says why', async () => {
    const r = await cli(['verify', 'key', ref('models/tiny'), '--public-key', at('other.pub'), ...P])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /key mismatch/)
    assertCleanFailure(r)
  })

  test('pull --verify: lands the verified model; the OCI signature also verifies the directory', async () => {
    const r = await cli(['pull', ref('models/tiny'), '--output', at('pulled'), '--verify', 'key', '--public-key', at('k.pub'), ...P, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const j = parseJson(r)
    assert.equal(j.files.length, 5)
    assert.deepEqual(readFileSync(at('pulled', 'model.safetensors')), readFileSync(at('model', 'model.safetensors')))
    assert.equal(readFileSync(at('pulled', 'empty.bin')).length, 0)
    const v = await cli(['verify', 'key', at('pulled'), '--signature', at('tiny.sig'), '--public-key', at('k.pub')])
    assert.equal(v.code, 0, v.stderr)
    // And the original directory too: layer digests are the files' SHA-256.
    const v2 = await cli(['verify', 'key', at('model'), '--signature', at('tiny.sig'), '--public-key', at('k.pub')])
    assert.equal(v2.code, 0, v2.stderr)
  })

  test('pull into a non-empty directory is refused (exit 2) and touches nothing', async () => {
    mkdirSync(at('busy'))
    writeFileSync(at('busy', 'keep.txt'), 'mine')
    const r = await cli(['pull', ref('models/tiny'), '-o', at('busy'), '--verify', 'key', '--public-key', at('k.pub'), ...P])
    assert.equal(r.code, 2, r.stderr)
    assert.deepEqual(readdirSync(at('busy')), ['keep.txt'])
  })

  test('an unsigned model, and a model re-tagged to other content, never land on disk', async () => {
    writeFileSync(at('model', 'model.safetensors'), Buffer.alloc(1000, 1)) // a different model
    const pushed = await cli(['push', at('model'), ref('models/other'), ...P])
    assert.equal(pushed.code, 0, pushed.stderr)
    const r = await cli(['pull', ref('models/other'), '-o', at('never'), '--verify', 'key', '--public-key', at('k.pub'), ...P])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /no signature is attached/)
    assert.equal(existsSync(at('never')), false)
    // Move the signed tag to the tampered content: the signature (made for the old layers) must not hold.
    const retag = await cli(['push', at('model'), ref('models/tiny'), ...P])
    assert.equal(retag.code, 0, retag.stderr)
    const v = await cli(['verify', 'key', ref('models/tiny'), '--public-key', at('k.pub'), '--signature', at('tiny.sig'), ...P])
    assert.equal(v.code, 1, v.stderr)
    assert.match(v.stderr, /changed file: model\.safetensors/)
    const p = await cli(['pull', ref('models/tiny'), '-o', at('never'), '--verify', 'key', '--public-key', at('k.pub'), '--signature', at('tiny.sig'), ...P])
    assert.equal(p.code, 1, p.stderr)
    assert.equal(existsSync(at('never')), false)
    assert.deepEqual(
      readdirSync(tmp.dir).filter((n) => n.includes('modelseal-pull')),
      [],
    )
    // Pinned by digest, the original still verifies and pulls.
    const byDigest = await cli(['pull', pinned, '-o', at('pinned'), '--verify', 'key', '--public-key', at('k.pub'), ...P])
    assert.equal(byDigest.code, 0, byDigest.stderr)
  })

  test("--include-config (the Go port's rule): config blob signed as config.json; a layer titled config.json conflicts", async () => {
    mkdirSync(at('m2'))
    writeFileSync(at('m2', 'w.onnx'), Buffer.alloc(300, 3))
    assert.equal((await cli(['push', at('m2'), ref('models/m2'), ...P])).code, 0)
    const s = await cli(['sign', 'key', ref('models/m2'), '--private-key', at('k.pem'), '--include-config', '--signature', at('m2.sig'), ...P, '--json'])
    assert.equal(s.code, 0, s.stderr)
    const st = JSON.parse(Buffer.from(JSON.parse(readFileSync(at('m2.sig'), 'utf8')).dsseEnvelope.payload, 'base64').toString())
    assert.deepEqual(
      st.predicate.resources.map((r: {name: string}) => r.name),
      ['config.json', 'w.onnx'],
    )
    const v = parseJson(await cli(['verify', 'key', ref('models/m2'), '--public-key', at('k.pub'), ...P, '--json']))
    assert.equal(v.verified, true)
    assert.equal(v.coversConfig, true)
    // The pull materialises the signed config blob as config.json, so the directory verifies too.
    const p = await cli(['pull', ref('models/m2'), '-o', at('m2-pulled'), '--verify', 'key', '--public-key', at('k.pub'), ...P])
    assert.equal(p.code, 0, p.stderr)
    assert.deepEqual(readdirSync(at('m2-pulled')).sort(), ['config.json', 'w.onnx'])
    assert.equal((await cli(['verify', 'key', at('m2-pulled'), '--signature', at('m2.sig'), '--public-key', at('k.pub')])).code, 0)
    const clash = await cli(['sign', 'key', ref('models/tiny'), '--private-key', at('k.pem'), '--include-config', ...P])
    assert.equal(clash.code, 3, clash.stderr)
    assert.match(clash.stderr, /E_OCI_DUPLICATE_TITLE/)
  })

  test('keyless: sign sigstore oci:// with the local Sigstore mock, verify by identity, pull', async () => {
    mock = await startSigstoreMock()
    const root = mock.writeTrustedRoot(tmp.dir)
    mkdirSync(at('m3'))
    writeFileSync(at('m3', 'model.gguf'), Buffer.alloc(5000, 9))
    assert.equal((await cli(['push', at('m3'), ref('models/keyless'), ...P])).code, 0)
    const s = await cli([
      'sign',
      'sigstore',
      ref('models/keyless'),
      '--fulcio-url',
      mock.fulcioUrl,
      '--rekor-url',
      mock.rekorUrl,
      '--tsa-url',
      mock.tsaUrl,
      '--identity-token',
      mock.mintToken(),
      ...P,
      '--json',
    ])
    assert.equal(s.code, 0, s.stderr)
    const sj = parseJson(s)
    assert.deepEqual(sj.sigstore.identity, [MOCK_IDENTITY])
    assert.equal(sj.oci.attachedVia, 'tag')
    const who = ['--trusted-root', root, '--identity', MOCK_IDENTITY, '--identity-provider', MOCK_ISSUER]
    const v = await cli(['verify', 'sigstore', ref('models/keyless'), ...who, ...P, '--json'])
    assert.equal(v.code, 0, v.stderr)
    assert.deepEqual(parseJson(v).signer.subjectAlternativeNames, [MOCK_IDENTITY])
    const wrong = await cli([
      'verify',
      'sigstore',
      ref('models/keyless'),
      '--trusted-root',
      root,
      '--identity',
      'mallory@example.com',
      '--identity-provider',
      MOCK_ISSUER,
      ...P,
    ])
    assert.equal(wrong.code, 1, wrong.stderr)
    const p = await cli(['pull', ref('models/keyless'), '-o', at('m3-pulled'), '--verify', 'sigstore', ...who, ...P])
    assert.equal(p.code, 0, p.stderr)
    const missing = await cli(['pull', ref('models/keyless'), '-o', at('m3-x'), '--verify', 'sigstore', '--trusted-root', root, ...P])
    assert.equal(missing.code, 2, missing.stderr)
  })

  test('certificate method: sign certificate oci://, verify certificate oci:// against the root, pull --verify certificate', async () => {
    mkdirSync(at('pki'))
    const pki = makePki(at('pki'))
    mkdirSync(at('m4'))
    writeFileSync(at('m4', 'model.pt'), Buffer.alloc(2048, 4))
    assert.equal((await cli(['push', at('m4'), ref('models/cert'), ...P])).code, 0)
    const s = await cli([
      'sign',
      'certificate',
      ref('models/cert'),
      '--private-key',
      pki.leafKey,
      '--signing-certificate',
      pki.leafCert,
      '--certificate-chain',
      pki.intCert,
      ...P,
    ])
    assert.equal(s.code, 0, s.stderr)
    const v = await cli(['verify', 'certificate', ref('models/cert'), '--certificate-chain', pki.rootCert, ...P, '--json'])
    assert.equal(v.code, 0, v.stderr)
    assert.equal(parseJson(v).signer.method, 'certificate')
    const other = await cli(['verify', 'certificate', ref('models/cert'), '--certificate-chain', pki.otherRootCert, ...P])
    assert.equal(other.code, 1, other.stderr)
    const p = await cli(['pull', ref('models/cert'), '-o', at('m4-pulled'), '--verify', 'certificate', '--certificate-chain', pki.rootCert, ...P])
    assert.equal(p.code, 0, p.stderr)
  })

  test('two signatures attached: a wrong-key referrer does not stop the right one from verifying', async () => {
    const s = await cli(['sign', 'key', ref('models/m2'), '--private-key', at('other.pem'), ...P])
    assert.equal(s.code, 0, s.stderr)
    const v = parseJson(await cli(['verify', 'key', ref('models/m2'), '--public-key', at('k.pub'), ...P, '--json']))
    assert.equal(v.verified, true)
    assert.equal(v.signaturesFound, 2)
  })
})

describe('registry credentials (htpasswd basic auth on the real registry)', {skip: registrySkip}, () => {
  let authReg: RealRegistry
  before(async () => {
    authReg = await startRegistry({user: 'alice', password: 's3cret'})
    mkdirSync(at('auth-model'), {recursive: true})
    writeFileSync(at('auth-model', 'w.bin'), 'weights')
  })
  after(async () => authReg?.stop())
  const aref = () => `oci://${authReg.host}/private/m:v1`

  test('anonymous access is refused with exit 3 and a one-line reason', async () => {
    const r = await cli(['push', at('auth-model'), aref(), ...P])
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /E_OCI_AUTH/)
    assertCleanFailure(r)
  })

  test('flags, environment, Docker config.json and a credential helper all authenticate', async () => {
    const viaEnv = await cli(['push', at('auth-model'), aref(), ...P], {MODELSEAL_REGISTRY_USERNAME: 'alice', MODELSEAL_REGISTRY_PASSWORD: 's3cret'})
    assert.equal(viaEnv.code, 0, viaEnv.stderr)
    const viaFlags = await cli(['sign', 'key', aref(), '--private-key', at('k.pem'), '--registry-username', 'alice', '--registry-password', 's3cret', ...P])
    assert.equal(viaFlags.code, 0, viaFlags.stderr)
    const wrong = await cli(['verify', 'key', aref(), '--public-key', at('k.pub'), ...P], {
      MODELSEAL_REGISTRY_USERNAME: 'alice',
      MODELSEAL_REGISTRY_PASSWORD: 'nope',
    })
    assert.equal(wrong.code, 3, wrong.stderr)
    // ~/.docker/config.json with an inline auth entry
    mkdirSync(at('docker-inline'))
    writeFileSync(at('docker-inline', 'config.json'), JSON.stringify({auths: {[authReg.host]: {auth: Buffer.from('alice:s3cret').toString('base64')}}}))
    const viaConfig = await cli(['verify', 'key', aref(), '--public-key', at('k.pub'), ...P], {DOCKER_CONFIG: at('docker-inline')})
    assert.equal(viaConfig.code, 0, viaConfig.stderr)
    // A credential helper (docker-credential-<name> get, server on stdin, JSON out)
    mkdirSync(at('bin'))
    const helper = at('bin', 'docker-credential-modelseal-test')
    writeFileSync(
      helper,
      `#!/bin/sh\nread server\n[ "$1" = get ] || exit 1\n[ "$server" = "${authReg.host}" ] || { echo "credentials not found in native keychain"; exit 1; }\necho '{"ServerURL":"'"$server"'","Username":"alice","Secret":"s3cret"}'\n`,
    )
    chmodSync(helper, 0o755)
    mkdirSync(at('docker-helper'))
    writeFileSync(at('docker-helper', 'config.json'), JSON.stringify({credHelpers: {[authReg.host]: 'modelseal-test'}}))
    const viaHelper = await cli(['pull', aref(), '-o', at('auth-pulled'), '--verify', 'key', '--public-key', at('k.pub'), ...P], {
      DOCKER_CONFIG: at('docker-helper'),
      PATH: `${at('bin')}:${process.env.PATH}`,
    })
    assert.equal(viaHelper.code, 0, viaHelper.stderr)
    assert.equal(readFileSync(at('auth-pulled', 'w.bin'), 'utf8'), 'weights')
  })
})
