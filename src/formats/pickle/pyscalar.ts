/**
 * Text arguments of protocol-0 opcodes read exactly the way CPython reads them, so the walker and
 * the real unpickler agree on memo indices and on the strings that become import names:
 *  - GET/PUT indices: `int(line, 10)` (whitespace, sign, underscores, leading zeros);
 *  - INT/LONG: `int(line, 0)` (0x/0o/0b prefixes), INT's "00"/"01" are False/True;
 *  - STRING: quoted, then `codecs.escape_decode` (octal, \x, \n ... escapes);
 *  - UNICODE: `raw-unicode-escape` (\uXXXX and \UXXXXXXXX after an odd number of backslashes).
 * Every decoder returns null where CPython raises.
 */

/** Bytes Python's int() strips around a number (Py_ISSPACE). */
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d)

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10
  return 99
}

/** Python's `int(bytes, base)` for base 10 or 0; null where Python raises ValueError. */
export function pyInt(b: Uint8Array, base: 0 | 10): bigint | null {
  let s = 0
  let e = b.length
  while (s < e && isSpace(b[s])) s++
  while (e > s && isSpace(b[e - 1])) e--
  let neg = false
  if (s < e && (b[s] === 0x2b || b[s] === 0x2d)) neg = b[s++] === 0x2d
  let radix = 10
  let leadingZero = false
  if (base === 0 && e - s >= 2 && b[s] === 0x30) {
    const p = b[s + 1] | 0x20
    radix = p === 0x78 ? 16 : p === 0x6f ? 8 : p === 0x62 ? 2 : 10
    if (radix !== 10) {
      s += 2
      if (s < e && b[s] === 0x5f) s++ // "0x_1f" is valid
    } else leadingZero = true
  } else if (base === 0 && s < e && b[s] === 0x30) leadingZero = true
  if (s >= e) return null
  let v = 0n
  let prevUnderscore = true // no leading underscore
  let nonZero = false
  for (let k = s; k < e; k++) {
    const c = b[k]
    if (c === 0x5f) {
      if (prevUnderscore) return null
      prevUnderscore = true
      continue
    }
    const d = digitValue(c)
    if (d >= radix) return null
    if (d !== 0) nonZero = true
    v = v * BigInt(radix) + BigInt(d)
    prevUnderscore = false
    if (k - s > 4300) return null // CPython's int max str digits
  }
  if (prevUnderscore) return null
  // Base 0 refuses "010" (ambiguous octal) but takes "000".
  if (leadingZero && nonZero) return null
  return neg ? -v : v
}

/** `codecs.escape_decode` (bytes) as used by load_string; null on an invalid \x escape or trailing backslash. */
export function escapeDecode(b: Uint8Array): Uint8Array | null {
  const out: number[] = []
  for (let i = 0; i < b.length; i++) {
    const c = b[i]
    if (c !== 0x5c) {
      out.push(c)
      continue
    }
    if (++i >= b.length) return null
    const x = b[i]
    switch (x) {
      case 0x0a:
        break // backslash-newline: nothing
      case 0x5c:
      case 0x27:
      case 0x22:
        out.push(x)
        break
      case 0x62:
        out.push(8)
        break
      case 0x66:
        out.push(12)
        break
      case 0x74:
        out.push(9)
        break
      case 0x6e:
        out.push(10)
        break
      case 0x72:
        out.push(13)
        break
      case 0x76:
        out.push(11)
        break
      case 0x61:
        out.push(7)
        break
      case 0x78: {
        const h1 = i + 1 < b.length ? digitValue(b[i + 1]) : 99
        const h2 = i + 2 < b.length ? digitValue(b[i + 2]) : 99
        if (h1 > 15 || h2 > 15) return null
        out.push(h1 * 16 + h2)
        i += 2
        break
      }
      default:
        if (x >= 0x30 && x <= 0x37) {
          let v = x - 0x30
          for (let k = 0; k < 2 && i + 1 < b.length && b[i + 1] >= 0x30 && b[i + 1] <= 0x37; k++) v = v * 8 + (b[++i] - 0x30)
          out.push(v & 0xff)
        } else out.push(0x5c, x) // unknown escapes are kept as written
    }
  }
  return Uint8Array.from(out)
}

/** Python's `str(bytes, 'raw-unicode-escape')`; null where CPython raises (bad or truncated \u). */
export function rawUnicodeEscape(b: Uint8Array): string | null {
  let out = ''
  let i = 0
  while (i < b.length) {
    if (b[i] !== 0x5c) {
      out += String.fromCharCode(b[i++])
      continue
    }
    const bs = i
    while (i < b.length && b[i] === 0x5c) (out += '\\'), i++
    if (((i - bs) & 1) === 0 || i >= b.length || (b[i] !== 0x75 && b[i] !== 0x55)) continue
    out = out.slice(0, -1)
    const count = b[i] === 0x75 ? 4 : 8
    i++
    let v = 0
    for (let k = 0; k < count; k++, i++) {
      const d = i < b.length ? digitValue(b[i]) : 99
      if (d > 15) return null
      v = v * 16 + d
    }
    if (v > 0x10ffff) return null
    out += String.fromCodePoint(v)
  }
  return out
}

/** Strict UTF-8 (load_global); null on invalid sequences. */
export function utf8Strict(b: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(b)
  } catch {
    return null
  }
}
