/**
 * Interactive sign-in for keyless signing on a laptop, as model_signing (sigstore-python) and
 * cosign do it:
 *
 * - browser: OAuth 2.0 authorization code with PKCE (RFC 7636, S256), redirected to a loopback
 *   listener on 127.0.0.1 (RFC 8252 §7.3). The URL is printed too, for copy-paste when no browser
 *   opens. `state` and `nonce` are checked; the code is exchanged once.
 * - out of band (`forceOob`): the same URL with the `urn:ietf:wg:oauth:2.0:oob` redirect; the
 *   provider shows a code that the user pastes back.
 * - device (`device`): the device authorization grant (RFC 8628) for headless machines: a URL
 *   and a user code to enter elsewhere; the token endpoint is polled at the interval asked.
 *
 * The ID token is not verified here (Fulcio verifies it); its issuer, audience and nonce are
 * checked so a mix-up fails locally with a clear message. No token ever reaches a log.
 */
import {spawn} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {InputError, UsageError} from '../../errors.js'
import {DEFAULT_CLIENT_ID} from './issuers.js'
import {unreachable} from './network.js'
import {decodeJwtClaims} from './token.js'

export {DEFAULT_CLIENT_ID, PUBLIC_GOOD_ISSUER, STAGING_ISSUER} from './issuers.js'
const OOB_REDIRECT = 'urn:ietf:wg:oauth:2.0:oob'
const MAX_RESPONSE = 256 * 1024
const REQUEST_TIMEOUT_MS = 15_000

export interface InteractiveOptions {
  issuer: string
  clientId?: string
  clientSecret?: string
  /** Device authorization grant instead of the browser. */
  device?: boolean
  /** Do not open a browser; use the out-of-band redirect and read the code from `readLine`. */
  forceOob?: boolean
  /** Where instructions go (stderr in the CLI). */
  print: (line: string) => void
  /** Reads a line typed by the user (out-of-band flow). */
  readLine?: () => Promise<string>
  /** Opens a URL in a browser; returns false when none could be started. Default: $BROWSER or the platform opener. */
  openBrowser?: (url: string) => Promise<boolean>
  /** Overall time allowed for the user to sign in (default 5 minutes). */
  timeoutMs?: number
}

interface Discovery {
  authorization_endpoint?: string
  token_endpoint?: string
  device_authorization_endpoint?: string
}

export async function interactiveIdentityToken(o: InteractiveOptions): Promise<string> {
  const clientId = o.clientId ?? DEFAULT_CLIENT_ID
  const config = await discover(o.issuer)
  const deadline = Date.now() + (o.timeoutMs ?? 300_000)
  const {idToken, nonce} = o.device
    ? {idToken: await deviceFlow(o, config, clientId, deadline), nonce: undefined}
    : await codeFlow(o, config, clientId, deadline)
  return checkIdToken(idToken, o.issuer, clientId, nonce)
}

async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
  const doc = (await getJson(url, 'the OIDC provider')) as Discovery
  if (typeof doc !== 'object' || doc === null) throw new InputError('E_OIDC', `${url} is not an OpenID configuration`)
  return doc
}

// ---------------------------------------------------------------------------- code + PKCE

async function codeFlow(o: InteractiveOptions, config: Discovery, clientId: string, deadline: number): Promise<{idToken: string; nonce: string}> {
  const authz = endpoint(config.authorization_endpoint, 'authorization_endpoint', o.issuer)
  const tokenUrl = endpoint(config.token_endpoint, 'token_endpoint', o.issuer)
  const verifier = randomBytes(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  const state = randomBytes(16).toString('base64url')
  const nonce = randomBytes(16).toString('base64url')
  const params = (redirectUri: string) =>
    new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid email',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      nonce,
    })

  let code: string
  let redirectUri: string
  if (o.forceOob) {
    redirectUri = OOB_REDIRECT
    const url = `${authz}?${params(redirectUri)}`
    o.print(`Sign in to get a Sigstore certificate: open this URL in a browser, then paste the code it shows.\n  ${url}`)
    if (!o.readLine) throw new UsageError('E_USAGE', 'the out-of-band flow needs a terminal to paste the code into')
    code = (await withDeadline(o.readLine(), deadline, 'no code was entered')).trim()
    if (!/^[\x21-\x7e]{1,2048}$/.test(code)) throw new InputError('E_OIDC', 'the pasted code is empty or not printable')
  } else {
    const listener = await loopbackListener(state)
    try {
      redirectUri = listener.redirectUri
      const url = `${authz}?${params(redirectUri)}`
      const opened = await (o.openBrowser ?? defaultOpenBrowser)(url).catch(() => false)
      o.print(
        opened
          ? `Waiting for the browser sign-in (if no browser opened, visit this URL):\n  ${url}`
          : `Sign in to get a Sigstore certificate: open this URL in a browser on this machine:\n  ${url}`,
      )
      code = await withDeadline(listener.code, deadline, 'the browser sign-in did not complete')
    } finally {
      listener.close()
    }
  }
  const body = new URLSearchParams({grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier})
  if (o.clientSecret) body.set('client_secret', o.clientSecret)
  const res = await postForm(tokenUrl, body)
  if (res.status !== 200) throw oauthError('the token exchange', res.json)
  return {idToken: idTokenOf(res.json), nonce}
}

