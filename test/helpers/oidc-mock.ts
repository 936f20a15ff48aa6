/**
 * A local OpenID Connect provider for the interactive sign-in tests: discovery, the
 * authorization endpoint (auto-consenting, with PKCE S256, state and nonce), the out-of-band
 * code page, the device authorization grant (RFC 8628) and the token endpoint. Tokens are JWTs
 * the mock Fulcio accepts. It checks what a real provider checks, so a client that skips PKCE,
 * changes the redirect URI or forgets the verifier fails here as it would in production.
 */
import {createHash, randomBytes} from 'node:crypto'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {mintJwt} from './sigstore-mock.js'

export interface OidcMock {
  issuer: string
  email: string
  /** Approves a pending device sign-in by its user code. */
  approveDevice(userCode: string): void
  /** Every path requested, in order. */
  requests: string[]
  /** Makes the next authorization answer `error=access_denied`. */
  denyNext(): void
  close(): Promise<void>
}

export async function startOidcMock(opts: {clientId?: string; email?: string} = {}): Promise<OidcMock> {
  const clientId = opts.clientId ?? 'sigstore'
  const email = opts.email ?? 'release@example.com'
  const codes = new Map<string, {challenge: string; redirectUri: string; nonce: string}>()
  const devices = new Map<string, {userCode: string; approved: boolean; polls: number}>()
  const requests: string[] = []
  let deny = false
  let issuer = ''
  const idToken = (nonce?: string) => {
    const now = Math.floor(Date.now() / 1000)
    return mintJwt({iss: issuer, aud: clientId, sub: email, email, email_verified: true, iat: now, exp: now + 600, ...(nonce ? {nonce} : {})})
  }
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {'content-type': 'application/json'})
    res.end(JSON.stringify(body))
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer)
    requests.push(url.pathname)
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      const form = new URLSearchParams(body)
      if (url.pathname === '/.well-known/openid-configuration') {
        return json(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          device_authorization_endpoint: `${issuer}/device`,
        })
      }
      if (url.pathname === '/authorize') {
        const q = url.searchParams
        const redirectUri = q.get('redirect_uri') ?? ''
        const loopback = /^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/.test(redirectUri)
        if (
          q.get('response_type') !== 'code' ||
          q.get('client_id') !== clientId ||
          q.get('code_challenge_method') !== 'S256' ||
          !q.get('code_challenge') ||
          !q.get('state') ||
          !q.get('nonce') ||
          !(loopback || redirectUri === 'urn:ietf:wg:oauth:2.0:oob')
        ) {
          return json(res, 400, {error: 'invalid_request'})
        }
        if (deny) {
          deny = false
          res.writeHead(302, {location: `${redirectUri}?error=access_denied&state=${q.get('state')}`})
          return res.end()
        }
        const code = randomBytes(12).toString('hex')
        codes.set(code, {challenge: q.get('code_challenge') as string, redirectUri, nonce: q.get('nonce') as string})
        if (!loopback) {
          res.writeHead(200, {'content-type': 'text/plain'})
          return res.end(`Your code: ${code}\n`)
        }
        res.writeHead(302, {location: `${redirectUri}?code=${code}&state=${encodeURIComponent(q.get('state') as string)}`})
        return res.end()
      }
      if (url.pathname === '/device' && req.method === 'POST') {
        if (form.get('client_id') !== clientId) return json(res, 400, {error: 'invalid_client'})
        const deviceCode = randomBytes(12).toString('hex')
        const userCode = `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}`.toUpperCase()
        devices.set(deviceCode, {userCode, approved: false, polls: 0})
        return json(res, 200, {device_code: deviceCode, user_code: userCode, verification_uri: `${issuer}/activate`, interval: 1, expires_in: 60})
      }
      if (url.pathname === '/token' && req.method === 'POST') {
        if (form.get('client_id') !== clientId) return json(res, 401, {error: 'invalid_client'})
        if (form.get('grant_type') === 'authorization_code') {
          const c = codes.get(form.get('code') ?? '')
          codes.delete(form.get('code') ?? '')
          if (!c || c.redirectUri !== form.get('redirect_uri')) return json(res, 400, {error: 'invalid_grant'})
          const verifier = form.get('code_verifier') ?? ''
          if (createHash('sha256').update(verifier).digest('base64url') !== c.challenge)
            return json(res, 400, {error: 'invalid_grant', error_description: 'PKCE verification failed'})
          return json(res, 200, {access_token: 'opaque', token_type: 'Bearer', id_token: idToken(c.nonce)})
        }
        if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code') {
          const d = devices.get(form.get('device_code') ?? '')
          if (!d) return json(res, 400, {error: 'invalid_grant'})
          d.polls++
          if (!d.approved) return json(res, 400, {error: 'authorization_pending'})
          devices.delete(form.get('device_code') ?? '')
          return json(res, 200, {access_token: 'opaque', token_type: 'Bearer', id_token: idToken()})
        }
        return json(res, 400, {error: 'unsupported_grant_type'})
      }
      json(res, 404, {error: 'not_found'})
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    issuer,
    email,
    requests,
    approveDevice(userCode) {
      for (const d of devices.values()) if (d.userCode === userCode) d.approved = true
    },
    denyNext() {
      deny = true
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
