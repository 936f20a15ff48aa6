/**
 * A strict JSON parser that reports duplicate object keys. `JSON.parse` (like Python's json and
 * serde's default map) silently keeps the last duplicate, so two loaders can disagree about which
 * tensor a name refers to; the safetensors spec forbids duplicates. Objects come back with a null
 * prototype (no `__proto__` surprises); numbers that are not exact safe integers keep their text.
 */

export const MAX_JSON_DEPTH = 64

export interface JsonDuplicate {
  /** JSON pointer of the object holding the duplicate. */
  path: string
  key: string
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`)
  }
}

export type JsonValue = null | boolean | number | string | JsonValue[] | {[k: string]: JsonValue} | JsonNumberText

/** A number that is not a safe integer (fraction, exponent, or too large): its text is kept. */
export class JsonNumberText {
  constructor(readonly text: string) {}
}

export function parseJsonStrict(text: string): {value: JsonValue; duplicates: JsonDuplicate[]; end: number} {
  const duplicates: JsonDuplicate[] = []
  let i = 0
  const n = text.length
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++
      else break
    }
  }
  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, i)
  }
  const str = (): string => {
    // Fast path: no escapes.
    const start = ++i
    let out = ''
    let seg = start
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        out += text.slice(seg, i)
        i++
        return out
      }
      if (c < 0x20) fail('control character in string')
      if (c === 0x5c) {
        out += text.slice(seg, i)
        const e = text[i + 1]
        const simple: Record<string, string> = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'}
        if (e in simple) {
          out += simple[e]
          i += 2
        } else if (e === 'u') {
          const hex = text.slice(i + 2, i + 6)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape')
          out += String.fromCharCode(parseInt(hex, 16))
          i += 6
        } else fail('bad escape')
        seg = i
        continue
      }
      i++
    }
    return fail('unterminated string')
  }
  const num = (): number | JsonNumberText => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (!m) fail('bad number')
    const t = m![0]
    i += t.length
    const v = Number(t)
    return Number.isSafeInteger(v) && !m![2] && !m![3] ? v : new JsonNumberText(t)
  }
  const value = (depth: number, path: string): JsonValue => {
    if (depth > MAX_JSON_DEPTH) fail('nesting too deep')
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const obj: {[k: string]: JsonValue} = Object.create(null)
      ws()
      if (text[i] === '}') {
        i++
        return obj
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail('expected key')
        const k = str()
        ws()
        if (text[i] !== ':') fail('expected ":"')
        i++
        const v = value(depth + 1, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`)
        if (Object.hasOwn(obj, k)) duplicates.push({path: path || '/', key: k})
        obj[k] = v
        ws()
        if (text[i] === ',') i++
        else if (text[i] === '}') {
          i++
          return obj
        } else fail('expected "," or "}"')
      }
    }
    if (c === '[') {
      i++
      const arr: JsonValue[] = []
      ws()
      if (text[i] === ']') {
        i++
        return arr
      }
      for (;;) {
        arr.push(value(depth + 1, `${path}/${arr.length}`))
        ws()
        if (text[i] === ',') i++
        else if (text[i] === ']') {
          i++
          return arr
        } else fail('expected "," or "]"')
      }
    }
    if (c === '"') return str()
    if (c === 't' && text.startsWith('true', i)) return ((i += 4), true)
    if (c === 'f' && text.startsWith('false', i)) return ((i += 5), false)
    if (c === 'n' && text.startsWith('null', i)) return ((i += 4), null)
    if (c === '-' || (c >= '0' && c <= '9')) return num()
    return fail('unexpected character')
  }
  const v = value(0, '')
  ws()
  return {value: v, duplicates, end: i}
}
