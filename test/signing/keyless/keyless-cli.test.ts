/**
 * `modelseal sign [sigstore]` and `modelseal verify sigstore` as a user runs them: spawned
 * CLI, local Fulcio/Rekor/TSA on 127.0.0.1, and the model_signing public-good vectors verified
 * air-gapped. --trusted-root and --offline runs happen under a preload that blocks (and logs)
 * every network attempt.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {assertCleanFailure, omsVectorsDir, omsVectorsSkip, parseJson, repoRoot, runCli, type CliResult} from '../../helpers/cli.js'
import {MOCK_IDENTITY, MOCK_ISSUER, startSigstoreMock, tempDir, type SigstoreMock} from './keyless-helpers.js'

const STUB = path.join(repoRoot, 'test', 'signing', 'keyless', 'no-network.mjs')
const VECTORS = path.join(omsVectorsDir, 'model-transparency', 'scripts', 'tests')
const PUBLIC_GOOD_ROOT = path.join(omsVectorsDir, 'sigstore-public-good', 'trusted_root.json')
/** Spawned commands are slow on a loaded 2-core machine; never let a timeout look like a failure. */
const CLI_TIMEOUT = 180_000
const IBM = ['--identity', 'stefanb@us.ibm.com', '--identity-provider', 'https://sigstore.verify.ibm.com/oauth2']

let mock: SigstoreMock
let tmp: {dir: string; cleanup: () => void}
let model: string
let sig: string
let trustedRoot: string
let mockUrls: string[]

/** Runs the CLI with every network call blocked and logged; returns the result and the log. */
async function offlineCli(args: string[], env: Record<string, string> = {}): Promise<{r: CliResult; net: string}> {
  const log = path.join(tmp.dir, `net-${Math.random().toString(16).slice(2)}.log`)
  const r = await runCli(args, {env: {NODE_OPTIONS: `--import ${STUB}`, MODELSEAL_NETLOG: log, ...env}, timeoutMs: CLI_TIMEOUT})
  return {r, net: existsSync(log) ? readFileSync(log, 'utf8') : ''}
}

const verifyArgs = (m: string, s: string, ...extra: string[]) => ['verify', 'sigstore', m, '--signature', s, ...extra]
const ours = ['--trusted-root', '', '--identity', MOCK_IDENTITY, '--identity-provider', MOCK_ISSUER]

before(async () => {
  mock = await startSigstoreMock()
  tmp = tempDir('modelseal-keyless-cli-')
  model = path.join(tmp.dir, 'model')
  mkdirSync(path.join(model, 'sub'), {recursive: true})
  writeFileSync(path.join(model, 'weights.bin'), Buffer.alloc(4096, 7))
  writeFileSync(path.join(model, 'sub', 'config.json'), '{"layers": 2}')
  sig = path.join(tmp.dir, 'model.sig')
  trustedRoot = mock.writeTrustedRoot(tmp.dir)
  ours[1] = trustedRoot
  mockUrls = ['--fulcio-url', mock.fulcioUrl, '--rekor-url', mock.rekorUrl, '--tsa-url', mock.tsaUrl]
})
after(async () => {
  await mock?.close()
  tmp?.cleanup()
})

