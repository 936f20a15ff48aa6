/**
 * A small structural checker over parsed YAML: each accessor validates one value and records
 * problems with their path, so a policy error can name the line and the key. It collects every
 * problem (lint wants all of them); loading stops at the first.
 */
import {parseRfc3339} from '../util/rfc3339.js'
import {formatPath, type Position, type YamlSource} from './yaml-source.js'

export type Path = (string | number)[]

export interface SchemaIssue {
  /** error: the policy cannot be used; warning: usable but probably not what the author meant. */
  level: 'error' | 'warning'
  code: string
  key: string
  line?: number
  col?: number
  message: string
}

export class Checker {
  readonly issues: SchemaIssue[] = []

  constructor(private readonly src: Pick<YamlSource, 'positionOf'>) {}

  report(level: SchemaIssue['level'], code: string, path: Path, message: string): void {
    const pos: Position | undefined = this.src.positionOf(path)
    this.issues.push({level, code, key: formatPath(path), line: pos?.line, col: pos?.col, message})
  }

  error(path: Path, message: string, code = 'SCHEMA'): void {
    this.report('error', code, path, message)
  }

  get ok(): boolean {
    return !this.issues.some((i) => i.level === 'error')
  }

  /** A mapping whose keys must all be in `allowed` (unknown keys are errors: typos must not pass silently). */
  object(v: unknown, path: Path, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      this.error(path, `must be a mapping, got ${describe(v)}`)
      return undefined
    }
    const obj = v as Record<string, unknown>
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) {
        const hint = nearest(k, allowed)
        this.report('error', 'UNKNOWN_KEY', [...path, k], `unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ''}; allowed: ${allowed.join(', ')}`)
      }
    }
    return obj
  }

  /** A mapping with free-form keys (names chosen by the author). */
  mapping(v: unknown, path: Path): Record<string, unknown> | undefined {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      this.error(path, `must be a mapping, got ${describe(v)}`)
      return undefined
    }
    return v as Record<string, unknown>
  }

  required(obj: Record<string, unknown>, key: string, path: Path): unknown {
    if (obj[key] === undefined || obj[key] === null) {
      this.report('error', 'MISSING_KEY', path, `missing required key "${key}" in ${formatPath(path)}`)
      return undefined
    }
    return obj[key]
  }

  string(v: unknown, path: Path, opts: {nonEmpty?: boolean; max?: number} = {}): string | undefined {
    if (typeof v !== 'string') {
      this.error(path, `must be a string, got ${describe(v)}`)
      return undefined
    }
    if ((opts.nonEmpty ?? true) && v.trim() === '') {
      this.error(path, 'must not be empty')
      return undefined
    }
    if (v.length > (opts.max ?? 4096)) {
      this.error(path, `is longer than ${opts.max ?? 4096} characters`)
      return undefined
    }
    return v
  }

  /** Accepts a string, or a number (YAML turns `version: 1.0` into a number). */
  text(v: unknown, path: Path): string | undefined {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v)
    return this.string(v, path)
  }

  oneOf<T extends string>(v: unknown, path: Path, values: readonly T[]): T | undefined {
    if (typeof v !== 'string' || !values.includes(v as T)) {
      this.error(path, `must be one of ${values.join(', ')}, got ${describe(v)}`)
      return undefined
    }
    return v as T
  }

  integer(v: unknown, path: Path, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.error(path, `must be an integer between ${min} and ${max}, got ${describe(v)}`)
      return undefined
    }
    return v
  }

  list(v: unknown, path: Path, opts: {nonEmpty?: boolean} = {}): unknown[] | undefined {
    if (!Array.isArray(v)) {
      this.error(path, `must be a list, got ${describe(v)}`)
      return undefined
    }
    if (opts.nonEmpty && v.length === 0) {
      this.error(path, 'must not be an empty list')
      return undefined
    }
    return v
  }

  stringList(v: unknown, path: Path, opts: {nonEmpty?: boolean; allowEmptyStrings?: boolean} = {}): string[] | undefined {
    const l = this.list(v, path, opts)
    if (!l) return undefined
    const out: string[] = []
    l.forEach((item, i) => {
      const s = this.string(item, [...path, i], {nonEmpty: !opts.allowEmptyStrings})
      if (s !== undefined) out.push(s)
    })
    return out.length === l.length ? out : undefined
  }

  /** Strict RFC 3339 date-time with an explicit zone, or a plain date (midnight UTC). */
  time(v: unknown, path: Path): Date | undefined {
    const d = parseRfc3339(v, {allowDate: true})
    if (!d) {
      this.error(path, `must be an RFC 3339 time such as 2027-01-31T00:00:00Z (a real calendar date, hours 00-23), got ${describe(v)}`)
      return undefined
    }
    return d
  }
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  const s = JSON.stringify(v)
  return `${typeof v} ${s.length > 60 ? `${s.slice(0, 60)}…` : s}`
}

/** Suggests the closest allowed key for a typo (edit distance ≤ 2). */
function nearest(k: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = 3
  for (const a of allowed) {
    const d = editDistance(k.toLowerCase(), a.toLowerCase())
    if (d < bestD) {
      bestD = d
      best = a
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return 99
  let prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]
}
