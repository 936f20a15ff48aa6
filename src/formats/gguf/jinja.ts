/**
 * Just enough Jinja to judge a chat template by what it does rather than how it is spelled: the
 * code inside {{ }} / {% %} is tokenised (strings with escapes, names, operators), and string
 * expressions are constant-folded — concatenation with `~` and `+`, `|join` of literal lists,
 * `|lower`/`|upper`/`|replace`/`|reverse`/`|format`, `[::-1]`, `"%s" % x`, `.format()`, sets
 * of variables to constants — so `x['__cl' ~ 'ass__']`, `x|attr('_'*2 ~ 'globals' ~ '_'*2)` or
 * `'__CLASS__'|lower` are seen as the attribute access they compute. Nothing is rendered.
 */

export type Tok = {k: 'str'; v: string} | {k: 'num'; v: number} | {k: 'name'; v: string} | {k: 'op'; v: string}

const MAX_TOKENS = 200_000
const MAX_FOLDED = 4096
/** Work bound for folding one template (hostile templates are not allowed to be slow). */
const MAX_FOLD_STEPS = 2_000_000
/** Tokens one folded expression may span. */
const MAX_EXPR_TOKENS = 512

/** The code sections of a template (expression and statement blocks), comments dropped. */
export function codeSections(t: string): string[] {
  const out: string[] = []
  const re = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}|\{#[\s\S]*?#\}/g
  let m: RegExpExecArray | null
  while ((m = re.exec(t)) && out.length < 100_000) {
    const code = m[1] ?? m[2]
    if (code !== undefined) out.push(code.replace(/^[-+]/, '').replace(/[-+]$/, ''))
  }
  return out
}

/** Python/Jinja string escapes. */
function unescapePython(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|[0-7]{1,3}|.)/gs, (_m, e: string) => {
    if (/^[xuU]/.test(e)) return String.fromCodePoint(Number.parseInt(e.slice(1), 16))
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8))
    const simple: Record<string, string> = {n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': ''}
    return simple[e] ?? `\\${e}`
  })
}

export function tokenize(code: string): Tok[] {
  const toks: Tok[] = []
  let i = 0
  while (i < code.length && toks.length < MAX_TOKENS) {
    const c = code[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === "'" || c === '"') {
      let j = i + 1
      let s = ''
      while (j < code.length && code[j] !== c) {
        if (code[j] === '\\' && j + 1 < code.length) s += code[j++]
        s += code[j++]
      }
      toks.push({k: 'str', v: unescapePython(s)})
      i = j + 1
      continue
    }
    const num = /^\d[\d_]*(\.\d+)?/.exec(code.slice(i, i + 32))
    if (num) {
      toks.push({k: 'num', v: Number(num[0].replace(/_/g, ''))})
      i += num[0].length
      continue
    }
    const name = /^[A-Za-z_]\w*/.exec(code.slice(i, i + 256))
    if (name) {
      toks.push({k: 'name', v: name[0]})
      i += name[0].length
      continue
    }
    const op = /^(\*\*|\/\/|==|!=|<=|>=|[-+*/%~|.,:()[\]{}<>=!])/.exec(code.slice(i, i + 2))
    toks.push({k: 'op', v: op ? op[0] : c})
    i += op ? op[0].length : 1
  }
  return toks
}

/**
 * Constant strings a template computes: every string expression folded as far as literals,
 * constant variables (`{% set x = '__cla' %}`) and string filters allow. The caller judges them
 * (attribute names, dunders, module names) together with the plain identifiers.
 */
export function foldedStrings(template: string): {strings: string[]; names: string[]; attrFilters: number; exhausted: boolean} {
  const env = new Map<string, string>()
  const budget = {steps: MAX_FOLD_STEPS}
  const strings: string[] = []
  const names: string[] = []
  let attrFilters = 0
  for (const section of codeSections(template)) {
    const toks = tokenize(section)
    // {% set name = <string expression> %}: remember constant strings.
    if (toks[0]?.k === 'name' && toks[0].v === 'set' && toks[1]?.k === 'name' && toks[2]?.v === '=') {
      const p = new Parser(toks, 3, toks.length, env, budget)
      const v = p.expr()
      if (typeof v === 'string') env.set(toks[1].v, v)
    }
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k]
      if (t.k === 'name') names.push(t.v)
      if (t.k === 'name' && t.v === 'attr' && toks[k - 1]?.v === '|') attrFilters++
    }
    // Fold every maximal expression start: strings, parenthesised groups, subscripts.
    for (let k = 0; k < toks.length; k++) {
      if (toks[k].k === 'str' || toks[k].v === '(' || toks[k].v === '[' || (toks[k].k === 'name' && env.has(toks[k].v as string))) {
        if (budget.steps <= 0) break
        const p = new Parser(toks, k, Math.min(toks.length, k + MAX_EXPR_TOKENS), env, budget)
        const v = p.expr()
        if (typeof v === 'string' && v.length <= MAX_FOLDED) strings.push(v)
        if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') strings.push(x)
      }
    }
  }
  return {strings, names, attrFilters, exhausted: budget.steps <= 0}
}