describe('sign and verify through the CLI (local Sigstore)', () => {
  test('`sign MODEL` defaults to keyless and writes a model_signing-shaped bundle', async () => {
    const r = await runCli(['sign', model, '--signature', sig, ...mockUrls, '--identity-token', mock.mintToken(), '--json'], {
      env: {SIGSTORE_ID_TOKEN: '', ACTIONS_ID_TOKEN_REQUEST_URL: ''},
      timeoutMs: CLI_TIMEOUT,
    })
    assert.equal(r.code, 0, r.stderr + r.stdout)
    const j = parseJson(r)
    assert.equal(j.method, 'sigstore')
    assert.equal(j.resources, 2)
    assert.deepEqual(j.sigstore.identity, [MOCK_IDENTITY])
    assert.equal(j.sigstore.issuer, MOCK_ISSUER)
    assert.equal(j.sigstore.tokenSource, 'flag')
    assert.equal(j.sigstore.tlog.length, 1)
    assert.equal(j.sigstore.rfc3161Timestamps, 1)
    const b = JSON.parse(readFileSync(sig, 'utf8'))
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json')
    assert.ok(b.verificationMaterial.certificate)
    assert.equal(b.verificationMaterial.tlogEntries[0].kindVersion.kind, 'dsse')
    const statement = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString())
    assert.equal(statement.predicateType, 'https://model_signing/signature/v1.0')
    assert.deepEqual(
      mock.requests.filter((p) => p.startsWith('/api')),
      ['/api/v2/signingCert', '/api/v1/log/entries', '/api/v1/timestamp'],
    )
  })

  test('verify by identity, issuer and workflow extensions with --trusted-root: exit 0, no network I/O', async () => {
    const {r, net} = await offlineCli(
      verifyArgs(
        model,
        sig,
        ...ours,
        '--source-repository',
        'https://github.com/acme/models',
        '--source-ref-regexp',
        'refs/tags/v.*',
        '--build-signer-uri-regexp',
        'https://github\\.com/acme/models/\\.github/workflows/release\\.yml@.*',
        '--json',
      ),
    )
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(net, '')
    const j = parseJson(r)
    assert.equal(j.verified, true)
    assert.deepEqual(j.signer.subjectAlternativeNames, [MOCK_IDENTITY])
    assert.equal(j.signer.oidcIssuer, MOCK_ISSUER)
    assert.equal(j.signer.extensions.sourceRepositoryURI, 'https://github.com/acme/models')
    assert.match(j.signer.tlog[0].logIndex, /^\d+$/)
    assert.equal(j.signer.timestamps.length, 1)
  })

  test('the network stub does catch connection attempts (so the "no network" checks can fail)', async () => {
    const log = path.join(tmp.dir, 'stub-check.log')
    const r = spawnSync(
      process.execPath,
      ['--import', STUB, '-e', `fetch('${mock.url}').catch(() => {}); try { require('node:net').connect(9, '127.0.0.1') } catch {}`],
      {
        env: {...process.env, MODELSEAL_NETLOG: log},
        encoding: 'utf8',
      },
    )
    assert.equal(r.status, 0, r.stderr)
    const lines = readFileSync(log, 'utf8').trim().split('\n')
    assert.equal(lines.length, 2, lines.join('\n'))
    assert.match(lines[0], /fetch/)
    assert.match(lines[1], /net\.connect/)
  })

  test('failures exit 1 and name the check', async () => {
    const tampered = path.join(tmp.dir, 'tampered-model')
    cpSync(model, tampered, {recursive: true})
    writeFileSync(path.join(tampered, 'sub', 'config.json'), '{"layers": 3}')
    const badPayload = path.join(tmp.dir, 'bad-payload.sig')
    const b = JSON.parse(readFileSync(sig, 'utf8'))
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString())
    st.predicate.resources[0].digest = '00'.repeat(32)
    b.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64')
    writeFileSync(badPayload, JSON.stringify(b))
    const cases: [string[], string, RegExp][] = [
      [
        verifyArgs(
          model,
          sig,
          ...ours.slice(0, 2),
          '--identity',
          'https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1.0.1',
          '--identity-provider',
          MOCK_ISSUER,
        ),
        'E_SIGSTORE_IDENTITY',
        /identity check failed/,
      ],
      [verifyArgs(tampered, sig, ...ours), 'E_MODEL_MISMATCH', /config\.json/],
      [verifyArgs(model, badPayload, ...ours), 'E_SIGSTORE_TLOG_BODY', /transparency log entry check failed/],
    ]
    for (const [args, code, problem] of cases) {
      const r = await runCli([...args, '--json'], {timeoutMs: CLI_TIMEOUT})
      assert.equal(r.code, 1, `${code}: ${r.stderr}${r.stdout}`)
      const j = parseJson(r)
      assert.equal(j.verified, false)
      assert.equal(j.code, code)
      assert.match(j.problems.join('\n'), problem)
    }
    // Unanchored, this pattern would match the real SAN; anchored it must not. (Plain output.)
    const nearMiss = verifyArgs(model, sig, ...ours.slice(0, 2), '--identity-regexp', 'https://github\\.com/acme/models', '--identity-provider', MOCK_ISSUER)
    const plain = await runCli(nearMiss, {timeoutMs: CLI_TIMEOUT})
    assert.equal(plain.code, 1, plain.stderr)
    assert.match(plain.stderr, /^Verification failed: identity check failed/m)
    assertCleanFailure(plain)
  })

  test('usage and input errors: exit 2 and 3, before any hashing or network', async () => {
    const garbage = path.join(tmp.dir, 'garbage.sig')
    writeFileSync(garbage, '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": 5}')
    const noToken = await runCli(['sign', 'sigstore', model, '--signature', path.join(tmp.dir, 'x.sig'), ...mockUrls, '--no-use-ambient-credentials'], {
      env: {SIGSTORE_ID_TOKEN: '', ACTIONS_ID_TOKEN_REQUEST_URL: mock.ghaTokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: mock.ghaBearer},
      timeoutMs: CLI_TIMEOUT,
    })
    assert.equal(noToken.code, 2, noToken.stderr)
    assert.match(noToken.stderr, /E_SIGSTORE_NO_TOKEN/)
    assert.equal(existsSync(path.join(tmp.dir, 'x.sig')), false)
    const noIdentity = await runCli(verifyArgs(model, sig, '--trusted-root', trustedRoot, '--identity-provider', MOCK_ISSUER), {timeoutMs: CLI_TIMEOUT})
    assert.equal(noIdentity.code, 2, noIdentity.stderr)
    const badBundle = await runCli(verifyArgs(model, garbage, ...ours), {timeoutMs: CLI_TIMEOUT})
    assert.equal(badBundle.code, 3, badBundle.stderr)
    for (const r of [noToken, noIdentity, badBundle]) assertCleanFailure(r)
  })

  test('sign sigstore with GitHub Actions ambient credentials and a --trust-config', async () => {
    const cfg = mock.writeTrustConfig(tmp.dir)
    const sig2 = path.join(tmp.dir, 'gha.sig')
    const r = await runCli(['sign', 'sigstore', model, '--signature', sig2, '--trust-config', cfg, '--json'], {
      env: {SIGSTORE_ID_TOKEN: '', ACTIONS_ID_TOKEN_REQUEST_URL: mock.ghaTokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: mock.ghaBearer},
      timeoutMs: CLI_TIMEOUT,
    })
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(parseJson(r).sigstore.tokenSource, 'github-actions')
    assert.equal(parseJson(r).sigstore.endpoints.source, 'trust-config')
    const b = JSON.parse(readFileSync(sig2, 'utf8'))
    assert.equal(b.verificationMaterial.tlogEntries.length, 1)
  })
})

