/**
 * Credentials never reach a log. Every message modelseal prints (its own, oclif's and those
 * passed through from libraries such as @sigstore/sign, which quotes a rejected identity token
 * in full) goes through `redactSecrets` first.
 *
 * What counts as a credential is decided by shape, not by where the text came from:
 * - JOSE compact serialisations (JWT/JWS/JWE): dot-separated base64url parts whose first part
 *   decodes to a JSON object. Any JSON header starts with `{`, so its base64url starts with
 *   `ey`; a lone `eyJ…` run (a truncated token) is redacted too, so no part of a token leaks;
 * - `Bearer …` / `Basic …` authorisation values;
 * - `name=value` or `"name": "value"` pairs whose name says secret (token, secret, password…);
 * - GitHub tokens (`ghp_…`, `ghs_…`, …) and the user-info part of URLs.
 */
const REDACTED = '[REDACTED]'

const BASE64URL_RUN = /[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){1,4}/g
const JOSE_HEADER_PREFIX = /eyJ[A-Za-z0-9_-]{5,}/g
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi
const SECRET_NAMES = '(?:[A-Za-z_-]*(?:token|secret|password|passwd|credential|api[_-]?key|assertion)[A-Za-z_-]*|code_verifier|device_code|code)'
const SECRET_PAIR = new RegExp(`(["']?${SECRET_NAMES}["']?\\s*[:=]\\s*["']?)([^\\s"'&,;}]+)`, 'gi')
const GITHUB_TOKEN = /\bgh[pousr]_[A-Za-z0-9]{16,}\b/g
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi

export function redactSecrets(text: string): string {
  if (typeof text !== 'string' || text === '') return text
  let out = text.replace(BASE64URL_RUN, (run) => (looksLikeJose(run) ? REDACTED : run))
  out = out.replace(JOSE_HEADER_PREFIX, REDACTED)
  out = out.replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`)
  out = out.replace(SECRET_PAIR, (m, name: string, value: string) => (value === REDACTED || isHarmless(value) ? m : `${name}${REDACTED}`))
  out = out.replace(GITHUB_TOKEN, REDACTED)
  out = out.replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`)
  return out
}

/** Redacts every string inside a JSON-able value (for --json error details). */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactSecrets(value) as T
  if (depth > 32 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactDeep(v, depth + 1)
  return out as T
}

function looksLikeJose(run: string): boolean {
  const first = run.split('.', 1)[0]
  if (!/^[A-Za-z0-9_-]+$/.test(first)) return false
  try {
    return Buffer.from(first, 'base64url').toString('latin1').trimStart().startsWith('{')
  } catch {
    return false
  }
}

// Words that follow "token"/"password" in prose or flag help, not values ("--password is
// required", "token: none"); a real secret is never one of these.
function isHarmless(value: string): boolean {
  return /^(?:none|null|undefined|true|false|required|missing|given|set|expired|\[REDACTED\])$/i.test(value) || value.length < 4
}
