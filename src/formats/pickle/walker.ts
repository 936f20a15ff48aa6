/**
 * Pickle analysis by opcode walk: a symbolic stack machine that follows every opcode's stack
 * effect just far enough to know which globals are imported and called, what persistent ids
 * (PyTorch storages) look like, and where the stream breaks. It never unpickles, never imports,
 * never calls anything. Memo-aware: STACK_GLOBAL operands fetched through GET are resolved.
 */
import {latin1, longValue, MAX_KEPT_STR, OPNAMES, utf8, type PVal} from './opcodes.js'
import {escapeDecode, pyInt, rawUnicodeEscape, utf8Strict} from './pyscalar.js'

export const MAX_STACK = 1_000_000
export const MAX_MEMO = 1_000_000
export const MAX_LINE = 65_536
export const MAX_OPS = 50_000_000
const MAX_TUPLE_KEPT = 16
const MAX_STRINGS = 100_000

export type {PVal}

export interface GlobalRef {
  module: string
  name: string
  offset: number
  opcode: 'GLOBAL' | 'STACK_GLOBAL' | 'INST'
  /** Protocol in force when the import ran (PROTO may appear anywhere): decides fix_imports and dotted lookup. */
  proto: number
  /** Called by REDUCE/NEWOBJ/OBJ/INST (not merely referenced). */
  called?: boolean
}

export interface PickleWalk {
  start: number
  /** Offset just after STOP (or where the walk stopped). */
  end: number
  protocol: number | null
  complete: boolean
  error?: {message: string; offset: number}
  globals: GlobalRef[]
  /** STACK_GLOBAL whose operands were not both strings after memo resolution. */
  unresolved: Array<{offset: number; reason: string}>
  persistentIds: Array<{offset: number; value: PVal}>
  opcodes: Map<string, number>
  misplacedProto: number[]
  gets: number
  puts: number
  dups: number
  reduces: number
  /** The value left by STOP (legacy torch magic number check). */
  result?: PVal
  /** First string literals in stream order (legacy torch storage-key list). */
  strings: string[]
  /** The memo at the end of the walk (an Unpickler reused for the next stream keeps it). */
  memo: Map<number, PVal>
}

export interface WalkOptions {
  /** Memo left by the previous stream: consulted when a GET misses (shared-Unpickler loaders). */
  priorMemo?: ReadonlyMap<number, PVal>
}

const OTHER: PVal = {t: 'other'}
const UNKNOWN: PVal = {t: 'unknown'}
const MARK: PVal = {t: 'mark'}

class Stop extends Error {}

function intVal(v: bigint): PVal {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? {t: 'int', v: Number(v)} : {t: 'str', v: `long:${v}`}
}