/** A one-shot HTTP listener on 127.0.0.1 that receives the authorization response. */
async function loopbackListener(state: string): Promise<{redirectUri: string; code: Promise<string>; close: () => void}> {
  let resolve!: (code: string) => void
  let reject!: (err: Error) => void
  const code = new Promise<string>((res, rej) => {
    resolve = res
    reject = rej
  })
  code.catch(() => undefined)
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== '/auth/callback') {
      res.writeHead(404).end()
      return
    }
    const page = (status: number, text: string) => {
      res.writeHead(status, {'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store'})
      res.end(`<!doctype html><title>modelseal</title><p>${text}</p>`)
    }
    // A request without our state is not the answer to our request (CSRF, stale tab): ignore it.
    if (url.searchParams.get('state') !== state) {
      page(400, 'This sign-in response does not belong to the waiting modelseal command.')
      return
    }
    const error = url.searchParams.get('error')
    if (error) {
      page(400, 'Sign-in failed. You can close this tab.')
      reject(
        new InputError(
          'E_OIDC_DENIED',
          `the identity provider refused the sign-in: ${error}${url.searchParams.get('error_description') ? ` (${url.searchParams.get('error_description')})` : ''}`,
        ),
      )
      return
    }
    const c = url.searchParams.get('code')
    if (!c) {
      page(400, 'The sign-in response has no code.')
      reject(new InputError('E_OIDC', 'the identity provider redirected without an authorization code'))
      return
    }
    page(200, 'Signed in: modelseal is signing. You can close this tab.')
    resolve(c)
  })
  await new Promise<void>((res, rej) => {
    server.once('error', rej)
    server.listen(0, '127.0.0.1', () => res())
  })
  const port = (server.address() as AddressInfo).port
  return {
    redirectUri: `http://127.0.0.1:${port}/auth/callback`,
    code,
    close: () => {
      server.closeAllConnections?.()
      server.close()
    },
  }
}

// ---------------------------------------------------------------------------- device grant

async function deviceFlow(o: InteractiveOptions, config: Discovery, clientId: string, deadline: number): Promise<string> {
  const deviceUrl = endpoint(config.device_authorization_endpoint, 'device_authorization_endpoint', o.issuer)
  const tokenUrl = endpoint(config.token_endpoint, 'token_endpoint', o.issuer)
  const body = new URLSearchParams({client_id: clientId, scope: 'openid email'})
  if (o.clientSecret) body.set('client_secret', o.clientSecret)
  const start = await postForm(deviceUrl, body)
  if (start.status !== 200) throw oauthError('the device authorization request', start.json)
  const d = start.json as {
    device_code?: unknown
    user_code?: unknown
    verification_uri?: unknown
    verification_uri_complete?: unknown
    interval?: unknown
    expires_in?: unknown
  }
  if (typeof d.device_code !== 'string' || typeof d.user_code !== 'string' || typeof d.verification_uri !== 'string') {
    throw new InputError('E_OIDC', 'the device authorization response lacks device_code, user_code or verification_uri')
  }
  const complete = typeof d.verification_uri_complete === 'string' ? d.verification_uri_complete : undefined
  o.print(`To sign in, visit ${d.verification_uri} and enter the code ${d.user_code}${complete ? `\n  (or open ${complete})` : ''}`)
  let interval = Math.min(Math.max(typeof d.interval === 'number' ? d.interval : 5, 1), 60) * 1000
  const expires = typeof d.expires_in === 'number' ? Math.min(deadline, Date.now() + d.expires_in * 1000) : deadline
  for (;;) {
    if (Date.now() + interval > expires) throw new InputError('E_OIDC_TIMEOUT', 'the device sign-in was not completed in time')
    await sleep(interval)
    const poll = new URLSearchParams({grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: d.device_code, client_id: clientId})
    if (o.clientSecret) poll.set('client_secret', o.clientSecret)
    const r = await postForm(tokenUrl, poll)
    if (r.status === 200) return idTokenOf(r.json)
    const error = (r.json as {error?: unknown})?.error
    if (error === 'authorization_pending') continue
    if (error === 'slow_down') {
      interval += 5000
      continue
    }
    if (error === 'expired_token') throw new InputError('E_OIDC_TIMEOUT', 'the device code expired before the sign-in was completed')
    if (error === 'access_denied') throw new InputError('E_OIDC_DENIED', 'the sign-in was denied')
    throw oauthError('the device token request', r.json)
  }
}

