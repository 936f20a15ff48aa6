/** Helpers of the policy, attest and audit commands. */
import {UsageError} from '../../src/errors.js'
import {parseRfc3339} from '../../src/util/rfc3339.js'

/** `--at TIME`: an RFC 3339 time (or a date), for reproducible evaluation of expiries and ages. */
export function parseAtFlag(v: string | undefined): Date {
  if (v === undefined) return new Date()
  const d = parseRfc3339(v, {allowDate: true})
  if (!d) throw new UsageError('E_USAGE', `--at must be an RFC 3339 time such as 2026-12-01T00:00:00Z, got "${v}"`)
  return d
}
