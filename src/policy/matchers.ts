/**
 * Identity matching primitives. Every user regular expression is anchored by modelseal
 * (`^(?:re)$`): sigstore-js matches identities with an unanchored regex, which lets
 * `https://github.com/acme/` match `https://github.com/acme-evil/...`. Patterns that cannot be
 * anchored meaningfully or that backtrack catastrophically are rejected when the policy loads.
 */
import type {StringMatcher} from './types.js'

/** Identity strings longer than this never match (bounds regex work on hostile certificates). */
export const MAX_MATCH_INPUT = 8192
export const MAX_REGEX_LENGTH = 1024

export interface RegexProblem {
  level: 'error' | 'warning'
  message: string
}

/** Static checks of a user pattern; errors make the policy unusable. */
export function checkRegex(re: string): RegexProblem[] {
  const out: RegexProblem[] = []
  if (re.length > MAX_REGEX_LENGTH) return [{level: 'error', message: `longer than ${MAX_REGEX_LENGTH} characters`}]
  try {
    new RegExp(`^(?:${re})$`, 'u')
  } catch (err) {
    return [{level: 'error', message: `not a valid regular expression: ${(err as Error).message}`}]
  }
  if (/\(\?<?[=!]/.test(re)) out.push({level: 'error', message: 'lookaround is not allowed (RE2 subset only, as in cosign)'})
  if (/\\[1-9]|\\k</.test(re)) out.push({level: 'error', message: 'backreferences are not allowed (RE2 subset only, as in cosign)'})
  const body = re.replace(/^\^/, '')
  if (/^(\.\*|\.\+|\(\.\*\)|\(\.\+\))/.test(body)) {
    out.push({level: 'error', message: 'unanchorable: starts with a wildcard, so any prefix matches; spell out the fixed prefix'})
  }
  if (/\|/.test(stripGroups(re))) {
    // Top-level alternation is fine once wrapped in (?:...), but flag it so authors know.
    out.push({level: 'warning', message: 'top-level "|" alternation: every branch is anchored separately by modelseal'})
  }
  if (/\([^()]*[+*][^()]*\)[+*{]/.test(re)) {
    out.push({level: 'error', message: 'nested quantifier such as (a+)+ can backtrack catastrophically'})
  }
  if (/[A-Za-z0-9]\.(com|org|net|io|dev|example|[a-z]{2})\b/.test(re)) {
    out.push({level: 'warning', message: 'unescaped "." in a host name matches any character; write \\. instead'})
  }
  if (/^\^|[^\\]\$$/.test(re)) out.push({level: 'warning', message: '"^"/"$" are redundant: modelseal anchors every pattern'})
  return out
}

function stripGroups(re: string): string {
  let depth = 0
  let out = ''
  for (let i = 0; i < re.length; i++) {
    const c = re[i]
    if (c === '\\') {
      i++
      continue
    }
    if (c === '(') depth++
    else if (c === ')') depth = Math.max(0, depth - 1)
    else if (depth === 0) out += c
  }
  return out
}

const compiled = new Map<string, RegExp>()

export function anchored(re: string): RegExp {
  let r = compiled.get(re)
  if (!r) {
    r = new RegExp(`^(?:${re})$`, 'u')
    compiled.set(re, r)
  }
  return r
}

export function matches(m: StringMatcher, value: string | undefined): boolean {
  if (value === undefined || value.length > MAX_MATCH_INPUT) return false
  if ('exact' in m) return m.exact === value
  return anchored(m.regExp).test(value)
}

export function describeMatcher(m: StringMatcher): string {
  return 'exact' in m ? JSON.stringify(m.exact) : `/${m.regExp}/ (anchored)`
}

const UNITS: Record<string, number> = {s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3}

/** "90d", "12h", "30m", "2w" → milliseconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d{1,6})(s|m|h|d|w)$/.exec(s.trim())
  return m ? Number(m[1]) * UNITS[m[2]] : undefined
}

export function formatDuration(ms: number): string {
  for (const [u, f] of [['w', UNITS.w], ['d', UNITS.d], ['h', UNITS.h], ['m', UNITS.m]] as const) {
    if (ms >= f && ms % f === 0) return `${ms / f}${u}`
  }
  return `${Math.round(ms / 1000)}s`
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4,
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
