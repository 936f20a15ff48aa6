/**
 * Keyless from a laptop: with no token, `modelseal sign` signs the user in — browser
 * (authorization code + PKCE, loopback redirect on 127.0.0.1), out of band (paste the code),
 * or device flow (--oauth-device) — against a local OIDC provider, then signs with the local
 * Sigstore services; the resulting bundle verifies for the signed-in identity. And network
 * failures are named by cause. Nothing leaves 127.0.0.1.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {signKeyless} from '../../src/signing/keyless/sign.js'
import {networkCause} from '../../src/signing/keyless/network.js'
import {type CliResult, repoRoot, runCli, tempDir} from '../helpers/cli.js'
import {type OidcMock, startOidcMock} from '../helpers/oidc-mock.js'
import {githubClaims, mintJwt, startSigstoreMock, type SigstoreMock} from '../helpers/sigstore-mock.js'

const tmp = tempDir('modelseal-oidc-')
const model = path.join(tmp.dir, 'model')
let oidc: OidcMock
let sigstore: SigstoreMock
let services: string[]
const noAmbient = {SIGSTORE_ID_TOKEN: '', ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: ''}

before(async () => {
  mkdirSync(model)
  writeFileSync(path.join(model, 'weights.bin'), 'weights')
  oidc = await startOidcMock()
  sigstore = await startSigstoreMock()
  services = ['--fulcio-url', sigstore.fulcioUrl, '--rekor-url', sigstore.rekorUrl, '--tsa-url', sigstore.tsaUrl]
  // A "browser" that does what a user's does after consenting: load the URL, follow the redirect.
  writeFileSync(path.join(tmp.dir, 'browse.mjs'), 'const r = await fetch(process.argv[2]); process.exitCode = r.ok ? 0 : 1\n')
  writeFileSync(path.join(tmp.dir, 'browser'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(tmp.dir, 'browse.mjs')}" "$1"\n`)
  chmodSync(path.join(tmp.dir, 'browser'), 0o755)
})
after(async () => {
  await oidc.close()
  await sigstore.close()
  tmp.cleanup()
})

/** Runs the CLI, handing each stderr line to onLine (to act as the user), and writing to stdin. */
function interactiveCli(args: string[], onLine: (line: string, stdin: NodeJS.WritableStream) => void, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'run.js'), ...args], {
      cwd: tmp.dir,
      env: {...process.env, ...noAmbient, NO_COLOR: '1', MODELSEAL_NO_PROGRESS: '1', ...env},
    })
    let stdout = ''
    let stderr = ''
    let pending = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
      pending += d
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const l of lines) onLine(l, child.stdin)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

async function verifiesAs(sig: string): Promise<void> {
  const r = await runCli([
    'verify',
    'sigstore',
    model,
    '--signature',
    sig,
    '--trusted-root',
    sigstore.writeTrustedRoot(tmp.dir),
    '--identity',
    oidc.email,
    '--identity-provider',
    oidc.issuer,
  ])
  assert.equal(r.code, 0, r.stderr)
}

test('browser sign-in: authorization code + PKCE on a 127.0.0.1 loopback redirect, then keyless signing', async () => {
  const sig = path.join(tmp.dir, 'browser.sig')
  const r = await interactiveCli(['sign', model, '--oidc-issuer', oidc.issuer, '--signature', sig, ...services, '--json'], () => undefined, {
    BROWSER: path.join(tmp.dir, 'browser'),
  })
  assert.equal(r.code, 0, r.stderr + r.stdout)
  const report = JSON.parse(r.stdout)
  assert.equal(report.sigstore.tokenSource, 'interactive')
  assert.deepEqual(report.sigstore.identity, [oidc.email])
  assert.match(r.stderr, /visit this URL[\s\S]*http:\/\/127\.0\.0\.1:\d+\/authorize\?.*code_challenge_method=S256/)
  assert.match(r.stderr, /redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fauth%2Fcallback/)
  await verifiesAs(sig)
})

test('no browser: the printed URL works when opened by hand (copy-paste)', async () => {
  const sig = path.join(tmp.dir, 'paste.sig')
  const r = await interactiveCli(
    ['sign', 'sigstore', model, '--oidc-issuer', oidc.issuer, '--signature', sig, ...services],
    (line) => {
      const url = /^\s+(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(line)?.[1]
      if (url) void fetch(url)
    },
    {BROWSER: '/nonexistent/browser', DISPLAY: ''},
  )
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /open this URL in a browser/)
  await verifiesAs(sig)
})

