/** Helpers of the policy, attest and audit commands. */
import {UsageError} from '../../src/errors.js'

/** `--at TIME`: an RFC 3339 time (or a date), for reproducible evaluation of expiries and ages. */
export function parseAtFlag(v: string | undefined): Date {
  if (v === undefined) return new Date()
  const ok = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2}))?$/.test(v)
  const d = new Date(ok && v.length === 10 ? `${v}T00:00:00Z` : v)
  if (!ok || Number.isNaN(d.getTime())) throw new UsageError('E_USAGE', `--at must be an RFC 3339 time such as 2026-12-01T00:00:00Z, got "${v}"`)
  return d
}
