/**
 * HTTP for the registry API: the bearer/basic challenge dance (distribution's token auth:
 * a 401 names a realm, service and scope; the client fetches a token and retries), redirects
 * followed by hand (bounded, never downgraded to http, credentials never sent to another
 * origin), a deadline on every response's headers and on every stall of its body, and bounded
 * reads of anything that is parsed.
 */
import {createReadStream} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {pipeline} from 'node:stream/promises'

import {InputError} from '../errors.js'
import type {RegistryCredentials} from './credentials.js'

export interface TransportOptions {
  /** Use http:// instead of https:// (a local or test registry); also allows http token realms. */
  plainHttp?: boolean
  credentials?: RegistryCredentials
  /** Milliseconds to wait for response headers, and for each chunk of a body (default 60 s). */
  timeoutMs?: number
}

export const MAX_REDIRECTS = 5
const MAX_TOKEN_RESPONSE = 1024 * 1024
const MAX_ERROR_BODY = 64 * 1024
const USER_AGENT = 'modelseal (OCI client)'

/** A blob response being read; `timedOut()` tells a stall from a broken connection. */
export interface Download {
  res: http.IncomingMessage
  timedOut(): boolean
  timeoutMs: number
}

export type BodyFactory = () => RequestInit['body'] | undefined

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE'
  /** Absolute URL, or a path starting with /v2/ (resolved against the registry). */
  url: string
  headers?: Record<string, string>
  /** Called again when the request must be re-sent (after an auth challenge). */
  body?: BodyFactory
  /** Token scope for this request, e.g. `repository:org/model:pull`. */
  scope: string
}

interface Challenge {
  scheme: string
  params: Record<string, string>
}

/** Parses a WWW-Authenticate header (RFC 7235 auth-params, quoted or token values). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*(.*)$/s.exec(header)
  if (!m) return undefined
  const params: Record<string, string> = {}
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)\s*/gy
  const rest = m[2]
  let p: RegExpExecArray | null
  while (re.lastIndex < rest.length && (p = re.exec(rest)) !== null) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]
  }
  return {scheme: m[1].toLowerCase(), params}
}

export class Transport {
  readonly base: string
  private readonly opts: TransportOptions
  /** Authorization header per scope (bearer tokens are scoped; basic is the same for all). */
  private readonly auth = new Map<string, string>()
  private basic?: string

  constructor(host: string, opts: TransportOptions = {}) {
    this.base = `${opts.plainHttp ? 'http' : 'https'}://${host}`
    this.opts = opts
  }

  get timeoutMs(): number {
    return this.opts.timeoutMs ?? 60_000
  }

  /** Sends the request, answering one auth challenge; the caller owns the response body. */
  async request(spec: RequestSpec): Promise<Response> {
    let res = await this.send(spec, this.authorizationFor(spec.scope))
    if (res.status === 401) {
      const header = res.headers.get('www-authenticate') ?? ''
      await discard(res)
      const authz = await this.answerChallenge(header, spec.scope)
      res = await this.send(spec, authz)
      if (res.status === 401) {
        await discard(res)
        throw new InputError(
          'E_OCI_AUTH',
          `${this.base}: authentication failed for ${spec.scope}${this.opts.credentials ? ` (credentials from ${this.opts.credentials.source})` : ' (no credentials: anonymous access refused)'}`,
        )
      }
    }
    if (res.status === 403) {
      await discard(res)
      throw new InputError('E_OCI_DENIED', `${this.base}: access denied for ${spec.scope}`)
    }
    return res
  }

  /**
   * PATCH/PUT of a byte range of a file, streamed with node:http so the socket's backpressure
   * paces the disk reads (fetch buffered whole request bodies here: memory grew with the chunk).
   * Answers one auth challenge by re-sending the range. Redirects are not followed for uploads.
   */
  async uploadRange(spec: {
    method: 'PATCH' | 'PUT'
    url: string
    headers: Record<string, string>
    file: string
    start: number
    end: number
    scope: string
  }): Promise<{status: number; location: string | null; summary: string}> {
    let answer = await this.sendRange(spec, this.authorizationFor(spec.scope))
    if (answer.status === 401) {
      const authz = await this.answerChallenge(answer.challenge ?? '', spec.scope)
      answer = await this.sendRange(spec, authz)
      if (answer.status === 401) throw new InputError('E_OCI_AUTH', `${this.base}: authentication failed for ${spec.scope}`)
    }
    if (answer.status === 403) throw new InputError('E_OCI_DENIED', `${this.base}: access denied for ${spec.scope}`)
    return answer
  }