test('out of band (--oauth-force-oob, as model_signing): the code shown by the provider is pasted back', async () => {
  const sig = path.join(tmp.dir, 'oob.sig')
  const r = await interactiveCli(['sign', model, '--oidc-issuer', oidc.issuer, '--oauth_force_oob', '--signature', sig, ...services], (line, stdin) => {
    const url = /^\s+(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(line)?.[1]
    if (url) void fetch(url).then(async (res) => stdin.write(`${/Your code: (\S+)/.exec(await res.text())?.[1]}\n`))
  })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2\.0%3Aoob/)
  await verifiesAs(sig)
})

test('device flow (--oauth-device): a code to enter elsewhere, polled until approved', async () => {
  const sig = path.join(tmp.dir, 'device.sig')
  const r = await interactiveCli(['sign', model, '--oidc-issuer', oidc.issuer, '--oauth-device', '--signature', sig, ...services], (line) => {
    const code = /enter the code (\S+)/.exec(line)?.[1]
    if (code) setTimeout(() => oidc.approveDevice(code), 1500)
  })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /To sign in, visit http:\/\/127\.0\.0\.1:\d+\/activate and enter the code/)
  await verifiesAs(sig)
})

test('a denied sign-in fails with its reason (exit 3) and nothing is signed', async () => {
  oidc.denyNext()
  const r = await interactiveCli(['sign', model, '--oidc-issuer', oidc.issuer, '--signature', path.join(tmp.dir, 'denied.sig'), ...services], () => undefined, {
    BROWSER: path.join(tmp.dir, 'browser'),
  })
  assert.equal(r.code, 3)
  assert.match(r.stderr, /E_OIDC_DENIED: the identity provider refused the sign-in: access_denied/)
})

test('no token and nobody to sign in (not a terminal, no flow asked for): the usage error says how', async () => {
  const r = await runCli(['sign', model, ...services], {env: noAmbient, cwd: tmp.dir})
  assert.equal(r.code, 2)
  assert.match(r.stderr, /E_SIGSTORE_NO_TOKEN: .*--oauth-device/)
})

test('network failures name the service and the cause', async () => {
  // A port nobody listens on: connection refused.
  const closed = http.createServer()
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
  const port = (closed.address() as AddressInfo).port
  await new Promise<void>((r) => closed.close(() => r()))
  const dead = `http://127.0.0.1:${port}`
  let r = await runCli(
    [
      'sign',
      model,
      '--identity-token',
      mintJwt(githubClaims()),
      '--fulcio-url',
      dead,
      '--rekor-url',
      sigstore.rekorUrl,
      '--signature',
      path.join(tmp.dir, 'x.sig'),
    ],
    {env: noAmbient},
  )
  assert.equal(r.code, 3)
  assert.match(r.stderr, new RegExp(`E_SIGSTORE_UNREACHABLE: Fulcio \\(${dead}\\) is unreachable: connection refused`))
  assert.doesNotMatch(r.stderr, /refused to issue/)
  r = await runCli(['sign', model, '--oidc-issuer', dead, '--oauth-device', ...services, '--signature', path.join(tmp.dir, 'x.sig')], {env: noAmbient})
  assert.equal(r.code, 3)
  assert.match(r.stderr, /the OIDC provider \(http:\/\/127\.0\.0\.1:\d+\) is unreachable: connection refused/)
  // A server that accepts and never answers: a timeout, named as one.
  const silent = http.createServer(() => undefined)
  await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res))
  const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
  try {
    await assert.rejects(
      signKeyless(Buffer.from('{}'), 'application/vnd.in-toto+json', {
        identityToken: mintJwt(githubClaims()),
        fulcioUrl: silentUrl,
        rekorUrl: silentUrl,
        retries: 0,
        timeoutMs: 500,
      }),
      (err: Error & {code?: string}) => err.code === 'E_SIGSTORE_UNREACHABLE' && /Fulcio .* is unreachable: no answer in time/.test(err.message),
    )
  } finally {
    silent.closeAllConnections()
    await new Promise<void>((res) => silent.close(() => res()))
  }
  // DNS and TLS causes, as Node and make-fetch-happen report them.
  assert.match(networkCause({message: 'x', cause: {code: 'ENOTFOUND'}}) ?? '', /could not be resolved \(DNS: ENOTFOUND\)/)
  assert.match(networkCause({code: 'FETCH_ERROR', cause: {code: 'CERT_HAS_EXPIRED'}}) ?? '', /TLS/)
  assert.equal(networkCause({code: 'CA_CREATE_SIGNING_CERTIFICATE_ERROR', cause: {statusCode: 400}}), undefined)
})