/** Walks one pickle starting at `start`. Never throws for malformed input: the result says where it broke. */
export function walkPickle(b: Uint8Array, start = 0, end = b.length, opts: WalkOptions = {}): PickleWalk {
  const memo = new Map<number, PVal>()
  const w: PickleWalk = {
    start,
    end: start,
    protocol: null,
    complete: false,
    globals: [],
    unresolved: [],
    persistentIds: [],
    opcodes: new Map(),
    misplacedProto: [],
    gets: 0,
    puts: 0,
    dups: 0,
    reduces: 0,
    strings: [],
    memo,
  }
  const stack: PVal[] = []
  let proto = 0
  let i = start
  let ops = 0
  const fail = (message: string, offset = i): never => {
    w.error = {message, offset}
    throw new Stop()
  }
  const need = (n: number) => {
    if (i + n > end) fail(`truncated: needs ${n} bytes`)
  }
  const u8 = () => (need(1), b[i++])
  const u16 = () => (need(2), (i += 2), b[i - 2] | (b[i - 1] << 8))
  const u32 = () => (need(4), (i += 4), (b[i - 4] | (b[i - 3] << 8) | (b[i - 2] << 16) | (b[i - 1] << 24)) >>> 0)
  const i32 = () => (need(4), (i += 4), b[i - 4] | (b[i - 3] << 8) | (b[i - 2] << 16) | (b[i - 1] << 24))
  const u64 = () => {
    const lo = u32()
    const hi = u32()
    if (hi > 0x1fffff) fail('length over 2^53')
    return hi * 2 ** 32 + lo
  }
  /** A newline-terminated argument, without the newline. */
  const lineBytes = (): Uint8Array => {
    let j = i
    while (j < end && b[j] !== 0x0a) if (++j - i > MAX_LINE) fail('line argument too long')
    if (j >= end) fail('unterminated line argument')
    const s = b.subarray(i, j)
    i = j + 1
    return s
  }
  const line = (): string => {
    const s = lineBytes()
    return latin1(s, 0, s.length)
  }
  /** GET/PUT index: int(line, 10) as CPython reads it. */
  const memoIndex = (): number => {
    const v = pyInt(lineBytes(), 10)
    if (v === null) fail('memo index is not an integer')
    if (v! < 0n || v! > BigInt(Number.MAX_SAFE_INTEGER)) fail('memo index out of range')
    return Number(v)
  }
  /** GLOBAL/INST names: strict UTF-8 lines (CPython raises on invalid bytes). */
  const nameLine = (): string => {
    const s = utf8Strict(lineBytes())
    if (s === null) fail('import name is not valid UTF-8')
    return s!
  }
  const bytesArg = (n: number): [number, number] => {
    need(n)
    i += n
    return [i - n, i]
  }
  const push = (v: PVal) => {
    if (stack.length >= MAX_STACK) fail('stack too deep')
    stack.push(v)
  }
  const pop = (): PVal => {
    const v = stack.pop()
    if (v === undefined) fail('stack underflow')
    if (v!.t === 'mark') fail('unexpected MARK')
    return v!
  }
  const popMark = (): PVal[] => {
    let k = stack.length - 1
    while (k >= 0 && stack[k].t !== 'mark') k--
    if (k < 0) fail('no MARK on the stack')
    const items = stack.slice(k + 1)
    stack.length = k
    return items
  }
  const str = (s: string): PVal => {
    if (w.strings.length < MAX_STRINGS) w.strings.push(s)
    return {t: 'str', v: s.length > MAX_KEPT_STR ? s.slice(0, MAX_KEPT_STR) : s}
  }
  const tuple = (items: PVal[]): PVal => (items.length <= MAX_TUPLE_KEPT ? {t: 'tuple', items} : OTHER)
  const call = (callable: PVal) => {
    w.reduces++
    if (callable.t === 'global') {
      const g = w.globals.findLast((x) => x.module === callable.module && x.name === callable.name)
      if (g) g.called = true
    }
  }
  const memoPut = (k: number) => {
    if (stack.length === 0) fail('memo store on empty stack')
    if (memo.size >= MAX_MEMO && !memo.has(k)) fail('memo too large')
    w.puts++
    memo.set(k, stack[stack.length - 1])
  }
  const memoGet = (k: number) => {
    w.gets++
    push(memo.get(k) ?? opts.priorMemo?.get(k) ?? UNKNOWN)
  }
  const addGlobal = (module: string, name: string, opcode: GlobalRef['opcode'], at: number): PVal => {
    w.globals.push({module, name, offset: at, opcode, proto})
    return {t: 'global', module, name}
  }

  try {
    for (;;) {
      if (++ops > MAX_OPS) fail('too many opcodes')
      if (i >= end) fail('no STOP opcode before end of data')
      const at = i
      const op = b[i++]
      const name = OPNAMES[op]
      if (!name) fail(`unknown opcode 0x${op.toString(16)}`, at)
      w.opcodes.set(name, (w.opcodes.get(name) ?? 0) + 1)
      switch (op) {
        case 0x80: // PROTO
          if (at !== start) w.misplacedProto.push(at)
          proto = u8()
          if (w.protocol === null) w.protocol = proto
          break
        case 0x95: // FRAME
          u64()
          break
        case 0x2e: // STOP
          w.result = stack.length ? stack[stack.length - 1] : undefined
          w.complete = true
          w.end = i
          return w
        case 0x28: // MARK
          push(MARK)
          break
        case 0x30: // POP
          if (stack.length && stack[stack.length - 1].t === 'mark') stack.pop()
          else pop()
          break
        case 0x31: // POP_MARK
          popMark()
          break
        case 0x32: // DUP
          w.dups++
          if (!stack.length) fail('DUP on empty stack')
          push(stack[stack.length - 1])
          break
        case 0x46: // FLOAT
          line()
          push(OTHER)
          break
        case 0x4c: {
          // LONG: int(line without a trailing "L", 0)
          let s = lineBytes()
          if (s.length && s[s.length - 1] === 0x4c) s = s.subarray(0, s.length - 1)
          const v = pyInt(s, 0)
          if (v === null) fail('LONG argument is not an integer')
          push(intVal(v!))
          break
        }
        case 0x49: {
          // INT: "00"/"01" are False/True, otherwise int(line, 0) (C strtol first: "010" is octal 8)
          const s = lineBytes()
          const txt = latin1(s, 0, s.length)
          if (txt === '00' || txt === '01') push(OTHER)
          else {
            const v = pyInt(s, 0) ?? (/^\s*[+-]?0[0-7]+\s*$/.test(txt) ? BigInt(parseInt(txt, 8)) : null)
            if (v === null) fail('INT argument is not an integer')
            push(intVal(v!))
          }
          break
        }
        case 0x4a:
          push({t: 'int', v: i32()})
          break
        case 0x4b:
          push({t: 'int', v: u8()})
          break
        case 0x4d:
          push({t: 'int', v: u16()})
          break
        case 0x8a: {
          // LONG1
          const n = u8()
          const [s0, s1] = bytesArg(n)
          push(longValue(b, s0, s1))
          break
        }
        case 0x8b: {
          const n = u32()
          const [s0, s1] = bytesArg(n)
          push(longValue(b, s0, s1))
          break
        }
        case 0x47: // BINFLOAT
          bytesArg(8)
          push(OTHER)
          break
        case 0x4e: // NONE
        case 0x88: // NEWTRUE
        case 0x89: // NEWFALSE
          push(OTHER)
          break
        case 0x50: // PERSID
          push(OTHER)
          w.persistentIds.push({offset: at, value: str(line())})
          break
        case 0x51: // BINPERSID
          w.persistentIds.push({offset: at, value: pop()})
          push(OTHER)
          break
        case 0x52: {
          // REDUCE
          pop()
          call(pop())
          push(OTHER)
          break
        }
        case 0x53: {
          // STRING: must be quoted; escape_decode; then decoded (torch.load: utf-8, pickle default: ASCII)
          const s = lineBytes()
          if (s.length < 2 || s[0] !== s[s.length - 1] || (s[0] !== 0x27 && s[0] !== 0x22)) fail('STRING argument is not quoted')
          const d = escapeDecode(s.subarray(1, s.length - 1))
          if (d === null) fail('STRING argument has an invalid escape')
          push(str(utf8Strict(d!) ?? latin1(d!, 0, d!.length)))
          break
        }
        case 0x54: {
          const [s0, s1] = bytesArg(i32() >>> 0)
          push(str(latin1(b, s0, s1)))
          break
        }
        case 0x55: {
          const [s0, s1] = bytesArg(u8())
          push(str(latin1(b, s0, s1)))
          break
        }
        case 0x56: {
          // UNICODE (raw-unicode-escape)
          const s = rawUnicodeEscape(lineBytes())
          if (s === null) fail('UNICODE argument has an invalid \\u escape')
          push(str(s!))
          break
        }
        case 0x58: {
          const [s0, s1] = bytesArg(u32())
          push(str(utf8(b, s0, s1)))
          break
        }
        case 0x8c: {
          const [s0, s1] = bytesArg(u8())
          push(str(utf8(b, s0, s1)))
          break
        }
        case 0x8d: {
          const [s0, s1] = bytesArg(u64())
          push(str(utf8(b, s0, s1)))
          break
        }
        case 0x42: // BINBYTES
          bytesArg(u32())
          push(OTHER)
          break
        case 0x43:
          bytesArg(u8())
          push(OTHER)
          break
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          bytesArg(u64())
          push(OTHER)
          break
        case 0x61: // APPEND
          pop()
          break
        case 0x62: // BUILD
          pop()
          break
        case 0x65: // APPENDS
        case 0x75: // SETITEMS
        case 0x90: // ADDITEMS
          popMark()
          break
        case 0x73: // SETITEM
          pop()
          pop()
          break
        case 0x63: {
          // GLOBAL
          const mod = nameLine()
          push(addGlobal(mod, nameLine(), 'GLOBAL', at))
          break
        }
        case 0x69: {
          // INST
          const mod = nameLine()
          const g = addGlobal(mod, nameLine(), 'INST', at)
          popMark()
          call(g)
          push(OTHER)
          break
        }
        case 0x93: {
          // STACK_GLOBAL
          const nm = pop()
          const mod = pop()
          if (mod.t === 'str' && nm.t === 'str') push(addGlobal(mod.v, nm.v, 'STACK_GLOBAL', at))
          else {
            w.unresolved.push({offset: at, reason: `operands are ${mod.t}/${nm.t}, not strings`})
            push(UNKNOWN)
          }
          break
        }
        case 0x64: // DICT
        case 0x6c: // LIST
        case 0x91: // FROZENSET
          popMark()
          push(OTHER)
          break
        case 0x7d: // EMPTY_DICT
        case 0x5d: // EMPTY_LIST
        case 0x8f: // EMPTY_SET
          push(OTHER)
          break
        case 0x29: // EMPTY_TUPLE
          push(tuple([]))
          break
        case 0x74: // TUPLE
          push(tuple(popMark()))
          break
        case 0x85:
          push(tuple([pop()]))
          break
        case 0x86: {
          const b2 = pop()
          push(tuple([pop(), b2]))
          break
        }
        case 0x87: {
          const c3 = pop()
          const b3 = pop()
          push(tuple([pop(), b3, c3]))
          break
        }
        case 0x6f: {
          // OBJ
          const items = popMark()
          if (!items.length) fail('OBJ without class')
          call(items[0])
          push(OTHER)
          break
        }
        case 0x81: // NEWOBJ
          pop()
          call(pop())
          push(OTHER)
          break
        case 0x92: // NEWOBJ_EX
          pop()
          pop()
          call(pop())
          push(OTHER)
          break
        case 0x82:
          u8()
          push(UNKNOWN)
          break
        case 0x83:
          u16()
          push(UNKNOWN)
          break
        case 0x84:
          u32()
          push(UNKNOWN)
          break
        case 0x67: // GET
          memoGet(memoIndex())
          break
        case 0x68:
          memoGet(u8())
          break
        case 0x6a:
          memoGet(u32())
          break
        case 0x70: // PUT
          memoPut(memoIndex())
          break
        case 0x71:
          memoPut(u8())
          break
        case 0x72:
          memoPut(u32())
          break
        case 0x94: // MEMOIZE
          memoPut(memo.size)
          break
        case 0x97: // NEXT_BUFFER
          push(OTHER)
          break
        case 0x98: // READONLY_BUFFER
          break
        default:
          fail(`unhandled opcode 0x${op.toString(16)}`, at)
      }
    }
  } catch (err) {
    if (!(err instanceof Stop)) throw err
    w.end = i
    return w
  }
}