type Val = string | number | Val[] | undefined

/** A small precedence-climbing evaluator for constant string expressions (undefined = unknown). */
class Parser {
  private readonly t: Tok[]
  constructor(
    toks: Tok[],
    private i: number,
    private readonly end: number,
    private readonly env: Map<string, string>,
    private readonly budget: {steps: number},
  ) {
    this.t = toks
  }

  private peek(): Tok | undefined {
    return this.i < this.end ? this.t[this.i] : undefined
  }

  private eat(v: string): boolean {
    if (this.i < this.end && this.t[this.i].k === 'op' && this.t[this.i].v === v) {
      this.i++
      return true
    }
    return false
  }

  expr(): Val {
    if (--this.budget.steps < 0) return undefined
    return this.concat()
  }

  private concat(): Val {
    let v = this.add()
    while (this.eat('~')) {
      const r = this.add()
      v = v === undefined || r === undefined ? undefined : `${flat(v)}${flat(r)}`
    }
    return v
  }

  private add(): Val {
    let v = this.mul()
    for (;;) {
      if (this.eat('+')) {
        const r = this.mul()
        v =
          typeof v === 'string' && typeof r === 'string'
            ? v + r
            : typeof v === 'number' && typeof r === 'number'
              ? v + r
              : Array.isArray(v) && Array.isArray(r)
                ? [...v, ...r]
                : undefined
      } else if (this.eat('-')) {
        const r = this.mul()
        v = typeof v === 'number' && typeof r === 'number' ? v - r : undefined
      } else return v
    }
  }

  private mul(): Val {
    let v = this.unary()
    for (;;) {
      if (this.eat('*')) {
        const r = this.unary()
        if (typeof v === 'string' && typeof r === 'number' && r >= 0 && r * v.length <= MAX_FOLDED) v = v.repeat(r)
        else if (typeof r === 'string' && typeof v === 'number' && v >= 0 && v * r.length <= MAX_FOLDED) v = r.repeat(v)
        else v = typeof v === 'number' && typeof r === 'number' ? v * r : undefined
      } else if (this.eat('%')) {
        const r = this.unary()
        if (typeof v === 'string') {
          const args = Array.isArray(r) ? r : [r]
          let k = 0
          v = args.every((a) => a !== undefined)
            ? v.replace(/%[sdrc]/g, (f) => (f === '%c' && typeof args[k] === 'number' ? String.fromCharCode(args[k++] as number) : flat(args[k++] ?? '')))
            : undefined
        } else v = undefined
      } else if (this.eat('/') || this.eat('//')) {
        this.unary()
        v = undefined
      } else return v
    }
  }

  private unary(): Val {
    if (this.eat('-')) {
      const v = this.unary()
      return typeof v === 'number' ? -v : undefined
    }
    return this.postfix(this.primary())
  }

  private primary(): Val {
    if (--this.budget.steps < 0) return undefined
    const t = this.peek()
    if (!t) return undefined
    if (t.k === 'str') {
      this.i++
      let s = t.v
      // Adjacent literals concatenate, as in Python.
      while (this.peek()?.k === 'str') s += (this.t[this.i++] as {v: string}).v.slice(0, MAX_FOLDED)
      return s
    }
    if (t.k === 'num') {
      this.i++
      return t.v
    }
    if (t.k === 'name') {
      this.i++
      return this.env.get(t.v)
    }
    if (this.eat('(')) {
      const items: Val[] = [this.expr()]
      while (this.eat(',')) if (this.peek()?.v !== ')') items.push(this.expr())
      this.eat(')')
      return items.length === 1 ? items[0] : items
    }
    if (this.eat('[')) {
      const items: Val[] = []
      while (this.peek() && this.peek()!.v !== ']') {
        items.push(this.expr())
        if (!this.eat(',')) break
      }
      this.eat(']')
      return items
    }
    this.i++
    return undefined
  }

