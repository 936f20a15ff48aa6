/**
 * Where the OIDC identity token for Fulcio comes from: an explicit token, SIGSTORE_ID_TOKEN, or
 * the ambient credentials of GitHub Actions (audience `sigstore`, needs `id-token: write`).
 * The token is never verified here — Fulcio does that — but it is checked for shape and expiry
 * so the user gets a clear local error instead of an opaque HTTP 400.
 */
import {InputError, UsageError} from '../../errors.js'
import {unreachable} from './network.js'

const MAX_TOKEN_LENGTH = 64 * 1024
const AMBIENT_TIMEOUT_MS = 10_000
const MAX_AMBIENT_RESPONSE = 256 * 1024
export const SIGSTORE_AUDIENCE = 'sigstore'

export type TokenSource = 'flag' | 'SIGSTORE_ID_TOKEN' | 'github-actions' | 'interactive'

export interface ResolvedToken {
  token: string
  source: TokenSource
  claims: Record<string, unknown>
}

export async function resolveIdentityToken(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedToken> {
  if (explicit !== undefined && explicit !== '') return checked(explicit.trim(), 'flag')
  const fromEnv = env.SIGSTORE_ID_TOKEN
  if (fromEnv !== undefined && fromEnv !== '') return checked(fromEnv.trim(), 'SIGSTORE_ID_TOKEN')
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
  if (url && bearer) return checked(await githubActionsToken(url, bearer), 'github-actions')
  throw new UsageError(
    'E_SIGSTORE_NO_TOKEN',
    'no OIDC identity token: pass --identity-token, set SIGSTORE_ID_TOKEN, run in GitHub Actions with `permissions: id-token: write`, or sign in interactively (from a terminal, or with --oauth-device / --oauth-force-oob)',
  )
}

async function githubActionsToken(requestUrl: string, bearer: string): Promise<string> {
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    throw new InputError('E_SIGSTORE_AMBIENT_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL')
  }
  url.searchParams.set('audience', SIGSTORE_AUDIENCE)
  let res: Response
  try {
    res = await fetch(url, {
      headers: {Authorization: `Bearer ${bearer}`, Accept: 'application/json'},
      signal: AbortSignal.timeout(AMBIENT_TIMEOUT_MS),
    })
  } catch (err) {
    throw (
      unreachable('the GitHub Actions OIDC token service', url.origin, err) ??
      new InputError('E_SIGSTORE_AMBIENT_TOKEN', `GitHub Actions OIDC token request failed: ${(err as Error).message}`)
    )
  }
  if (Number(res.headers.get('content-length') ?? 0) > MAX_AMBIENT_RESPONSE) {
    throw new InputError('E_SIGSTORE_AMBIENT_TOKEN', 'GitHub Actions OIDC token response is too large')
  }
  const text = await res.text()
  if (!res.ok) {
    throw new InputError('E_SIGSTORE_AMBIENT_TOKEN', `GitHub Actions OIDC token request failed: HTTP ${res.status}`)
  }
  if (text.length > MAX_AMBIENT_RESPONSE) {
    throw new InputError('E_SIGSTORE_AMBIENT_TOKEN', 'GitHub Actions OIDC token response is too large')
  }
  let value: unknown
  try {
    value = (JSON.parse(text) as {value?: unknown}).value
  } catch {
    value = undefined
  }
  if (typeof value !== 'string' || value === '') {
    throw new InputError('E_SIGSTORE_AMBIENT_TOKEN', 'GitHub Actions OIDC token response has no "value"')
  }
  return value
}

/** Shape, expiry and subject checks of a token obtained some other way (e.g. interactively). */
export function checkedToken(token: string, source: TokenSource): ResolvedToken {
  return checked(token.trim(), source)
}

function checked(token: string, source: TokenSource): ResolvedToken {
  const claims = decodeJwtClaims(token)
  const exp = claims.exp
  if (typeof exp === 'number' && exp * 1000 < Date.now()) {
    throw new InputError('E_SIGSTORE_TOKEN_EXPIRED', `the identity token (from ${source}) expired at ${new Date(exp * 1000).toISOString()}`)
  }
  // Fulcio's challenge is the email (only when the issuer verified it) or else the subject;
  // say so here rather than after hashing the model.
  if (typeof claims.email === 'string' && claims.email !== '') {
    if (claims.email_verified !== true) {
      throw new InputError(
        'E_SIGSTORE_TOKEN_MALFORMED',
        `the identity token (from ${source}) carries an email its issuer has not verified (email_verified is not true)`,
      )
    }
  } else if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw new InputError('E_SIGSTORE_TOKEN_MALFORMED', `the identity token (from ${source}) has neither an email nor a subject (sub)`)
  }
  return {token, source, claims}
}

/** Decodes (does not verify) the JWT payload. */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const bad = (why: string) => new InputError('E_SIGSTORE_TOKEN_MALFORMED', `identity token is not a JWT: ${why}`)
  if (token.length > MAX_TOKEN_LENGTH) throw bad('too long')
  const parts = token.split('.')
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) throw bad('expected three base64url parts')
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
  } catch {
    throw bad('payload is not JSON')
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw bad('payload is not an object')
  return claims as Record<string, unknown>
}

/** The identity Fulcio will put in the certificate, for messages (email for email tokens, else sub). */
export function tokenSubject(claims: Record<string, unknown>): string | undefined {
  const email = claims.email
  if (typeof email === 'string' && email !== '') return email
  return typeof claims.sub === 'string' ? claims.sub : undefined
}
