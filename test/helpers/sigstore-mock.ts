/**
 * Local Sigstore services for offline tests: the @sigstore/mock Fulcio, Rekor (v1) and TSA
 * handlers served over node:http on 127.0.0.1, plus a trusted root (and a ClientTrustConfig)
 * built from their keys. A spawned CLI can use them exactly like public-good:
 *
 *   const mock = await startSigstoreMock()
 *   runCli(['sign', 'sigstore', model, '--fulcio-url', mock.fulcioUrl, '--rekor-url', mock.rekorUrl,
 *           '--tsa-url', mock.tsaUrl, '--identity-token', mock.mintToken()])
 *   runCli(['verify', 'sigstore', model, '--trusted-root', mock.writeTrustedRoot(dir), ...])
 *   await mock.close()
 *
 * Fix-up: mock Rekor logs the *proposed* dsse entry verbatim, real Rekor canonicalises it to
 * {envelopeHash, payloadHash, signatures[{signature, verifier}]}; without that verification fails
 * with "signature count mismatch". The adapter below does what Rekor does. (A second fix-up,
 * for the mock TSA's time encoding, is next to its route.)
 */
import {createHash, createHmac, generateKeyPairSync, type KeyObject} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

export interface SigstoreMock {
  /** Base URL of the server (Fulcio and Rekor live here). */
  url: string
  fulcioUrl: string
  rekorUrl: string
  tsaUrl: string
  /** GitHub Actions OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL), bearer `ghaBearer`. */
  ghaTokenUrl: string
  ghaBearer: string
  /** Trusted root (JSON object) for the mock CA, CT log, Rekor and TSA. */
  trustedRoot: Record<string, unknown>
  /** Writes trusted_root.json into dir; returns its path. */
  writeTrustedRoot(dir: string): string
  /** Writes a ClientTrustConfig (trusted root + signing config naming this server); returns its path. */
  writeTrustConfig(dir: string, opts?: {tsa?: boolean}): string
  /** A JWT the mock Fulcio accepts (it decodes without verifying). `sub` becomes the SAN. */
  mintToken(claims?: Record<string, unknown>): string
  /** Every request path the server received, in order. */
  requests: string[]
  close(): Promise<void>
}

export const MOCK_ISSUER = 'https://token.actions.githubusercontent.com'
export const MOCK_IDENTITY = 'https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1.0.0'

/** GitHub-Actions-like claims; the mock Fulcio turns them into Fulcio extensions. */
export function githubClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: MOCK_ISSUER,
    sub: MOCK_IDENTITY,
    aud: 'sigstore',
    iat: now,
    exp: now + 600,
    repository: 'acme/models',
    repository_owner: 'acme',
    ref: 'refs/tags/v1.0.0',
    sha: '0123456789abcdef0123456789abcdef01234567',
    workflow_ref: 'acme/models/.github/workflows/release.yml@refs/tags/v1.0.0',
    job_workflow_ref: 'acme/models/.github/workflows/release.yml@refs/tags/v1.0.0',
    event_name: 'release',
    runner_environment: 'github-hosted',
    ...overrides,
  }
}

export function mintJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const head = `${enc({alg: 'HS256', typ: 'JWT'})}.${enc(claims)}`
  return `${head}.${createHmac('sha256', 'modelseal-test').update(head).digest('base64url')}`
}

interface Route {
  fn: (body: string) => Promise<{statusCode: number; response: string | ArrayBufferView; contentType?: string}>
}