describe('model_signing public-good vectors, air-gapped', {skip: omsVectorsSkip}, () => {
  test('v1.1.0-sigstore verifies with --offline (shipped trusted root) and no network I/O', async () => {
    const dir = path.join(VECTORS, 'v1.1.0-sigstore')
    const {r, net} = await offlineCli([...verifyArgs(dir, path.join(dir, 'model.sig'), ...IBM, '--offline', '--json')], {
      MODELSEAL_TUF_CACHE: path.join(tmp.dir, 'empty-cache'),
    })
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(net, '')
    const j = parseJson(r)
    assert.equal(j.signer.tlog[0].logIndex, '598151086')
    assert.match(j.signer.trustSource, /^shipped:/)
  })

  test('v1.0.1-sigstore and the OMS spec vector verify with --trusted-root', async () => {
    const v101 = path.join(VECTORS, 'v1.0.1-sigstore')
    const v110 = path.join(VECTORS, 'v1.1.0-sigstore')
    const spec = path.join(omsVectorsDir, 'ossf-model-signing-spec', 'test-vectors', 'v1.0', 'valid', 'sigstore.bundle.json')
    const root = ['--trusted-root', PUBLIC_GOOD_ROOT]
    const a = await runCli(verifyArgs(v101, path.join(v101, 'model.sig'), ...IBM, ...root, '--ignore-paths', path.join(v101, 'ignore-me')), {
      timeoutMs: CLI_TIMEOUT,
    })
    assert.equal(a.code, 0, a.stderr)
    const b = await runCli(verifyArgs(v110, spec, ...IBM, ...root, '--ignore-paths', path.join(v110, 'model.sig')), {timeoutMs: CLI_TIMEOUT})
    assert.equal(b.code, 0, b.stderr)
    // Other identities and issuers for these vectors: keyless-vectors.test.ts (no spawn needed).
  })

  test('`verify MODEL_PATH` defaults to the sigstore method, like model_signing', async () => {
    const dir = path.join(VECTORS, 'v1.1.0-sigstore')
    const root = ['--trusted-root', PUBLIC_GOOD_ROOT]
    const ok = await runCli(['verify', dir, '--signature', path.join(dir, 'model.sig'), ...IBM, ...root, '--json'], {timeoutMs: CLI_TIMEOUT})
    assert.equal(ok.code, 0, ok.stderr + ok.stdout)
    assert.equal(parseJson(ok).method, 'sigstore')
    const wrong = await runCli(
      ['verify', dir, '--signature', path.join(dir, 'model.sig'), ...root, '--identity', 'someone@example.com', '--identity-provider', IBM[3]],
      {timeoutMs: CLI_TIMEOUT},
    )
    assert.equal(wrong.code, 1, wrong.stderr)
  })
})
