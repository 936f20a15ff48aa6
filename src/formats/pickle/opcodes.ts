/** Pickle opcode names, argument decoders and the abstract values the opcode walker tracks. */

/** What the walker knows about a stack value: enough to name globals and persistent ids, no more. */
export type PVal =
  | {t: 'str'; v: string}
  | {t: 'int'; v: number}
  | {t: 'global'; module: string; name: string}
  | {t: 'tuple'; items: PVal[]}
  | {t: 'unknown'}
  | {t: 'other'}
  | {t: 'mark'}

export const MAX_KEPT_STR = 512

export const OPNAMES: Record<number, string> = {}
for (const [c, n] of Object.entries({
  '(': 'MARK',
  '.': 'STOP',
  '0': 'POP',
  '1': 'POP_MARK',
  '2': 'DUP',
  F: 'FLOAT',
  I: 'INT',
  J: 'BININT',
  K: 'BININT1',
  L: 'LONG',
  M: 'BININT2',
  N: 'NONE',
  P: 'PERSID',
  Q: 'BINPERSID',
  R: 'REDUCE',
  S: 'STRING',
  T: 'BINSTRING',
  U: 'SHORT_BINSTRING',
  V: 'UNICODE',
  X: 'BINUNICODE',
  a: 'APPEND',
  b: 'BUILD',
  c: 'GLOBAL',
  d: 'DICT',
  '}': 'EMPTY_DICT',
  e: 'APPENDS',
  g: 'GET',
  h: 'BINGET',
  i: 'INST',
  j: 'LONG_BINGET',
  l: 'LIST',
  ']': 'EMPTY_LIST',
  o: 'OBJ',
  p: 'PUT',
  q: 'BINPUT',
  r: 'LONG_BINPUT',
  s: 'SETITEM',
  t: 'TUPLE',
  ')': 'EMPTY_TUPLE',
  u: 'SETITEMS',
  G: 'BINFLOAT',
  B: 'BINBYTES',
  C: 'SHORT_BINBYTES',
}))
  OPNAMES[c.charCodeAt(0)] = n
Object.assign(OPNAMES, {
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
})

export function latin1(b: Uint8Array, s: number, e: number): string {
  let out = ''
  for (let k = s; k < Math.min(e, s + MAX_KEPT_STR); k++) out += String.fromCharCode(b[k])
  return out
}

export function utf8(b: Uint8Array, s: number, e: number): string {
  return new TextDecoder().decode(b.subarray(s, Math.min(e, s + MAX_KEPT_STR * 4)))
}

/** Little-endian two's-complement LONG1/LONG4 payload; exact when it fits a safe integer. */
export function longValue(b: Uint8Array, s: number, e: number): PVal {
  if (e - s > 16) return {t: 'other'}
  let v = 0n
  for (let k = e - 1; k >= s; k--) v = (v << 8n) | BigInt(b[k])
  if (e > s && b[e - 1] & 0x80) v -= 1n << BigInt(8 * (e - s))
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? {t: 'int', v: Number(v)} : {t: 'str', v: `long:${v}`}
}
