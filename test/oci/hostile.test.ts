/**
 * Hostile registries, through the CLI: every lie a registry can tell (digests, sizes, titles,
 * redirects, endless referrer pages, stalls) must end in a one-line error with the documented
 * exit code and nothing written outside the output directory — and the referrers API path,
 * which the real registry in real-registry.test.ts does not have.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'

import {pushModel} from '../../src/oci/push.js'
import {signOciModel} from '../../src/oci/sign.js'
import {assertCleanFailure, parseJson, repoRoot, runCli, tempDir, type CliResult} from '../helpers/cli.js'
import {send, sha256, startFakeRegistry, type FakeRegistry} from './fake-registry.js'

const tmp = tempDir('modelseal-oci-hostile-')
const at = (...p: string[]) => path.join(tmp.dir, ...p)
let reg: FakeRegistry
const P = ['--plain-http']
const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, {env: {DOCKER_CONFIG: at('no-docker'), MODELSEAL_OCI_TIMEOUT_MS: '3000', ...env}, timeoutMs: 120_000})
const ref = (repo: string, tag = 'v1') => `oci://${reg.host}/${repo}:${tag}`
const keyVerify = () => ['--verify', 'key', '--public-key', at('k.pub')]

before(async () => {
  reg = await startFakeRegistry()
  mkdirSync(at('model', 'sub'), {recursive: true})
  writeFileSync(at('model', 'weights.bin'), Buffer.alloc(100_000, 7))
  writeFileSync(at('model', 'sub', 'config.json'), '{}')
  const k = await cli(['keys', 'generate', '--private-key', at('k.pem'), '--public-key', at('k.pub')])
  assert.equal(k.code, 0, k.stderr)
})
after(async () => {
  await reg.close()
  tmp.cleanup()
})
beforeEach(() => {
  reg.hook = undefined
  reg.referrersApi = false
  reg.bearer = undefined
})

/** Pushes the model and signs it (in-process), returns the manifest digest. */
async function signed(repo: string): Promise<string> {
  const p = await pushModel(at('model'), ref(repo), {plainHttp: true})
  await signOciModel(ref(repo), {plainHttp: true, signer: {method: 'key', privateKeyPath: at('k.pem')}})
  return p.digest
}

/** A manifest with the given layers (titles), signed as-is by pushing a raw manifest. */
function rawModel(repo: string, layers: {title?: string; content: string}[]): string {
  const config = reg.putBlob('{}')
  return reg.putManifest(repo, 'v1', {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {mediaType: 'application/vnd.cncf.model.config.v1+json', digest: config, size: 2},
    layers: layers.map((l) => ({
      mediaType: 'application/vnd.cncf.model.weight.v1.raw',
      digest: reg.putBlob(l.content),
      size: Buffer.byteLength(l.content),
      ...(l.title === undefined ? {} : {annotations: {'org.opencontainers.image.title': l.title}}),
    })),
  })
}

const noStaging = () =>
  assert.deepEqual(
    readdirSync(tmp.dir).filter((n) => n.includes('modelseal-pull')),
    [],
  )

