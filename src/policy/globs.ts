/**
 * Model-relative globs in policies (`allowUnsigned`, `skippable`): `*` and `?` never cross a
 * `/`, `**` as a whole component spans any number of directories, `[abc]`/`[a-z]`/`[!x]` match
 * one character, dotfiles match like any file (a hidden file is still a file). File names come
 * from a hostile model, so matching is a small dynamic program — at most (components of the
 * glob × components of the path) segment tests, each quadratic in one component's length — never
 * a backtracking regular expression.
 */
export const MAX_GLOB_LENGTH = 512

export function globProblem(g: string): string | undefined {
  if (g.length > MAX_GLOB_LENGTH) return `is longer than ${MAX_GLOB_LENGTH} characters`
  if (g.startsWith('/') || /^[A-Za-z]:/.test(g)) return 'must be relative to the model'
  if (g.split('/').includes('..')) return 'must not contain ".."'
  if (g.includes('\\')) return 'must use "/" (a backslash is not a separator)'
  if (g.split('/').some((c) => c === '')) return 'has an empty path component'
  for (const c of g.split('/')) if (classesOf(c) === undefined) return 'has an unclosed "["'
  return undefined
}

type Token = {kind: 'char'; c: string} | {kind: 'any'} | {kind: 'star'} | {kind: 'class'; negate: boolean; ranges: [string, string][]}

/** One glob component as tokens; undefined when a class is not closed. */
function classesOf(component: string): Token[] | undefined {
  const out: Token[] = []
  const cs = [...component]
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]
    if (c === '*') out.push({kind: 'star'})
    else if (c === '?') out.push({kind: 'any'})
    else if (c === '[') {
      const end = cs.indexOf(']', i + 2)
      if (end < 0) return undefined
      let body = cs.slice(i + 1, end)
      const negate = body[0] === '!' || body[0] === '^'
      if (negate) body = body.slice(1)
      const ranges: [string, string][] = []
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === '-' && j + 2 < body.length) {
          ranges.push([body[j], body[j + 2]])
          j += 2
        } else ranges.push([body[j], body[j]])
      }
      out.push({kind: 'class', negate, ranges})
      i = end
    } else out.push({kind: 'char', c})
  }
  return out
}

function tokenMatches(t: Token, c: string): boolean {
  if (t.kind === 'any') return true
  if (t.kind === 'char') return t.c === c
  if (t.kind !== 'class') return false
  const hit = t.ranges.some(([a, b]) => c >= a && c <= b)
  return t.negate ? !hit : hit
}

/** Wildcard match of one path component (no '/'), by dynamic programming. */
function componentMatches(tokens: Token[], name: string): boolean {
  const s = [...name]
  let prev = new Array<boolean>(s.length + 1).fill(false)
  prev[0] = true
  for (const t of tokens) {
    const cur = new Array<boolean>(s.length + 1).fill(false)
    if (t.kind === 'star') {
      let any = false
      for (let j = 0; j <= s.length; j++) {
        any ||= prev[j]
        cur[j] = any
      }
    } else for (let j = 1; j <= s.length; j++) cur[j] = prev[j - 1] && tokenMatches(t, s[j - 1])
    prev = cur
  }
  return prev[s.length]
}

const compiled = new Map<string, (Token[] | '**')[]>()

function compile(glob: string): (Token[] | '**')[] {
  let c = compiled.get(glob)
  if (!c) {
    c = glob.split('/').map((part) => (part === '**' ? '**' : (classesOf(part) ?? [{kind: 'char', c: '\u0000'}])))
    compiled.set(glob, c)
  }
  return c
}

export function globMatches(glob: string, file: string): boolean {
  const g = compile(glob)
  const p = file.split('/')
  // reach[j]: the glob so far can consume exactly the first j path components.
  let reach = new Array<boolean>(p.length + 1).fill(false)
  reach[0] = true
  for (const part of g) {
    const next = new Array<boolean>(p.length + 1).fill(false)
    if (part === '**') {
      let any = false
      for (let j = 0; j <= p.length; j++) {
        any ||= reach[j]
        next[j] = any
      }
    } else for (let j = 1; j <= p.length; j++) next[j] = reach[j - 1] && componentMatches(part, p[j - 1])
    reach = next
  }
  return reach[p.length]
}

/** The first glob that matches the model-relative path, if any. */
export function matchingGlob(globs: readonly string[], file: string): string | undefined {
  return globs.find((g) => globMatches(g, file))
}