// ---------------------------------------------------------------------------- helpers

function endpoint(v: unknown, name: string, issuer: string): string {
  if (typeof v !== 'string') throw new InputError('E_OIDC', `the OIDC provider ${issuer} publishes no ${name}`)
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new InputError('E_OIDC', `the OIDC provider's ${name} is not a URL`)
  }
  // Tokens travel over TLS, except to a provider on this machine (local development, tests).
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname))) {
    throw new InputError('E_OIDC', `the OIDC provider's ${name} is not https: ${u.origin}`)
  }
  return u.toString()
}

function idTokenOf(json: unknown): string {
  const t = (json as {id_token?: unknown})?.id_token
  if (typeof t !== 'string' || t === '') throw new InputError('E_OIDC', 'the token response has no id_token')
  return t
}

function oauthError(what: string, json: unknown): InputError {
  const j = json as {error?: unknown; error_description?: unknown} | undefined
  const err = typeof j?.error === 'string' ? j.error.slice(0, 200) : 'no error code'
  const desc = typeof j?.error_description === 'string' ? ` (${j.error_description.slice(0, 300)})` : ''
  return new InputError(err === 'access_denied' ? 'E_OIDC_DENIED' : 'E_OIDC', `${what} failed: ${err}${desc}`)
}

function checkIdToken(token: string, issuer: string, clientId: string, nonce: string | undefined): string {
  const claims = decodeJwtClaims(token)
  const iss = claims.iss
  if (typeof iss === 'string' && iss.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
    throw new InputError('E_OIDC', `the ID token was issued by ${iss}, not by ${issuer}`)
  }
  const aud = claims.aud
  const auds = Array.isArray(aud) ? aud : [aud]
  if (!auds.includes(clientId)) throw new InputError('E_OIDC', `the ID token is not for client ${clientId}`)
  if (nonce !== undefined && claims.nonce !== undefined && claims.nonce !== nonce)
    throw new InputError('E_OIDC', 'the ID token answers another sign-in (nonce mismatch)')
  return token
}

async function request(url: string, init: RequestInit, who: string): Promise<{status: number; json: unknown}> {
  let res: Response
  try {
    res = await fetch(url, {...init, redirect: 'error', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)})
  } catch (err) {
    throw unreachable(who, new URL(url).origin, err) ?? new InputError('E_OIDC', `${who} request failed: ${(err as Error).message}`)
  }
  const text = await res.text()
  if (text.length > MAX_RESPONSE) throw new InputError('E_OIDC', `${who} answered with more than ${MAX_RESPONSE} bytes`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  if (json === undefined && res.ok) throw new InputError('E_OIDC', `${who} did not answer with JSON (HTTP ${res.status})`)
  return {status: res.status, json}
}

async function getJson(url: string, who: string): Promise<unknown> {
  const r = await request(url, {headers: {accept: 'application/json'}}, who)
  if (r.status !== 200) throw new InputError('E_OIDC', `${who} (${url}) answered HTTP ${r.status}`)
  return r.json
}

function postForm(url: string, body: URLSearchParams): Promise<{status: number; json: unknown}> {
  return request(url, {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded', accept: 'application/json'}, body}, 'the OIDC provider')
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function withDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new InputError('E_OIDC_TIMEOUT', `${what} in time`)), Math.max(0, deadline - Date.now()))
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * $BROWSER (as Python's webbrowser and git honour it), else the platform's opener. The URL is
 * passed as one argument, never through a shell.
 */
export async function defaultOpenBrowser(url: string): Promise<boolean> {
  const fromEnv = process.env.BROWSER?.split(':').find((b) => b.trim() !== '')
  const [cmd, args] = fromEnv
    ? [fromEnv, [url]]
    : process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]]
  if (!fromEnv && process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args, {stdio: 'ignore', detached: true})
      child.once('error', () => resolve(false))
      child.once('spawn', () => {
        child.unref()
        resolve(true)
      })
    } catch {
      resolve(false)
    }
  })
}
