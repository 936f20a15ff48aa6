/**
 * Where keyless signing gets its token and services from, and where verification gets its
 * trust from (file, trust config, shipped, TUF cache, TUF refresh failure).
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {ModelsealError} from '../../../src/errors.js'
import {
  loadTrustedRoot,
  PUBLIC_GOOD,
  resolveIdentityToken,
  resolveSigningEndpoints,
  signKeyless,
  STAGING,
  verifyKeyless,
} from '../../../src/signing/keyless/index.js'
import {githubClaims, mintJwt, MOCK_IDENTITY, MOCK_ISSUER, startSigstoreMock, tempDir, type SigstoreMock} from './keyless-helpers.js'

let mock: SigstoreMock
let tmp: {dir: string; cleanup: () => void}
before(async () => {
  mock = await startSigstoreMock()
  tmp = tempDir('modelseal-keyless-cfg-')
})
after(async () => {
  await mock?.close()
  tmp?.cleanup()
})

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    assert.ok(err instanceof ModelsealError, String(err))
    return err.code
  }
  return 'resolved'
}

describe('identity token', () => {
  const jwt = mintJwt(githubClaims())
  test('flag, then SIGSTORE_ID_TOKEN, then GitHub Actions ambient credentials', async () => {
    const envToken = mintJwt(githubClaims({sub: 'from-env'}))
    assert.equal((await resolveIdentityToken(jwt, {SIGSTORE_ID_TOKEN: envToken})).source, 'flag')
    const fromEnv = await resolveIdentityToken(undefined, {SIGSTORE_ID_TOKEN: envToken, ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/'})
    assert.equal(fromEnv.source, 'SIGSTORE_ID_TOKEN')
    assert.equal(fromEnv.claims.sub, 'from-env')
    const gha = await resolveIdentityToken(undefined, {
      ACTIONS_ID_TOKEN_REQUEST_URL: mock.ghaTokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: mock.ghaBearer,
    })
    assert.equal(gha.source, 'github-actions')
    assert.equal(gha.claims.sub, MOCK_IDENTITY)
    assert.ok(mock.requests.includes('/_github/token'))
  })

  test('missing, malformed, expired and refused tokens', async () => {
    assert.equal(await code(resolveIdentityToken(undefined, {})), 'E_SIGSTORE_NO_TOKEN')
    assert.equal(await code(resolveIdentityToken('not-a-jwt', {})), 'E_SIGSTORE_TOKEN_MALFORMED')
    assert.equal(await code(resolveIdentityToken('a.b.c', {})), 'E_SIGSTORE_TOKEN_MALFORMED')
    const expired = mintJwt(githubClaims({exp: Math.floor(Date.now() / 1000) - 60}))
    assert.equal(await code(resolveIdentityToken(expired, {})), 'E_SIGSTORE_TOKEN_EXPIRED')
    const env = {ACTIONS_ID_TOKEN_REQUEST_URL: mock.ghaTokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong'}
    assert.equal(await code(resolveIdentityToken(undefined, env)), 'E_SIGSTORE_AMBIENT_TOKEN')
  })
})

describe('signing endpoints', () => {
  test('public-good by default, staging, explicit URLs win', async () => {
    const pg = await resolveSigningEndpoints({})
    assert.deepEqual(pg, {...PUBLIC_GOOD, rekorApiVersion: 1, source: 'public-good'})
    const st = await resolveSigningEndpoints({useStaging: true})
    assert.equal(st.fulcioUrl, STAGING.fulcioUrl)
    assert.equal(st.source, 'staging')
    const ex = await resolveSigningEndpoints({rekorUrl: 'http://127.0.0.1:9/', tsaUrl: 'http://127.0.0.1:9/tsa'})
    assert.equal(ex.rekorUrl, 'http://127.0.0.1:9')
    assert.equal(ex.fulcioUrl, PUBLIC_GOOD.fulcioUrl)
    assert.equal(ex.source, 'flags')
    assert.equal(await code(resolveSigningEndpoints({fulcioUrl: 'ftp://x'})), 'E_SIGSTORE_URL')
    assert.equal(await code(resolveSigningEndpoints({useStaging: true, trustConfigPath: 'x'})), 'E_SIGSTORE_CONFLICT')
  })

  test('a trust config picks the newest valid service of a supported API version', async () => {
    const p = mock.writeTrustConfig(tmp.dir)
    const cfg = JSON.parse((await import('node:fs')).readFileSync(p, 'utf8'))
    const svc = (url: string, v: number, start: string, end?: string) => ({url, majorApiVersion: v, validFor: {start, ...(end ? {end} : {})}})
    cfg.signingConfig.caUrls = [
      svc('https://old-ca', 1, '2020-01-01T00:00:00Z'),
      svc('https://new-ca', 1, '2024-01-01T00:00:00Z'),
      svc('https://future-api', 9, '2025-01-01T00:00:00Z'),
    ]
    cfg.signingConfig.rekorTlogUrls = [
      svc('https://expired', 1, '2024-06-01T00:00:00Z', '2024-12-31T00:00:00Z'),
      svc('https://rekor', 1, '2021-01-01T00:00:00Z'),
    ]
    const p2 = path.join(tmp.dir, 'cfg2.json')
    writeFileSync(p2, JSON.stringify(cfg))
    const e = await resolveSigningEndpoints({trustConfigPath: p2})
    assert.deepEqual([e.fulcioUrl, e.rekorUrl, e.rekorApiVersion, e.source], ['https://new-ca', 'https://rekor', 1, 'trust-config'])
    writeFileSync(p2, JSON.stringify({...cfg, mediaType: 'wrong'}))
    assert.equal(await code(resolveSigningEndpoints({trustConfigPath: p2})), 'E_SIGSTORE_TRUST_CONFIG')
    writeFileSync(p2, '{not json')
    assert.equal(await code(resolveSigningEndpoints({trustConfigPath: p2})), 'E_SIGSTORE_TRUST_CONFIG')
  })

  test('a service failure names the service (no TSA at the URL)', async () => {
    const noTsa = await startSigstoreMock({tsa: false})
    try {
      const r = signKeyless(Buffer.from('{}'), 'application/vnd.in-toto+json', {
        identityToken: noTsa.mintToken(),
        fulcioUrl: noTsa.fulcioUrl,
        rekorUrl: noTsa.rekorUrl,
        tsaUrl: noTsa.tsaUrl,
        retries: 0,
        env: {},
      })
      assert.equal(await code(r), 'E_SIGSTORE_TSA')
    } finally {
      await noTsa.close()
    }
  })
})

describe('trusted root sources', () => {
  test('--trust-config: sign and verify with one ClientTrustConfig, no URLs given', async () => {
    const cfg = mock.writeTrustConfig(tmp.dir)
    const b = await signKeyless(Buffer.from('{"a":1}'), 'application/vnd.in-toto+json', {
      trustConfigPath: cfg,
      identityToken: mock.mintToken(),
      retries: 0,
      env: {},
    })
    const v = await verifyKeyless(b, {identity: MOCK_IDENTITY, issuer: MOCK_ISSUER, trustConfigPath: cfg})
    assert.match(v.signer.trustSource!, /^trust-config:/)
    assert.equal(v.signer.timestamps?.length, 1)
  })

  test('--offline: the shipped public-good root, unless the TUF cache holds a newer verified one', async () => {
    const cache = path.join(tmp.dir, 'tuf-cache')
    const shipped = await loadTrustedRoot({offline: true, tufCachePath: cache})
    assert.equal(shipped.source, 'shipped')
    assert.ok(shipped.root.tlogs.some((t) => t.baseUrl === 'https://rekor.sigstore.dev'))

    // A cache as a TUF refresh leaves it: targets metadata plus the target file it describes.
    const repo = path.join(cache, 'tuf-repo-cdn.sigstore.dev')
    mkdirSync(path.join(repo, 'targets'), {recursive: true})
    const newer = {...mock.trustedRoot}
    const bytes = Buffer.from(JSON.stringify(newer))
    const meta = {signed: {targets: {'trusted_root.json': {length: bytes.length, hashes: {sha256: createHash('sha256').update(bytes).digest('hex')}}}}}
    writeFileSync(path.join(repo, 'targets.json'), JSON.stringify(meta))
    writeFileSync(path.join(repo, 'targets', 'trusted_root.json'), bytes)
    const cached = await loadTrustedRoot({offline: true, tufCachePath: cache})
    assert.equal(cached.source, 'tuf-cache')
    const b = await signKeyless(Buffer.from('{"b":2}'), 'application/vnd.in-toto+json', {
      identityToken: mock.mintToken(),
      fulcioUrl: mock.fulcioUrl,
      rekorUrl: mock.rekorUrl,
      tsaUrl: mock.tsaUrl,
      retries: 0,
      env: {},
    })
    await verifyKeyless(b, {identity: MOCK_IDENTITY, issuer: MOCK_ISSUER, offline: true, tufCachePath: cache})

    // A cached file that no longer matches the TUF metadata is ignored, not trusted.
    writeFileSync(path.join(repo, 'targets', 'trusted_root.json'), Buffer.concat([bytes, Buffer.from(' ')]))
    assert.equal((await loadTrustedRoot({offline: true, tufCachePath: cache})).source, 'shipped')
  })

  test('a failed TUF refresh is an input error that points at --offline / --trusted-root', async () => {
    const cache = path.join(tmp.dir, 'tuf-fail')
    const noRoot = loadTrustedRoot({tufCachePath: cache, tufMirrorUrl: 'http://127.0.0.1:9'})
    assert.equal(await code(noRoot), 'E_SIGSTORE_TUF')
    // With a root.json the client really tries the (closed, loopback) mirror and fails.
    const seeds = createRequire(import.meta.url)('@sigstore/tuf/seeds.json') as Record<string, Record<string, string>>
    const rootPath = path.join(tmp.dir, 'root.json')
    writeFileSync(rootPath, Buffer.from(seeds['https://tuf-repo-cdn.sigstore.dev']['root.json'], 'base64'))
    const refresh = loadTrustedRoot({tufCachePath: cache, tufMirrorUrl: 'http://127.0.0.1:9', tufRootPath: rootPath})
    assert.equal(await code(refresh), 'E_SIGSTORE_TUF')
    assert.equal(await code(loadTrustedRoot({useStaging: true})), 'E_SIGSTORE_STAGING_TRUST')
    assert.equal(await code(loadTrustedRoot({trustedRootPath: 'a', trustConfigPath: 'b'})), 'E_SIGSTORE_CONFLICT')
  })
})
