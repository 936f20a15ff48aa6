/**
 * Item: a credential never reaches a log. JWT-shaped strings given to modelseal in every way a
 * user can (flag, environment, a stray argument, an unknown flag, a service echoing it back)
 * must not appear, whole or in part, in anything it prints.
 */
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {redactSecrets} from '../../src/util/redact.js'
import {type CliResult, runCli, tempDir} from '../helpers/cli.js'
import {githubClaims, mintJwt} from '../helpers/sigstore-mock.js'

/** No 12-character window of the token, nor any of its three parts, is printed. */
function assertNoTokenIn(r: CliResult, token: string, label: string): void {
  const output = r.stdout + r.stderr
  for (const part of token.split('.')) assert.ok(!output.includes(part), `${label}: a part of the token was printed:\n${output}`)
  for (let i = 0; i + 12 <= token.length; i += 4) {
    const window = token.slice(i, i + 12)
    assert.ok(!output.includes(window), `${label}: "${window}" of the token was printed:\n${output}`)
  }
}

let echoServer: http.Server
let echoUrl = ''
const tmp = tempDir('modelseal-redact-')
const model = path.join(tmp.dir, 'model')

before(async () => {
  mkdirSync(model)
  writeFileSync(path.join(model, 'weights.bin'), 'weights')
  // A "Fulcio" that rejects every request and quotes the bearer token back, as careless
  // services do: the pass-through path must redact it.
  echoServer = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      res.writeHead(400, {'content-type': 'application/json'})
      res.end(JSON.stringify({message: `invalid identity token ${req.headers.authorization ?? ''} in ${body.slice(0, 300)}`}))
    })
  })
  await new Promise<void>((r) => echoServer.listen(0, '127.0.0.1', r))
  echoUrl = `http://127.0.0.1:${(echoServer.address() as AddressInfo).port}`
})
after(async () => {
  await new Promise<void>((r) => echoServer.close(() => r()))
  tmp.cleanup()
})

const unverifiedEmail = mintJwt({...githubClaims(), email: 'dev@example.com', email_verified: false})
const expired = mintJwt({...githubClaims(), exp: 1_000_000})
const valid = mintJwt(githubClaims())
const notJson = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('not json at all, sorry').toString('base64url')}.c2lnbmF0dXJlLWJ5dGVz`

const cases: {label: string; token: string; args: (t: string) => string[]; env?: (t: string) => Record<string, string>; code: number}[] = [
  {
    label: 'unverified email via flag',
    token: unverifiedEmail,
    args: (t) => ['sign', model, '--identity-token', t, '--fulcio-url', echoUrl, '--rekor-url', echoUrl],
    code: 3,
  },
  {
    label: 'expired via env',
    token: expired,
    args: () => ['sign', model, '--fulcio-url', echoUrl, '--rekor-url', echoUrl],
    env: (t) => ({SIGSTORE_ID_TOKEN: t}),
    code: 3,
  },
  {label: 'payload not JSON', token: notJson, args: (t) => ['sign', model, `--identity-token=${t}`, '--fulcio-url', echoUrl, '--rekor-url', echoUrl], code: 3},
  {
    label: 'Fulcio echoes the token',
    token: valid,
    args: (t) => [
      'sign',
      'sigstore',
      model,
      '--identity-token',
      t,
      '--fulcio-url',
      echoUrl,
      '--rekor-url',
      echoUrl,
      '--signature',
      path.join(tmp.dir, 'm.sig'),
    ],
    code: 3,
  },
  {label: 'token as a stray argument', token: valid, args: (t) => ['sign', 'key', model, t, '--private-key', 'k.pem'], code: 2},
  {
    label: 'token to a command without the flag',
    token: valid,
    args: (t) => ['verify', 'key', model, '--signature', 's', '--public-key', 'k', `--identity-token=${t}`],
    code: 2,
  },
  {label: 'token as an unknown command', token: valid, args: (t) => [t], code: 2},
]

for (const c of cases) {
  for (const json of [false, true]) {
    test(`no token in the output: ${c.label}${json ? ' (--json)' : ''}`, async () => {
      const args = c.args(c.token)
      const r = await runCli(json ? [...args, '--json'] : args, {env: {...(c.env?.(c.token) ?? {}), SIGSTORE_ID_TOKEN: c.env ? c.token : ''}, cwd: tmp.dir})
      assert.equal(r.code, c.code, `${r.stdout}\n${r.stderr}`)
      assert.ok((r.stdout + r.stderr).trim() !== '', 'the failure was reported')
      assertNoTokenIn(r, c.token, c.label)
    })
  }
}

test('redactSecrets: tokens, truncated tokens, bearer values and secret pairs go; paths, digests and hosts stay', () => {
  const t = mintJwt(githubClaims())
  for (const s of [
    `invalid identity token: ${t}`,
    `token prefix ${t.slice(0, 24)}… was cut`,
    `Authorization: Bearer ${t.split('.')[2]}`,
    'client_secret=s3cr3t-value&x=1',
    '{"access_token":"opaque-value-123"}',
    'https://user:pa55w0rd@example.com/x',
    'ghp_0123456789abcdefABCDEF0123',
  ]) {
    const out = redactSecrets(s)
    assert.match(out, /\[REDACTED\]/, s)
    for (const secret of [t, t.slice(0, 24), t.split('.')[2], 's3cr3t-value', 'opaque-value-123', 'pa55w0rd', 'ghp_0123456789abcdefABCDEF0123']) {
      assert.ok(!out.includes(secret), `${secret} survived in ${out}`)
    }
  }
  for (const s of [
    'model sha256:6d55ae0de1fd7257c8990f16069851fb889940a2c4efcbeb37edc1a9b9f688be',
    'wrote /tmp/run/pytorch_model.safetensors.index.json',
    'Fulcio (https://fulcio.sigstore.dev) refused',
    'timestamp.githubapp.com',
    'the identity token (from flag) expired at 2026-01-01T00:00:00.000Z',
  ]) {
    assert.equal(redactSecrets(s), s)
  }
})