  private sendRange(
    spec: {method: 'PATCH' | 'PUT'; url: string; headers: Record<string, string>; file: string; start: number; end: number},
    authorization: string | undefined,
  ): Promise<{status: number; location: string | null; summary: string; challenge?: string}> {
    const url = new URL(spec.url)
    const headers: Record<string, string> = {'user-agent': USER_AGENT, ...spec.headers, 'content-length': String(spec.end - spec.start)}
    if (authorization && url.origin === new URL(this.base).origin) headers.authorization = authorization
    const mod = url.protocol === 'https:' ? https : http
    return new Promise((resolve, reject) => {
      const req = mod.request(url, {method: spec.method, headers})
      req.setTimeout(this.timeoutMs, () => req.destroy(new InputError('E_OCI_TIMEOUT', `${url.origin}: no progress for ${this.timeoutMs} ms`)))
      req.on('response', (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          if (body.length < MAX_ERROR_BODY) body += d
        })
        res.on('end', () => {
          let summary = `HTTP ${res.statusCode}`
          try {
            const e = (JSON.parse(body) as {errors?: {code?: string; message?: string}[]}).errors?.[0]
            if (e) summary += `: ${String(e.code ?? '')} ${String(e.message ?? '')}`.slice(0, 300)
          } catch {
            /* not a registry error document */
          }
          const challenge = res.headers['www-authenticate']
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location ?? null,
            summary,
            challenge: Array.isArray(challenge) ? challenge[0] : challenge,
          })
        })
        res.on('error', reject)
      })
      req.on('error', (err) => reject(err instanceof InputError ? err : new InputError('E_OCI_UNREACHABLE', `${url.origin}: ${describeFetchError(err)}`)))
      const source = spec.end > spec.start ? createReadStream(spec.file, {start: spec.start, end: spec.end - 1, highWaterMark: 1 << 20}) : undefined
      if (source) {
        // A registry that answers early (e.g. 401) closes the request; the answer is what matters.
        pipeline(source, req).catch(() => {})
      } else req.end()
    })
  }

  /**
   * GET for blob bodies over node:http (about twice fetch's throughput on large bodies here):
   * one auth challenge answered, redirects followed by the same rules as `request`, and an idle
   * timeout on the socket for headers and body alike. The caller reads (or drains) the body.
   */
  async download(url: string, scope: string): Promise<Download> {
    let d = await this.getFollowing(url, this.authorizationFor(scope))
    if (d.res.statusCode === 401) {
      const challenge = d.res.headers['www-authenticate']
      d.res.resume()
      const authz = await this.answerChallenge(Array.isArray(challenge) ? challenge[0] : (challenge ?? ''), scope)
      d = await this.getFollowing(url, authz)
      if (d.res.statusCode === 401) {
        d.res.resume()
        throw new InputError('E_OCI_AUTH', `${this.base}: authentication failed for ${scope}`)
      }
    }
    if (d.res.statusCode === 403) {
      d.res.resume()
      throw new InputError('E_OCI_DENIED', `${this.base}: access denied for ${scope}`)
    }
    return d
  }

  private async getFollowing(start: string, authorization: string | undefined): Promise<Download> {
    let url = new URL(start.startsWith('/') ? this.base + start : start)
    const origin = new URL(this.base).origin
    for (let hop = 0; ; hop++) {
      const d = await this.getOnce(url, authorization && url.origin === origin ? authorization : undefined)
      const status = d.res.statusCode ?? 0
      if (![301, 302, 303, 307, 308].includes(status)) return d
      const location = d.res.headers.location
      d.res.resume()
      if (!location) throw new InputError('E_OCI_REDIRECT', `${url.origin} redirected without a Location`)
      if (hop + 1 >= MAX_REDIRECTS) throw new InputError('E_OCI_REDIRECT', `more than ${MAX_REDIRECTS} redirects from ${this.base}`)
      const next = new URL(location, url)
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new InputError('E_OCI_REDIRECT', `redirect to unsupported scheme ${next.protocol}`)
      if (next.protocol === 'http:' && url.protocol === 'https:') throw new InputError('E_OCI_REDIRECT', `refusing redirect from https to ${next.origin}`)
      url = next
    }
  }

  private getOnce(url: URL, authorization: string | undefined): Promise<Download> {
    const headers: Record<string, string> = {'user-agent': USER_AGENT}
    if (authorization) headers.authorization = authorization
    const mod = url.protocol === 'https:' ? https : http
    return new Promise((resolve, reject) => {
      let timedOut = false
      const req = mod.get(url, {headers})
      req.setTimeout(this.timeoutMs, () => {
        timedOut = true
        req.destroy(new InputError('E_OCI_TIMEOUT', `${url.origin}: no progress for ${this.timeoutMs} ms`))
      })
      req.on('response', (res) => resolve({res, timedOut: () => timedOut, timeoutMs: this.timeoutMs}))
      req.on('error', (err) => reject(err instanceof InputError ? err : new InputError('E_OCI_UNREACHABLE', `${url.origin}: ${describeFetchError(err)}`)))
    })
  }

  private authorizationFor(scope: string): string | undefined {
    return this.auth.get(scope) ?? this.basic
  }

  private async answerChallenge(header: string, scope: string): Promise<string> {
    const c = parseChallenge(header)
    const creds = this.opts.credentials
    if (c?.scheme === 'basic') {
      if (!creds?.username || creds.password === undefined) {
        throw new InputError('E_OCI_AUTH', `${this.base} requires a username and password (--registry-username/--registry-password or a Docker config)`)
      }
      this.basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
      return this.basic
    }
    if (c?.scheme !== 'bearer' || !c.params.realm) {
      throw new InputError('E_OCI_AUTH', `${this.base} answered 401 without a usable challenge (${JSON.stringify(header.slice(0, 200))})`)
    }
    const token = await this.fetchToken(c.params.realm, c.params.service, scopesFor(scope, c.params.scope))
    const authz = `Bearer ${token}`
    this.auth.set(scope, authz)
    return authz
  }

  private async fetchToken(realm: string, service: string | undefined, scopes: string[]): Promise<string> {
    let url: URL
    try {
      url = new URL(realm)
    } catch {
      throw new InputError('E_OCI_AUTH', `invalid token realm ${JSON.stringify(realm)}`)
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.opts.plainHttp)) {
      throw new InputError('E_OCI_AUTH', `refusing token realm ${url.origin}: https required (use --plain-http only for a local registry)`)
    }
    const creds = this.opts.credentials
    let res: Response
    if (creds?.identityToken) {
      // OAuth2 refresh-token grant, as docker does with an identity token.
      const form = new URLSearchParams({grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'modelseal'})
      if (service) form.set('service', service)
      if (scopes.length) form.set('scope', scopes.join(' '))
      res = await this.fetchWithDeadline(url.toString(), {
        method: 'POST',
        headers: {'content-type': 'application/x-www-form-urlencoded'},
        body: form.toString(),
      })
    } else {
      if (service) url.searchParams.set('service', service)
      for (const s of scopes) url.searchParams.append('scope', s)
      const headers: Record<string, string> = {}
      if (creds?.username && creds.password !== undefined) {
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
      }
      res = await this.fetchWithDeadline(url.toString(), {method: 'GET', headers})
    }
    if (res.status !== 200) {
      await discard(res)
      throw new InputError('E_OCI_AUTH', `token service ${url.origin} refused (HTTP ${res.status})${creds ? '' : '; no credentials were given'}`)
    }
    const body = await readBounded(res, MAX_TOKEN_RESPONSE, 'token response', this.timeoutMs)
    let json: {token?: unknown; access_token?: unknown}
    try {
      json = JSON.parse(body.toString('utf8')) as typeof json
    } catch {
      throw new InputError('E_OCI_AUTH', `token service ${url.origin} returned invalid JSON`)
    }
    const token = typeof json.token === 'string' && json.token ? json.token : json.access_token
    if (typeof token !== 'string' || token === '' || /[\r\n]/.test(token)) throw new InputError('E_OCI_AUTH', `token service ${url.origin} returned no token`)
    return token
  }

  /** One request and its redirects; credentials only go to the registry's own origin. */
  private async send(spec: RequestSpec, authorization: string | undefined): Promise<Response> {
    let url = new URL(spec.url.startsWith('/') ? this.base + spec.url : spec.url)
    const origin = new URL(this.base).origin
    let method = spec.method
    let body = spec.body?.()
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = {'user-agent': USER_AGENT, ...spec.headers}
      if (authorization && url.origin === origin) headers.authorization = authorization
      const init: RequestInit & {duplex?: 'half'} = {method, headers, redirect: 'manual'}
      if (body !== undefined && body !== null) {
        init.body = body
        init.duplex = 'half'
      }
      const res = await this.fetchWithDeadline(url.toString(), init)
      if (![301, 302, 303, 307, 308].includes(res.status)) return res
      const location = res.headers.get('location')
      await discard(res)
      if (!location) throw new InputError('E_OCI_REDIRECT', `${url.origin} redirected without a Location`)
      if (hop + 1 >= MAX_REDIRECTS) throw new InputError('E_OCI_REDIRECT', `more than ${MAX_REDIRECTS} redirects from ${this.base}`)
      const next = new URL(location, url)
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new InputError('E_OCI_REDIRECT', `redirect to unsupported scheme ${next.protocol}`)
      if (next.protocol === 'http:' && url.protocol === 'https:') throw new InputError('E_OCI_REDIRECT', `refusing redirect from https to ${next.origin}`)
      if (res.status === 303) {
        method = 'GET'
        body = undefined
      } else if (body !== undefined && body !== null) {
        // A streamed body cannot be replayed; ask the factory for a fresh one.
        body = spec.body?.()
      }
      url = next
    }
  }

  private async fetchWithDeadline(url: string, init: RequestInit & {duplex?: 'half'}): Promise<Response> {
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), this.timeoutMs)
    try {
      const res = await fetch(url, {...init, signal: ac.signal})
      return withBodyDeadline(res, ac, this.timeoutMs)
    } catch (err) {
      if (ac.signal.aborted) throw new InputError('E_OCI_TIMEOUT', `${new URL(url).origin}: no response within ${this.timeoutMs} ms`)
      throw new InputError('E_OCI_UNREACHABLE', `${new URL(url).origin}: ${describeFetchError(err)}`)
    } finally {
      clearTimeout(timer)
    }
  }
}