export async function startSigstoreMock(opts: {tsa?: boolean} = {}): Promise<SigstoreMock> {
  const mock = await import('@sigstore/mock')
  const keys = () => generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const [caKeys, ctKeys, tlogKeys, tsaKeys] = [keys(), keys(), keys(), keys()]

  const routes = new Map<string, Route>()
  const requests: string[] = []
  const ghaBearer = 'gha-request-token'
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1')
      requests.push(u.pathname)
      if (u.pathname === '/_github/token') {
        const ok = req.headers.authorization === `Bearer ${ghaBearer}` && u.searchParams.get('audience') === 'sigstore'
        res.writeHead(ok ? 200 : 401, {'content-type': 'application/json'})
        res.end(ok ? JSON.stringify({value: mintJwt(githubClaims())}) : '{"message":"bad credentials"}')
        return
      }
      const route = routes.get(u.pathname)
      if (!route || req.method !== 'POST') {
        res.writeHead(404).end('not found')
        return
      }
      route
        .fn(Buffer.concat(chunks).toString('utf8'))
        .then((r) => {
          res.writeHead(r.statusCode, {'content-type': r.contentType ?? 'application/json'})
          res.end(typeof r.response === 'string' ? r.response : Buffer.from(r.response.buffer, r.response.byteOffset, r.response.byteLength))
        })
        .catch((err: Error) => res.writeHead(500).end(err.message))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const ctLog = await mock.initializeCTLog(ctKeys)
  const ca = await mock.initializeCA(caKeys, ctLog)
  const tlog = await mock.initializeTLog(url, tlogKeys)
  const tsa = await mock.initializeTSA(tsaKeys)

  const fulcio = mock.fulcioHandler(ca)
  routes.set(fulcio.path, {fn: (b) => fulcio.fn(b)})
  routes.set('/api/v1/log/entries', {
    fn: async (body) => {
      const entry = canonicaliseRekorEntry(JSON.parse(body))
      const logged = await tlog.log(entry)
      return {statusCode: 201, response: JSON.stringify(logged), contentType: 'application/json'}
    },
  })
  const tsaH = mock.tsaHandler(tsa)
  if (opts.tsa !== false) {
    routes.set(tsaH.path, {
      // Fix-up 2: the mock TSA writes genTime with trailing fraction zeros dropped
      // ("…13.04Z"), which @sigstore/core's parser (3 digits or none) rejects. Ask again until
      // the clock gives a parseable time (real TSAs write DER-conformant times).
      fn: async (b) => {
        for (let i = 0; ; i++) {
          const r = await tsaH.fn(b)
          const der = typeof r.response === 'string' ? Buffer.from(r.response) : Buffer.from(r.response.buffer, r.response.byteOffset, r.response.byteLength)
          if (i >= 20 || !/\d{14}\.\d{1,2}Z/.test(der.toString('latin1'))) return r
          await new Promise((resolve) => setTimeout(resolve, 3))
        }
      },
    })
  }

  const start = new Date(Date.now() - 60_000).toISOString()
  const spki = (k: KeyObject) => k.export({format: 'der', type: 'spki'})
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64')
  const logInstance = (k: KeyObject) => ({
    baseUrl: url,
    hashAlgorithm: 'SHA2_256',
    publicKey: {rawBytes: b64(spki(k)), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: {start}},
    logId: {keyId: b64(createHash('sha256').update(spki(k)).digest())},
  })
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logInstance(tlogKeys.publicKey)],
    certificateAuthorities: [
      {
        subject: {organization: 'sigstore.mock', commonName: 'sigstore'},
        uri: url,
        certChain: {certificates: [{rawBytes: b64(ca.rootCertificate as Uint8Array)}]},
        validFor: {start},
      },
    ],
    ctlogs: [logInstance(ctKeys.publicKey)],
    timestampAuthorities: [
      {
        subject: {organization: 'sigstore.mock', commonName: 'tsa'},
        uri: `${url}/api/v1/timestamp`,
        certChain: {
          certificates: [{rawBytes: b64(tsa.intCertificate as Uint8Array)}, {rawBytes: b64(tsa.rootCertificate as Uint8Array)}],
        },
        validFor: {start},
      },
    ],
  }

  return {
    url,
    fulcioUrl: url,
    rekorUrl: url,
    tsaUrl: `${url}/api/v1/timestamp`,
    ghaTokenUrl: `${url}/_github/token?x=1`,
    ghaBearer,
    trustedRoot,
    requests,
    writeTrustedRoot(dir) {
      const p = path.join(dir, 'trusted_root.json')
      writeFileSync(p, JSON.stringify(trustedRoot, null, 2))
      return p
    },
    writeTrustConfig(dir, o = {}) {
      const p = path.join(dir, 'trust_config.json')
      const service = (u: string) => ({url: u, majorApiVersion: 1, validFor: {start}})
      writeFileSync(
        p,
        JSON.stringify({
          mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
          trustedRoot,
          signingConfig: {
            mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
            caUrls: [service(url)],
            oidcUrls: [],
            rekorTlogUrls: [service(url)],
            tsaUrls: o.tsa === false ? [] : [service(`${url}/api/v1/timestamp`)],
            rekorTlogConfig: {selector: 'ANY'},
            tsaConfig: {selector: 'ANY'},
          },
        }),
      )
      return p
    },
    mintToken: (claims) => mintJwt(claims ?? githubClaims()),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** What Rekor v1 stores for a proposed `dsse` entry (and echoes back as the entry body). */
function canonicaliseRekorEntry(proposed: {kind?: string; apiVersion?: string; spec?: {proposedContent?: {envelope: string; verifiers: string[]}}}): object {
  const pc = proposed.spec?.proposedContent
  if (proposed.kind !== 'dsse' || !pc) return proposed
  const envelope = JSON.parse(pc.envelope) as {payload: string; signatures: {sig: string}[]}
  const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
  return {
    apiVersion: proposed.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: {algorithm: 'sha256', value: sha256(pc.envelope)},
      payloadHash: {algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64'))},
      signatures: envelope.signatures.map((s, i) => ({signature: s.sig, verifier: pc.verifiers[i] ?? pc.verifiers[0]})),
    },
  }
}
