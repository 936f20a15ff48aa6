/**
 * How modelseal reads a command line beyond what oclif does, so scripts written for Python's
 * `model_signing` run unchanged:
 *
 * - model_signing spells some flags with underscores (`--private_key`, `--ignore_unsigned_files`,
 *   `--no-ignore_unsigned_files`, …). Any `--a_b` whose hyphenated form `--a-b` is a flag of the
 *   command is read as that flag; nothing is added to `--help`. A few model_signing names that
 *   differ from ours by more than the separator are listed in RENAMED.
 * - A repeatable flag stops at the first value (`--ignore-paths X ./model`, `--certificate-chain
 *   ca.pem ./model`), as in click and argparse: repeat the flag to give more.
 *
 * Also the "did you mean" suggestions of usage errors.
 */
import {existsSync} from 'node:fs'

type FlagLike = {type?: string; multiple?: boolean; multipleNonGreedy?: boolean; allowNo?: boolean; char?: string}

/** model_signing flag names whose modelseal name is not just the hyphenated spelling. */
const RENAMED: Record<string, string> = {}

/**
 * Rewrites model_signing spellings to modelseal's. `flags` are the command's flags (aggregated,
 * including --json). Stops at `--`: what follows is positional.
 */
export function normalizeArgv(argv: string[], flags: Record<string, FlagLike>): string[] {
  const out: string[] = []
  let passThrough = false
  for (const token of argv) {
    if (passThrough || !token.startsWith('--') || token === '--') {
      if (token === '--') passThrough = true
      out.push(token)
      continue
    }
    const eq = token.indexOf('=')
    const name = token.slice(2, eq === -1 ? undefined : eq)
    const rest = eq === -1 ? '' : token.slice(eq)
    out.push(`--${canonicalName(name, flags)}${rest}`)
  }
  return out
}

function canonicalName(name: string, flags: Record<string, FlagLike>): string {
  if (name in flags || !name.includes('_')) return name
  const renamed = RENAMED[name]
  if (renamed && renamed in flags) return renamed
  const hyphenated = name.replace(/_/g, '-')
  if (hyphenated in flags) return hyphenated
  // --no-ignore_unsigned_files
  if (hyphenated.startsWith('no-')) {
    const base = hyphenated.slice(3)
    if (flags[base]?.allowNo) return hyphenated
  }
  return name
}

/** The positional arguments of argv: not flags, not the values of flags that take one. */
export function positionals(argv: string[], flags: Record<string, FlagLike>): string[] {
  const out: string[] = []
  const byChar = new Map(
    Object.entries(flags)
      .filter(([, f]) => f.char)
      .map(([k, f]) => [f.char as string, k]),
  )
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') return [...out, ...argv.slice(i + 1)]
    if (a.startsWith('--')) {
      if (!a.includes('=') && flags[a.slice(2)]?.type === 'option') i++
    } else if (a.startsWith('-') && a.length > 1) {
      const name = byChar.get(a[1])
      if (a.length === 2 && name && flags[name]?.type === 'option') i++
    } else {
      out.push(a)
    }
  }
  return out
}

/** The same flags with every repeatable flag taking one value per occurrence. */
export function nonGreedyFlags<T extends Record<string, FlagLike>>(flags: T): T {
  const out: Record<string, FlagLike> = {}
  for (const [k, f] of Object.entries(flags)) out[k] = f.multiple ? {...f, multipleNonGreedy: true} : f
  return out as T
}

/** Damerau-free Levenshtein distance, for suggestions (inputs are short command names). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]
}

/** The closest candidate, if it is close enough to be what the user meant. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3))
  return best !== undefined && bestDistance > 0 && bestDistance <= limit ? best : undefined
}

/**
 * For a command that is also a topic (`sign`, `verify`: MODEL_PATH or a method), a first
 * argument that is no file but nearly a method name is a typo of the method, not a model path.
 */
export function mistypedSubcommand(firstArg: string | undefined, subcommands: string[]): string | undefined {
  if (firstArg === undefined || firstArg.startsWith('-') || subcommands.includes(firstArg) || existsSync(firstArg)) return undefined
  return closest(firstArg, subcommands)
}

/** oclif's multi-line parse messages as one line with the reason kept. */
export function usageReason(message: string | undefined): string {
  const lines = (message ?? '')
    .split('\n')
    .map((l) => l.trim())
    // oclif's notes about greedy repeatable flags do not apply: ours take one value each.
    .filter((l) => l !== '' && !/^(See more help with|Note: --\S+ allows multiple values|Alternatively, you can use "--")/i.test(l))
  if (lines.length > 1 && /^The following errors? occurred:?$/i.test(lines[0])) lines.shift()
  if (lines.length === 0) return 'usage error'
  // oclif lists missing arguments as "name  description".
  const [head, ...tail] = lines.map((l) => l.replace(/^(\S+)\s{2,}(.+)$/, '$1 ($2)'))
  if (tail.length === 0) return head
  return `${head.replace(/:$/, '')}: ${tail.join('; ')}`
}
