/**
 * Policy field values: identity patterns (checked with the dialect of src/util/identity-regex.ts;
 * matching lives with the evidence that is matched, src/evidence/trust.ts), durations and sizes.
 */
import {checkPattern, type PatternProblem} from '../util/identity-regex.js'

export {matches} from '../evidence/trust.js'

/** Static checks of a user pattern; errors make the policy unusable. */
export function checkRegex(re: string, unbounded?: 'start' | 'end' | 'both'): PatternProblem[] {
  return checkPattern(re, unbounded)
}

const UNITS: Record<string, number> = {s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3}

/** "90d", "12h", "30m", "2w" → milliseconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d{1,6})(s|m|h|d|w)$/.exec(s.trim())
  return m ? Number(m[1]) * UNITS[m[2]] : undefined
}

export function formatDuration(ms: number): string {
  for (const [u, f] of [
    ['w', UNITS.w],
    ['d', UNITS.d],
    ['h', UNITS.h],
    ['m', UNITS.m],
  ] as const) {
    if (ms >= f && ms % f === 0) return `${ms / f}${u}`
  }
  return `${Math.round(ms / 1000)}s`
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
}

/** 1234, "20GiB", "500 MB" → bytes. */
export function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined
  if (typeof v !== 'string') return undefined
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/.exec(v.trim())
  if (!m) return undefined
  const n = Math.floor(Number(m[1]) * SIZE_UNITS[m[2] ?? ''])
  return Number.isSafeInteger(n) ? n : undefined
}
