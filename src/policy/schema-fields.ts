/**
 * Field parsers shared by the policy schema (schema.ts) and the requirement schemas
 * (schema-requirements.ts): modes, signer sets, durations, sizes, regexes and categories.
 * Each reports problems on the checker with the field's path instead of throwing.
 */
import {CATEGORIES, SEVERITIES, type Category} from '../scan/types.js'
import type {Checker, Path} from './checker.js'
import {checkRegex, parseDuration, parseSize} from './matchers.js'
import type {SignedBy} from './types.js'

export const MODES = ['enforce', 'warn', 'audit'] as const

export interface SchemaContext {
  c: Checker
  baseDir: string
  identityNames: Set<string>
}

export const UNBOUNDED_SIDES = ['start', 'end', 'both'] as const

export function regexOk(ctx: SchemaContext, re: string, p: Path, unbounded?: (typeof UNBOUNDED_SIDES)[number]): boolean {
  let ok = true
  for (const problem of checkRegex(re, unbounded)) {
    ctx.c.report(problem.level, problem.level === 'error' ? 'REGEX' : 'REGEX_STYLE', p, problem.message)
    if (problem.level === 'error') ok = false
  }
  return ok
}

export function parseSignedBy(ctx: SchemaContext, v: unknown, p: Path): SignedBy | undefined {
  const {c} = ctx
  const o = c.object(v, p, ['anyOf', 'allOf', 'threshold'])
  if (!o) return undefined
  if ((o.anyOf === undefined) === (o.allOf === undefined)) {
    c.error(p, 'signedBy needs exactly one of anyOf (with optional threshold) or allOf')
    return undefined
  }
  const key = o.anyOf !== undefined ? 'anyOf' : 'allOf'
  const names = c.stringList(o[key], [...p, key], {nonEmpty: true})
  if (!names) return undefined
  names.forEach((n, i) => {
    if (!ctx.identityNames.has(n)) c.error([...p, key, i], `unknown identity "${n}"; define it under spec.trust.identities`, 'UNKNOWN_IDENTITY')
  })
  if (new Set(names).size !== names.length) c.error([...p, key], 'lists the same identity twice')
  if (key === 'allOf') {
    if (o.threshold !== undefined) c.error([...p, 'threshold'], 'threshold only applies to anyOf')
    return {allOf: names}
  }
  const threshold = o.threshold === undefined ? 1 : c.integer(o.threshold, [...p, 'threshold'], 1, names.length)
  return threshold === undefined ? undefined : {anyOf: names, threshold}
}

export function parseDurationAt(ctx: SchemaContext, v: unknown, p: Path): number | undefined {
  const s = typeof v === 'string' ? parseDuration(v) : undefined
  if (s === undefined || s <= 0) ctx.c.error(p, 'must be a duration such as 7d, 12h, 30m or 2w')
  return s
}

export function parseSizeAt(ctx: SchemaContext, v: unknown, p: Path): number | undefined {
  const n = parseSize(v)
  if (n === undefined) ctx.c.error(p, 'must be a size in bytes or with a unit (e.g. 500MB, 20GiB)')
  return n
}

export function isCategory(s: string): s is Category {
  return (CATEGORIES as readonly string[]).includes(s)
}

export const SEVERITY_CEILINGS = ['none', ...SEVERITIES] as const