  private postfix(v: Val): Val {
    for (let guard = 0; guard < 64; guard++) {
      if (this.eat('|')) {
        const f = this.peek()
        if (f?.k !== 'name') return undefined
        this.i++
        const args: Val[] = []
        if (this.eat('(')) {
          while (this.peek() && this.peek()!.v !== ')') {
            if (this.peek()?.k === 'name' && this.t[this.i + 1]?.v === '=') this.i += 2
            args.push(this.expr())
            if (!this.eat(',')) break
          }
          this.eat(')')
        }
        v = filter(f.v, v, args)
      } else if (this.peek()?.v === '[') {
        this.i++
        if (this.eat(':') && this.eat(':')) {
          const step = this.expr()
          this.eat(']')
          v = step === -1 && typeof v === 'string' ? [...v].reverse().join('') : step === -1 && Array.isArray(v) ? [...v].reverse() : undefined
          continue
        }
        const k = this.expr()
        this.eat(']')
        v =
          typeof v === 'string' && typeof k === 'number'
            ? v[k < 0 ? v.length + k : k]
            : Array.isArray(v) && typeof k === 'number'
              ? v[k < 0 ? v.length + k : k]
              : undefined
      } else if (this.peek()?.v === '.' && this.t[this.i + 1]?.k === 'name') {
        const m = this.t[this.i + 1].v as string
        this.i += 2
        const args: Val[] = []
        if (this.eat('(')) {
          while (this.peek() && this.peek()!.v !== ')') {
            args.push(this.expr())
            if (!this.eat(',')) break
          }
          this.eat(')')
        }
        v = method(m, v, args)
      } else return v
    }
    return v
  }
}

function flat(v: Val): string {
  return Array.isArray(v) ? v.map(flat).join('') : v === undefined ? '' : String(v)
}

function filter(name: string, v: Val, args: Val[]): Val {
  switch (name) {
    case 'lower':
      return typeof v === 'string' ? v.toLowerCase() : undefined
    case 'upper':
      return typeof v === 'string' ? v.toUpperCase() : undefined
    case 'capitalize':
    case 'title':
      return typeof v === 'string' ? v : undefined
    case 'trim':
      return typeof v === 'string' ? v.trim() : undefined
    case 'string':
      return v === undefined ? undefined : flat(v)
    case 'reverse':
      return typeof v === 'string' ? [...v].reverse().join('') : Array.isArray(v) ? [...v].reverse() : undefined
    case 'join':
      return Array.isArray(v) && v.every((x) => x !== undefined) ? v.map(flat).join(typeof args[0] === 'string' ? args[0] : '') : undefined
    case 'replace':
      return typeof v === 'string' && typeof args[0] === 'string' && typeof args[1] === 'string' ? v.split(args[0]).join(args[1]) : undefined
    case 'format':
      return typeof v === 'string' && args.every((a) => a !== undefined)
        ? (() => {
            let k = 0
            return v.replace(/%[sdr]/g, () => flat(args[k++] ?? ''))
          })()
        : undefined
    case 'first':
      return Array.isArray(v) ? v[0] : typeof v === 'string' ? v[0] : undefined
    case 'last':
      return Array.isArray(v) ? v[v.length - 1] : typeof v === 'string' ? v[v.length - 1] : undefined
    case 'list':
      return typeof v === 'string' ? [...v] : Array.isArray(v) ? v : undefined
    default:
      return undefined
  }
}

function method(name: string, v: Val, args: Val[]): Val {
  if (typeof v !== 'string') return undefined
  switch (name) {
    case 'lower':
      return v.toLowerCase()
    case 'upper':
      return v.toUpperCase()
    case 'strip':
      return v.trim()
    case 'replace':
      return typeof args[0] === 'string' && typeof args[1] === 'string' ? v.split(args[0]).join(args[1]) : undefined
    case 'join':
      return Array.isArray(args[0]) && args[0].every((x) => x !== undefined) ? args[0].map(flat).join(v) : undefined
    case 'format': {
      let k = 0
      return args.every((a) => a !== undefined) ? v.replace(/\{\}/g, () => flat(args[k++] ?? '')) : undefined
    }
    default:
      return undefined
  }
}
