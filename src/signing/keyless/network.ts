/**
 * Network failures named by cause. A Sigstore service that cannot be reached (no DNS answer,
 * connection refused, timed out, TLS failure) is reported as that — not as the service having
 * refused the request — so the user fixes the network or the URL, not the token.
 */
import {InputError} from '../../errors.js'

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA'])
const TIMEOUT = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
])
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED'])
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL'])

/** "connection refused (ECONNREFUSED)", … — or undefined when err is not a network failure. */
export function networkCause(err: unknown): string | undefined {
  let e = err as {code?: unknown; name?: unknown; type?: unknown; errno?: unknown; cause?: unknown; message?: unknown} | undefined
  for (let depth = 0; e && depth < 6; depth++, e = e.cause as typeof e) {
    const code = typeof e.code === 'string' ? e.code : typeof e.errno === 'string' ? e.errno : ''
    if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)'
    if (DNS.has(code)) return `the host name could not be resolved (DNS: ${code})`
    if (TIMEOUT.has(code) || e.type === 'request-timeout' || e.name === 'TimeoutError' || e.name === 'AbortError')
      return `no answer in time (${code || String(e.name ?? 'timeout')})`
    if (RESET.has(code)) return `the connection was dropped (${code})`
    if (UNREACHABLE.has(code)) return `the host or network is unreachable (${code})`
    if (/^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH|ERR_CERT)/.test(code)) return `the TLS connection failed (${code})`
    if (code === 'ENETBLOCKED') return 'network access is blocked (ENETBLOCKED)'
  }
  return undefined
}

/** An InputError (exit 3) naming the service, its URL and the cause; undefined if not a network failure. */
export function unreachable(service: string, url: string | undefined, err: unknown): InputError | undefined {
  const cause = networkCause(err)
  if (!cause) return undefined
  return new InputError('E_SIGSTORE_UNREACHABLE', `${service}${url ? ` (${url})` : ''} is unreachable: ${cause}`)
}
