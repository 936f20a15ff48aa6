/**
 * The online trust path: a TUF refresh (through @sigstore/tuf) against a small TUF repository
 * served on 127.0.0.1 whose target is the local Sigstore's trusted root; the refreshed root is
 * cached and later used by --offline. A target that does not match its TUF metadata is refused.
 */
import assert from 'node:assert/strict'
import {createHash, generateKeyPairSync, sign as edSign} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {ModelsealError} from '../../../src/errors.js'
import {loadTrustedRoot, signKeyless, verifyKeyless} from '../../../src/signing/keyless/index.js'
import {MOCK_IDENTITY, MOCK_ISSUER, startSigstoreMock, tempDir, type SigstoreMock} from './keyless-helpers.js'

/** TUF's canonical JSON for the plain objects used here (strings, integers, sorted keys). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

/** A one-key TUF repository (root, timestamp, snapshot, targets) serving one target. */
function tufRepo(target: Buffer): {files: Map<string, Buffer>; root: Buffer} {
  const {publicKey, privateKey} = generateKeyPairSync('ed25519')
  const pub = Buffer.from(publicKey.export({format: 'jwk'}).x!, 'base64url').toString('hex')
  const key = {keytype: 'ed25519', scheme: 'ed25519', keyval: {public: pub}}
  const keyid = createHash('sha256').update(canonical(key)).digest('hex')
  const expires = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z')
  const common = {spec_version: '1.0.31', version: 1, expires}
  const signed = (s: object) =>
    Buffer.from(JSON.stringify({signed: s, signatures: [{keyid, sig: edSign(null, Buffer.from(canonical(s)), privateKey).toString('hex')}]}))
  const role = {keyids: [keyid], threshold: 1}
  const root = signed({
    _type: 'root',
    ...common,
    consistent_snapshot: false,
    keys: {[keyid]: key},
    roles: {root: role, timestamp: role, snapshot: role, targets: role},
  })
  const targets = signed({
    _type: 'targets',
    ...common,
    targets: {'trusted_root.json': {length: target.length, hashes: {sha256: createHash('sha256').update(target).digest('hex')}}},
  })
  const snapshot = signed({_type: 'snapshot', ...common, meta: {'targets.json': {version: 1}}})
  const timestamp = signed({_type: 'timestamp', ...common, meta: {'snapshot.json': {version: 1}}})
  const files = new Map<string, Buffer>([
    ['/timestamp.json', timestamp],
    ['/snapshot.json', snapshot],
    ['/targets.json', targets],
    ['/targets/trusted_root.json', target],
  ])
  return {files, root}
}

let mock: SigstoreMock
let tmp: {dir: string; cleanup: () => void}
let server: http.Server
let mirror: string
let served: Map<string, Buffer>
let rootPath: string

before(async () => {
  mock = await startSigstoreMock()
  tmp = tempDir('modelseal-keyless-tuf-')
  const repo = tufRepo(Buffer.from(JSON.stringify(mock.trustedRoot)))
  served = repo.files
  rootPath = path.join(tmp.dir, 'root.json')
  writeFileSync(rootPath, repo.root)
  server = http.createServer((req, res) => {
    const body = served.get(new URL(req.url ?? '/', 'http://x').pathname)
    if (body) res.writeHead(200, {'content-type': 'application/json'}).end(body)
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  await mock?.close()
  tmp?.cleanup()
})

test('verification refreshes the trusted root through TUF, and --offline then uses the cache', async () => {
  const cache = path.join(tmp.dir, 'cache')
  const bundle = await signKeyless(Buffer.from('{"tuf":1}'), 'application/vnd.in-toto+json', {
    identityToken: mock.mintToken(),
    fulcioUrl: mock.fulcioUrl,
    rekorUrl: mock.rekorUrl,
    tsaUrl: mock.tsaUrl,
    retries: 0,
    env: {},
  })
  const opts = {identity: MOCK_IDENTITY, issuer: MOCK_ISSUER, tufCachePath: cache, tufMirrorUrl: mirror, tufRootPath: rootPath}
  const online = await verifyKeyless(bundle, opts)
  assert.equal(online.signer.trustSource, `tuf:${mirror}`)

  // Air-gapped afterwards: the mirror is gone, the cached (TUF-verified) root still works.
  served.clear()
  const offline = await verifyKeyless(bundle, {...opts, offline: true})
  assert.match(offline.signer.trustSource!, /^tuf-cache:/)
  // Without --offline the refresh now fails (timestamp.json is gone): an input error, exit 3.
  await assert.rejects(verifyKeyless(bundle, opts), (err: unknown) => err instanceof ModelsealError && err.code === 'E_SIGSTORE_TUF')
})

test('a target that does not match the signed TUF metadata is refused', async () => {
  const repo = tufRepo(Buffer.from(JSON.stringify(mock.trustedRoot)))
  writeFileSync(rootPath, repo.root)
  for (const [k, v] of repo.files) served.set(k, v)
  const forged = {...mock.trustedRoot, tlogs: []}
  served.set('/targets/trusted_root.json', Buffer.from(JSON.stringify(forged)))
  const load = loadTrustedRoot({tufCachePath: path.join(tmp.dir, 'cache2'), tufMirrorUrl: mirror, tufRootPath: rootPath})
  await assert.rejects(load, (err: unknown) => err instanceof ModelsealError && err.code === 'E_SIGSTORE_TUF' && /target/i.test(err.message))
})