describe('hostile registries', {concurrency: false}, () => {
  test('a manifest whose bytes do not match the digest asked for: exit 1', async () => {
    const d = await signed('m/digest')
    reg.hook = (_req, res, m) =>
      m.kind === 'manifests' &&
      m.ref === d &&
      send(res, 200, JSON.stringify({schemaVersion: 2, layers: [], config: {}}), {'content-type': 'application/vnd.oci.image.manifest.v1+json'})
    const r = await cli(['verify', 'key', `oci://${reg.host}/m/digest@${d}`, '--public-key', at('k.pub'), ...P])
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /E_OCI_DIGEST_MISMATCH/)
    assertCleanFailure(r)
  })

  test('a tag answer whose Docker-Content-Digest disagrees with its bytes: exit 1', async () => {
    await signed('m/header')
    reg.hook = (_req, res, m) => {
      if (m.kind !== 'manifests' || m.ref !== 'v1') return false
      const e = reg.manifests.get('m/header:v1')
      return !!e && send(res, 200, e.bytes, {'content-type': e.mediaType, 'docker-content-digest': sha256('something else')})
    }
    const r = await cli(['pull', ref('m/header'), '-o', at('o-header'), ...keyVerify(), ...P])
    assert.equal(r.code, 1, r.stderr)
    assert.equal(existsSync(at('o-header')), false)
  })

  test('oversized manifests are refused without reading them whole (declared and undeclared length): exit 3', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20)
    reg.hook = (_req, res, m) =>
      m.kind === 'manifests' && send(res, 200, big, {'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(big.length)})
    const r = await cli(['verify', 'key', ref('m/big'), '--public-key', at('k.pub'), ...P])
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /E_OCI_TOO_LARGE/)
    reg.hook = (_req, res, m) => {
      if (m.kind !== 'manifests') return false
      res.writeHead(200, {'content-type': 'application/vnd.oci.image.manifest.v1+json'}) // chunked, no length
      const chunk = Buffer.alloc(1024 * 1024, 0x20)
      let n = 0
      const pump = (): void => {
        while (n++ < 64) {
          if (!res.write(chunk)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      pump()
      return true
    }
    const r2 = await cli(['verify', 'key', ref('m/big'), '--public-key', at('k.pub'), ...P])
    assert.equal(r2.code, 3, r2.stderr)
    assert.match(r2.stderr, /E_OCI_TOO_LARGE/)
  })

  for (const [label, title, code] of [
    ['.. component', '../escape.bin', 'E_OCI_UNSAFE_TITLE'],
    ['absolute path', '/etc/evil', 'E_OCI_UNSAFE_TITLE'],
    ['backslash', 'dir\\evil.bin', 'E_OCI_UNSAFE_TITLE'],
    ['NUL', 'a\u0000b', 'E_OCI_UNSAFE_TITLE'],
    ['empty component', 'a//b', 'E_OCI_UNSAFE_TITLE'],
  ] as const) {
    test(`a layer title with ${label} is refused before any download (exit 3)`, async () => {
      const repo = `t/${label.toLowerCase().replace(/[^a-z]/g, '')}`
      rawModel(repo, [
        {title: 'ok.bin', content: 'fine'},
        {title, content: 'evil'},
      ])
      for (const args of [
        ['sign', 'key', ref(repo), '--private-key', at('k.pem'), ...P],
        ['pull', ref(repo), '-o', at('o-title'), ...keyVerify(), ...P],
      ]) {
        const r = await cli(args)
        assert.equal(r.code, 3, r.stderr)
        assert.match(r.stderr, new RegExp(code))
        assertCleanFailure(r)
      }
      assert.equal(existsSync(at('o-title')), false)
      assert.equal(existsSync(path.join(tmp.dir, '..', 'escape.bin')), false)
      assert.equal(
        reg.requests.some((q) => q.url.includes(sha256('evil'))),
        false,
        'no blob was fetched',
      )
    })
  }

  test('duplicate titles, and a title that is also a directory of another: exit 3', async () => {
    rawModel('t/dup', [
      {title: 'a.bin', content: 'one'},
      {title: 'a.bin', content: 'two'},
    ])
    const r = await cli(['sign', 'key', ref('t/dup'), '--private-key', at('k.pem'), ...P])
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /E_OCI_DUPLICATE_TITLE/)
    rawModel('t/dir', [
      {title: 'a', content: 'one'},
      {title: 'a/b', content: 'two'},
    ])
    const r2 = await cli(['sign', 'key', ref('t/dir'), '--private-key', at('k.pem'), ...P])
    assert.equal(r2.code, 3, r2.stderr)
    assert.match(r2.stderr, /E_OCI_DUPLICATE_TITLE/)
  })

  test("untitled layers are named layer_NNN.tar.gz (the Go port's rule) and still verify and pull", async () => {
    rawModel('t/untitled', [{title: 'w.bin', content: 'w'}, {content: 'tar bytes'}])
    assert.equal((await cli(['sign', 'key', ref('t/untitled'), '--private-key', at('k.pem'), '--signature', at('untitled.sig'), ...P])).code, 0)
    const st = JSON.parse(Buffer.from(JSON.parse(readFileSync(at('untitled.sig'), 'utf8')).dsseEnvelope.payload, 'base64').toString())
    assert.deepEqual(st.predicate.resources.map((x: {name: string}) => x.name).sort(), ['layer_001.tar.gz', 'w.bin'])
    const r = await cli(['pull', ref('t/untitled'), '-o', at('o-untitled'), ...keyVerify(), ...P])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(readFileSync(at('o-untitled', 'layer_001.tar.gz'), 'utf8'), 'tar bytes')
  })

  for (const [label, tamper] of [
    ['same size, other bytes', (b: Buffer) => Buffer.from(b.map((x) => x ^ 1))],
    ['more bytes than declared', (b: Buffer) => Buffer.concat([b, Buffer.from('extra')])],
    ['fewer bytes than declared', (b: Buffer) => b.subarray(0, b.length - 10)],
  ] as const) {
    test(`a blob with ${label}: pull fails (exit 1), nothing lands, no staging left`, async () => {
      await signed('b/tamper')
      const weights = sha256(readFileSync(at('model', 'weights.bin')))
      reg.hook = (req, res, m) => {
        if (m.kind !== 'blobs' || m.ref !== weights || req.method !== 'GET') return false
        res.writeHead(200, {'content-type': 'application/octet-stream'}) // no length: the client must count
        res.end(tamper(reg.blobs.get(weights) as Buffer))
        return true
      }
      const r = await cli(['pull', ref('b/tamper'), '-o', at('o-tamper'), ...keyVerify(), ...P])
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /E_OCI_BLOB_MISMATCH/)
      assert.equal(existsSync(at('o-tamper')), false)
      noStaging()
    })
  }

  test('a Content-Length that disagrees with the manifest size: exit 1 before writing', async () => {
    await signed('b/length')
    const weights = sha256(readFileSync(at('model', 'weights.bin')))
    reg.hook = (req, res, m) => m.kind === 'blobs' && m.ref === weights && req.method === 'GET' && send(res, 200, Buffer.alloc(5), {'content-length': '5'})
    const r = await cli(['pull', ref('b/length'), '-o', at('o-length'), ...keyVerify(), ...P])
    assert.equal(r.code, 1, r.stderr)
    assert.equal(existsSync(at('o-length')), false)
  })

  test('blob redirects are followed (no credentials to the other origin) and every byte is still checked', async () => {
    await signed('b/redirect')
    let cdnContent: 'good' | 'bad' = 'good'
    const cdnAuth: (string | undefined)[] = []
    const cdn = http.createServer((req, res) => {
      cdnAuth.push(req.headers.authorization)
      const d = decodeURIComponent((req.url ?? '').slice(1))
      const b = reg.blobs.get(d)
      if (!b) send(res, 404, '')
      else send(res, 200, cdnContent === 'good' ? b : Buffer.from(b.map((x) => x ^ 0xff)))
    })
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r))
    const cdnHost = `127.0.0.1:${(cdn.address() as AddressInfo).port}`
    reg.bearer = {user: 'u', password: 'p'}
    reg.hook = (req, res, m) => m.kind === 'blobs' && req.method === 'GET' && send(res, 307, '', {location: `http://${cdnHost}/${encodeURIComponent(m.ref)}`})
    const env = {MODELSEAL_REGISTRY_USERNAME: 'u', MODELSEAL_REGISTRY_PASSWORD: 'p'}
    try {
      const ok = await cli(['pull', ref('b/redirect'), '-o', at('o-redirect'), ...keyVerify(), ...P], env)
      assert.equal(ok.code, 0, ok.stderr)
      assert.ok(cdnAuth.length >= 2)
      assert.deepEqual(cdnAuth.filter(Boolean), [], 'the registry token must not reach another origin')
      cdnContent = 'bad'
      const bad = await cli(['pull', ref('b/redirect'), '-o', at('o-redirect-bad'), ...keyVerify(), ...P], env)
      assert.equal(bad.code, 1, bad.stderr)
      assert.equal(existsSync(at('o-redirect-bad')), false)
      // A redirect loop is bounded.
      reg.hook = (req, res, m) => m.kind === 'blobs' && req.method === 'GET' && send(res, 302, '', {location: req.url ?? '/'})
      const loop = await cli(['pull', ref('b/redirect'), '-o', at('o-loop'), ...keyVerify(), ...P], env)
      assert.equal(loop.code, 3, loop.stderr)
      assert.match(loop.stderr, /E_OCI_REDIRECT/)
    } finally {
      await new Promise((r) => cdn.close(r))
    }
  })

  test('bearer token auth: challenge → token → retry; without credentials exit 3', async () => {
    reg.bearer = {user: 'bob', password: 'pw'}
    const env = {MODELSEAL_REGISTRY_USERNAME: 'bob', MODELSEAL_REGISTRY_PASSWORD: 'pw'}
    const push = await cli(['push', at('model'), ref('auth/m'), ...P], env)
    assert.equal(push.code, 0, push.stderr)
    assert.ok(reg.requests.some((q) => q.url.startsWith('/token?') && q.url.includes('scope=repository%3Aauth%2Fm%3Apull%2Cpush')))
    const anon = await cli(['verify', 'key', ref('auth/m'), '--public-key', at('k.pub'), ...P])
    assert.equal(anon.code, 3, anon.stderr)
    assert.match(anon.stderr, /E_OCI_AUTH/)
  })

  test('referrers API: the registry indexes the subject (OCI-Subject), sign and verify use the API', async () => {
    reg.referrersApi = true
    await pushModel(at('model'), ref('api/m'), {plainHttp: true})
    const s = await cli(['sign', 'key', ref('api/m'), '--private-key', at('k.pem'), ...P, '--json'])
    assert.equal(s.code, 0, s.stderr)
    assert.equal(parseJson(s).oci.attachedVia, 'api')
    assert.equal(
      [...reg.manifests.keys()].some((k) => /api\/m:sha256-/.test(k)),
      false,
      'no fallback tag written',
    )
    const v = await cli(['verify', 'key', ref('api/m'), '--public-key', at('k.pub'), ...P, '--json'])
    assert.equal(v.code, 0, v.stderr)
    assert.equal(parseJson(v).signaturesVia, 'api')
  })

  test('referrers API, recorded response (testdata/oci/referrers-response.json): other artifact types are skipped', async () => {
    reg.referrersApi = false
    const digest = await signed('api/recorded') // the signature referrer exists, indexed by tag
    const idx = JSON.parse(reg.manifests.get(`api/recorded:${digest.replace(':', '-')}`)?.bytes.toString() ?? '{}')
    const sig = idx.manifests[0] as {digest: string; size: number}
    const recorded = readFileSync(path.join(repoRoot, 'testdata', 'oci', 'referrers-response.json'), 'utf8')
      .replace('@SIGNATURE_DIGEST@', sig.digest)
      .replace('@SIGNATURE_SIZE@', String(sig.size))
    reg.hook = (_req, res, m) =>
      m.kind === 'referrers' && m.ref === digest && send(res, 200, recorded, {'content-type': 'application/vnd.oci.image.index.v1+json'})
    const v = await cli(['verify', 'key', ref('api/recorded'), '--public-key', at('k.pub'), ...P, '--json'])
    assert.equal(v.code, 0, v.stderr)
    const j = parseJson(v)
    assert.equal(j.signaturesVia, 'api')
    assert.equal(j.signaturesFound, 1)
    assert.equal(j.signatureDigest, sig.digest)
  })

  test('endless referrer pages are bounded (exit 3), not followed forever', async () => {
    const digest = await signed('api/endless')
    let pages = 0
    reg.hook = (_req, res, m) => {
      if (m.kind !== 'referrers') return false
      pages++
      return send(res, 200, JSON.stringify({schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: []}), {
        'content-type': 'application/vnd.oci.image.index.v1+json',
        link: `</v2/api/endless/referrers/${digest}?n=${pages}>; rel="next"`,
      })
    }
    const r = await cli(['verify', 'key', ref('api/endless'), '--public-key', at('k.pub'), ...P])
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /E_OCI_TOO_MANY_REFERRERS/)
    assert.ok(pages <= 16, `followed ${pages} pages`)
  })

  test('a registry that stalls mid-body times out (exit 3) instead of hanging', async () => {
    await signed('s/stall')
    const weights = sha256(readFileSync(at('model', 'weights.bin')))
    reg.hook = (req, res, m) => {
      if (m.kind !== 'blobs' || m.ref !== weights || req.method !== 'GET') return false
      res.writeHead(200, {'content-length': '100000'})
      res.write(Buffer.alloc(10))
      return true // never ends
    }
    const r = await cli(['pull', ref('s/stall'), '-o', at('o-stall'), ...keyVerify(), ...P], {MODELSEAL_OCI_TIMEOUT_MS: '1500'})
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /E_OCI_TIMEOUT/)
    assert.equal(existsSync(at('o-stall')), false)
  })

  test('an index: one platform entry is chosen by --platform or --manifest-digest, never guessed among several', async () => {
    const a = rawModel('i/m', [{title: 'a.bin', content: 'amd64 weights'}])
    const b = rawModel('i/m', [{title: 'a.bin', content: 'arm weights'}])
    const size = (d: string) => reg.manifests.get(`i/m@${d}`)?.bytes.length ?? 0
    reg.putManifest(
      'i/m',
      'multi',
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a, size: size(a), platform: {os: 'linux', architecture: 'amd64'}},
          {mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b, size: size(b), platform: {os: 'linux', architecture: 's390x'}},
        ],
      },
      'application/vnd.oci.image.index.v1+json',
    )
    const s = await cli(['sign', 'key', ref('i/m', 'multi'), '--private-key', at('k.pem'), '--platform', 'linux/s390x', ...P, '--json'])
    assert.equal(s.code, 0, s.stderr)
    assert.equal(parseJson(s).oci.manifestDigest, b)
    const v = await cli(['verify', 'key', ref('i/m', 'multi'), '--public-key', at('k.pub'), '--manifest-digest', b, ...P])
    assert.equal(v.code, 0, v.stderr)
    const amd = await cli(['verify', 'key', ref('i/m', 'multi'), '--public-key', at('k.pub'), '--platform', 'linux/amd64', ...P])
    assert.equal(amd.code, 1, amd.stderr) // that manifest has no signature
    const none = await cli(['verify', 'key', ref('i/m', 'multi'), '--public-key', at('k.pub'), '--platform', 'windows/arm64', ...P])
    assert.equal(none.code, 2, none.stderr)
  })

  test('bad references and missing verification flags are usage errors (exit 2)', async () => {
    for (const args of [
      ['verify', 'key', 'oci://UPPER/Repo:v1', '--public-key', at('k.pub')],
      ['verify', 'key', 'oci://host/repo@sha256:1234', '--public-key', at('k.pub')],
      ['pull', ref('m/x'), '-o', at('o-x'), ...P],
      ['pull', ref('m/x'), '-o', at('o-x'), '--verify', 'key', ...P],
      ['verify', 'key', at('model'), '--public-key', at('k.pub')],
    ]) {
      const r = await cli(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assertCleanFailure(r)
    }
  })

  test('an unreachable registry is a one-line input error (exit 3)', async () => {
    const r = await cli(['verify', 'key', 'oci://127.0.0.1:9/m/x:v1', '--public-key', at('k.pub'), ...P])
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /E_OCI_UNREACHABLE/)
    assertCleanFailure(r)
  })
})