const DEADLINES = new WeakMap<Response, {ac: AbortController; ms: number}>()

function withBodyDeadline(res: Response, ac: AbortController, ms: number): Response {
  DEADLINES.set(res, {ac, ms})
  return res
}

function describeFetchError(err: unknown): string {
  const e = err as {message?: string; cause?: {code?: string; message?: string}}
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)
}

/** The requested scope plus any the registry's challenge asked for. */
function scopesFor(ours: string, theirs: string | undefined): string[] {
  const out = [ours]
  for (const s of (theirs ?? '').split(' ')) if (s && !out.includes(s)) out.push(s)
  return out
}

/**
 * Iterates a response body, aborting when `ms` pass without a chunk (a registry that stops
 * sending must not hang the client).
 */
export async function* bodyChunks(res: Response): AsyncGenerator<Uint8Array> {
  if (!res.body) return
  const d = DEADLINES.get(res)
  const reader = res.body.getReader()
  // One idle timer, re-armed per chunk (cheaper than a timer per read on multi-GB bodies).
  let stalled = false
  const timer = d
    ? setTimeout(() => {
        stalled = true
        d.ac.abort()
      }, d.ms)
    : undefined
  try {
    for (;;) {
      const r = await reader.read()
      if (r.done) return
      timer?.refresh()
      yield r.value
    }
  } catch (err) {
    if (stalled) throw new InputError('E_OCI_TIMEOUT', `the registry stopped sending for ${d?.ms} ms`)
    if (err instanceof InputError) throw err
    throw new InputError('E_OCI_UNREACHABLE', `reading from the registry failed: ${describeFetchError(err)}`)
  } finally {
    clearTimeout(timer)
    reader.releaseLock()
    if (res.body && !res.bodyUsed) await res.body.cancel().catch(() => {})
  }
}

