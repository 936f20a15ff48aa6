/**
 * The subset of Python literal syntax `ast.literal_eval` accepts in a .npy header, read the way
 * Python reads it — so the dtype we judge is the dtype numpy.load builds: single, double and
 * triple quotes, u/b/r prefixes, escapes, implicit concatenation ('O' '' is 'O'), comments,
 * tuples/lists/dicts at any depth, duplicate dict keys (the last one wins), True/False/None,
 * signed integers with underscores. Bounded depth and length; never evaluated.
 */
export type PyLit = string | number | boolean | null | PyLit[] | {tuple: PyLit[]} | Map<string, PyLit>

const MAX_DEPTH = 64

export class LiteralError extends Error {}

export function parsePyLiteral(src: string): PyLit {
  let i = 0
  const fail = (m: string): never => {
    throw new LiteralError(`${m} at offset ${i}`)
  }
  const ws = () => {
    for (;;) {
      while (i < src.length && /[\s\\]/.test(src[i])) {
        if (src[i] === '\\' && src[i + 1] !== '\n') fail('stray backslash')
        i++
      }
      if (src[i] === '#') while (i < src.length && src[i] !== '\n') i++
      else return
    }
  }
  const str = (): string => {
    let out = ''
    let any = false
    // Adjacent string literals concatenate.
    for (;;) {
      ws()
      const m = /^([rRbBuU]{0,2})('''|"""|'|")/.exec(src.slice(i, i + 5))
      if (!m) break
      any = true
      const raw = /r/i.test(m[1])
      const q = m[2]
      i += m[0].length
      for (;;) {
        if (i >= src.length) fail('unterminated string')
        if (src.startsWith(q, i)) {
          i += q.length
          break
        }
        const c = src[i]
        if (c === '\n' && q.length === 1) fail('newline in string')
        if (c === '\\') {
          const n = src[i + 1]
          if (raw) {
            out += c + (n ?? '')
            i += 2
            continue
          }
          i += 2
          const simple: Record<string, string> = {n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': ''}
          if (n in simple) out += simple[n]
          else if (n === 'x' || n === 'u' || n === 'U') {
            const len = n === 'x' ? 2 : n === 'u' ? 4 : 8
            const h = src.slice(i, i + len)
            if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) fail('bad escape')
            out += String.fromCodePoint(Number.parseInt(h, 16))
            i += len
          } else if (/[0-7]/.test(n)) {
            let o = n
            while (o.length < 3 && /[0-7]/.test(src[i])) o += src[i++]
            out += String.fromCharCode(Number.parseInt(o, 8))
          } else out += `\\${n}`
          continue
        }
        out += c
        i++
      }
    }
    if (!any) fail('expected a string')
    return out
  }
  const value = (depth: number): PyLit => {
    if (depth > MAX_DEPTH) fail('nesting too deep')
    ws()
    const c = src[i]
    if (c === undefined) fail('unexpected end')
    if (/['"]/.test(c) || /^[rRbBuU]{1,2}['"]/.test(src.slice(i, i + 3))) return str()
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']'
      i++
      const items: PyLit[] = []
      let comma = false
      for (;;) {
        ws()
        if (src[i] === close) {
          i++
          break
        }
        items.push(value(depth + 1))
        ws()
        if (src[i] === ',') {
          i++
          comma = true
        } else if (src[i] !== close) fail(`expected , or ${close}`)
      }
      // "(x)" is x, "(x,)" and "()" are tuples.
      if (c === '(') return items.length === 1 && !comma ? items[0] : {tuple: items}
      return items
    }
    if (c === '{') {
      i++
      const m = new Map<string, PyLit>()
      for (;;) {
        ws()
        if (src[i] === '}') {
          i++
          break
        }
        const k = value(depth + 1)
        ws()
        if (src[i] !== ':') fail('expected :')
        i++
        const v = value(depth + 1)
        // Duplicate keys: the last one wins, as in Python.
        m.delete(keyOf(k))
        m.set(keyOf(k), v)
        ws()
        if (src[i] === ',') i++
        else if (src[i] !== '}') fail('expected , or }')
      }
      return m
    }
    const w = /^(True|False|None)\b/.exec(src.slice(i, i + 6))
    if (w) {
      i += w[1].length
      return w[1] === 'True' ? true : w[1] === 'False' ? false : null
    }
    const n = /^[+-]?\s*(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*)/.exec(src.slice(i, i + 64))
    if (n) {
      i += n[0].length
      const t = n[0].replace(/[\s_]/g, '')
      const neg = t.startsWith('-')
      const body = t.replace(/^[+-]/, '')
      const v = /^0[xob]/i.test(body) ? Number(body.toLowerCase()) : Number(body)
      if (!Number.isFinite(v)) fail('bad number')
      return neg ? -v : v
    }
    return fail(`unexpected ${JSON.stringify(c)}`)
  }
  const v = value(0)
  ws()
  if (i !== src.length) fail('trailing characters')
  return v
}

function keyOf(k: PyLit): string {
  if (typeof k === 'string') return k
  return `\u0000${JSON.stringify(k instanceof Map ? [...k] : k)}`
}

/**
 * Whether a numpy dtype description (as in an .npy header's 'descr') holds Python objects at any
 * depth: 'O'/'|O'/'object', structured fields [(name, dtype[, shape]), ...] recursively (a
 * field's name may be a (title, name) pair), sub-arrays of objects.
 */
export function descrHasObject(d: PyLit, depth = 0): boolean {
  if (depth > MAX_DEPTH) return true
  if (typeof d === 'string') return /^[|<>=]?(O\d*|object_?|Object\d*)$/.test(d.trim())
  if (Array.isArray(d)) return d.some((f) => descrHasObject(f, depth + 1))
  if (d && typeof d === 'object' && 'tuple' in d) {
    // A field (name, dtype[, shape]) or a sub-array (dtype, shape): any member may be the dtype
    // (a field literally named 'O' is judged an object too — erring on the side of the pickle).
    return d.tuple.some((x) => descrHasObject(x, depth + 1))
  }
  if (d instanceof Map) return [...d.values()].some((x) => descrHasObject(x, depth + 1))
  return false
}
