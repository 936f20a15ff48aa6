/**
 * Regular expressions that match signer identities (certificate subjects, OIDC issuers, Fulcio
 * extensions). A pattern is checked in three steps and matched in a fourth:
 *
 * 1. parsed on its own by a real ECMAScript regex parser (regexpp, `u` mode): an unbalanced
 *    group such as `A)|(B` is a syntax error here, so it can never escape the anchoring that
 *    string concatenation (`^(?:A)|(B)$`) would have given it;
 * 2. restricted to the RE2 subset (no lookaround, no backreferences), as cosign's Go regexps;
 * 3. refused when its language is unbounded at the start or the end — an unbounded repetition
 *    of an atom that can match a delimiter (`/`, `:`, `@`) in leading or trailing position,
 *    which is how `.*`, `(?:.*)`, `.{0,}`, `[\s\S]*` and `(.*|)` all read — unless the policy
 *    allows that side explicitly;
 * 4. matched against the WHOLE value by RE2JS, a linear-time engine: no input can make a match
 *    backtrack (a nested `(?:[a-z]|[a-z0-9])*` costs the same as `[a-z0-9]*`). Inputs longer
 *    than MAX_MATCH_INPUT never match, which bounds the time of one match.
 */
import {RegExpParser, type AST} from '@eslint-community/regexpp'
import {RE2JS} from 're2js'

export const MAX_PATTERN_LENGTH = 1024
/** Identity strings longer than this never match. */
export const MAX_MATCH_INPUT = 8192
/** Characters that separate the parts of an identity (URI scheme/host/path, e-mail domain). */
const DELIMITERS = ['/', ':', '@']

export type UnboundedSide = 'start' | 'end' | 'both'

export interface PatternProblem {
  level: 'error' | 'warning'
  message: string
}

const parser = new RegExpParser({ecmaVersion: 2024})

function parse(re: string): AST.Pattern {
  return parser.parsePattern(re, 0, re.length, {unicode: true})
}

/** Static checks of a pattern; any error makes it unusable. */
export function checkPattern(re: string, allowUnbounded?: UnboundedSide): PatternProblem[] {
  if (re.length > MAX_PATTERN_LENGTH) return [{level: 'error', message: `longer than ${MAX_PATTERN_LENGTH} characters`}]
  let ast: AST.Pattern
  try {
    ast = parse(re)
  } catch (err) {
    return [{level: 'error', message: `not a valid regular expression: ${(err as Error).message}`}]
  }
  const out: PatternProblem[] = []
  visit(ast, (n) => {
    if (n.type === 'Assertion' && (n.kind === 'lookahead' || n.kind === 'lookbehind'))
      out.push({level: 'error', message: 'lookaround is not allowed (RE2 dialect, as in cosign)'})
    if (n.type === 'Backreference') out.push({level: 'error', message: 'backreferences are not allowed (RE2 dialect, as in cosign)'})
  })
  if (out.length) return dedupe(out)
  try {
    RE2JS.compile(re)
  } catch (err) {
    return [{level: 'error', message: `not supported by the RE2 dialect: ${(err as Error).message}`}]
  }
  const allowStart = allowUnbounded === 'start' || allowUnbounded === 'both'
  const allowEnd = allowUnbounded === 'end' || allowUnbounded === 'both'
  if (!allowStart && edge(ast, 'start').wild) {
    out.push({
      level: 'error',
      message:
        'unbounded at the start: it can begin with any run of characters (such as .* or [^x]+), so any prefix matches; spell out the fixed prefix, or allow it with unbounded: start',
    })
  }
  if (!allowEnd && edge(ast, 'end').wild) {
    out.push({
      level: 'error',
      message:
        'unbounded at the end: it can end with any run of characters (such as .* or .+), so any suffix matches; spell out what may follow, or allow it with unbounded: end',
    })
  }
  if (/[A-Za-z0-9]\.(com|org|net|io|dev|example|[a-z]{2})\b/.test(re)) {
    out.push({level: 'warning', message: 'unescaped "." in a host name matches any character; write \\. instead'})
  }
  if (/^\^|[^\\]\$$/.test(re)) out.push({level: 'warning', message: '"^"/"$" are redundant: every pattern must match the whole value'})
  return out
}

function dedupe(ps: PatternProblem[]): PatternProblem[] {
  const seen = new Set<string>()
  return ps.filter((p) => !seen.has(p.message) && seen.add(p.message))
}

type Node = AST.Node

function visit(n: Node, f: (n: Node) => void): void {
  f(n)
  switch (n.type) {
    case 'Pattern':
    case 'Group':
    case 'CapturingGroup':
      for (const a of n.alternatives) visit(a, f)
      break
    case 'Assertion':
      if (n.kind === 'lookahead' || n.kind === 'lookbehind') for (const a of n.alternatives) visit(a, f)
      break
    case 'Alternative':
      for (const e of n.elements) visit(e, f)
      break
    case 'Quantifier':
      visit(n.element, f)
      break
    default:
      break
  }
}

/** Does any single-character atom inside `n` match one of the delimiters? */
function matchesDelimiter(n: Node): boolean {
  let hit = false
  visit(n, (x) => {
    if (hit) return
    // A class is one atom (its members are not visited: a "." inside [...] is a literal dot).
    if (x.type === 'Character' || x.type === 'CharacterSet' || x.type === 'CharacterClass') {
      // One atom, compiled alone: a single-character test cannot backtrack.
      const atom = new RegExp(`^(?:${x.raw})$`, 'u')
      if (DELIMITERS.some((d) => atom.test(d))) hit = true
    }
  })
  return hit
}

interface Edge {
  /** An unbounded wildcard run can occur at this edge. */
  wild: boolean
  /** The node can match the empty string (so the edge looks past it). */
  nullable: boolean
}

/** What can appear at the start (or end) of what `n` matches. */
function edge(n: Node, side: 'start' | 'end'): Edge {
  switch (n.type) {
    case 'Pattern':
    case 'Group':
    case 'CapturingGroup': {
      const parts = n.alternatives.map((a) => edge(a, side))
      return {wild: parts.some((p) => p.wild), nullable: parts.some((p) => p.nullable)}
    }
    case 'Alternative': {
      const els = side === 'start' ? n.elements : [...n.elements].reverse()
      let wild = false
      for (const e of els) {
        const x = edge(e, side)
        wild ||= x.wild
        if (!x.nullable) return {wild, nullable: false}
      }
      return {wild, nullable: true}
    }
    case 'Quantifier': {
      const inner = edge(n.element, side)
      const run = n.max === Number.POSITIVE_INFINITY && matchesDelimiter(n.element)
      return {wild: inner.wild || run, nullable: n.min === 0 || inner.nullable}
    }
    case 'Assertion':
      return {wild: false, nullable: true}
    default:
      return {wild: false, nullable: false}
  }
}

const compiled = new Map<string, RE2JS>()

/**
 * True when `value` matches the whole pattern (RE2 semantics, linear time). A pattern that does
 * not pass checkPattern never matches (policies are checked when they load; this is the fallback).
 */
export function fullMatch(re: string, value: string | undefined): boolean {
  if (value === undefined || value.length > MAX_MATCH_INPUT) return false
  let p = compiled.get(re)
  if (!p) {
    if (checkPattern(re, 'both').some((x) => x.level === 'error')) return false
    p = RE2JS.compile(re)
    if (compiled.size > 1024) compiled.clear()
    compiled.set(re, p)
  }
  return p.matches(value)
}