/** Reads a whole body, refusing more than `max` bytes (by header, then by count). */
export async function readBounded(res: Response, max: number, what: string, _timeoutMs?: number): Promise<Buffer> {
  const declared = res.headers.get('content-length')
  if (declared !== null && Number(declared) > max) {
    await discard(res)
    throw new InputError('E_OCI_TOO_LARGE', `${what} is ${declared} bytes (limit ${max})`)
  }
  const parts: Buffer[] = []
  let n = 0
  for await (const chunk of bodyChunks(res)) {
    n += chunk.byteLength
    if (n > max) {
      DEADLINES.get(res)?.ac.abort()
      throw new InputError('E_OCI_TOO_LARGE', `${what} exceeds ${max} bytes`)
    }
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
  }
  return Buffer.concat(parts, n)
}

/** Drops a body we do not need (so the connection is released). */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel()
  } catch {
    /* already consumed or aborted */
  }
}

/** A short description of an error response, for messages. */
export async function errorSummary(res: Response): Promise<string> {
  let detail = ''
  try {
    const body = await readBounded(res, MAX_ERROR_BODY, 'error body')
    const j = JSON.parse(body.toString('utf8')) as {errors?: {code?: string; message?: string}[]}
    const e = j.errors?.[0]
    if (e) detail = `: ${String(e.code ?? '')} ${String(e.message ?? '')}`.slice(0, 300)
  } catch {
    /* not a registry error document */
  }
  return `HTTP ${res.status}${detail}`
}
