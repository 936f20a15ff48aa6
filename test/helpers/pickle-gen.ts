/**
 * A hostile pickle generator for the differential and red-team tests. It writes opcode streams
 * (never unpickles anything) that hide imports the ways published bypasses do: every string
 * opcode and escape style for STACK_GLOBAL operands, memo round-trips with int()-style indices
 * (" 7", "+7", "0_7", "007"), MEMOIZE, DUP, misplaced PROTO, Python 2 module names that
 * fix_imports renames, dotted attribute walks, INST/OBJ/REDUCE calls, several streams per file.
 * Each case carries the imports a CPython Unpickler would perform (ground truth by construction).
 */
import {rng} from './random.js'

export interface GenCase {
  bytes: Uint8Array
  /** Every import (module, name) in stream order, as written. */
  imports: Array<[string, string]>
  /** true when some import reaches code execution (ground truth of the generator's pool). */
  dangerous: boolean
  note: string
}

/** [module, name, dangerous] */
const POOL: Array<[string, string, boolean]> = [
  ['os', 'system', true],
  ['posix', 'system', true],
  ['nt', 'system', true],
  ['subprocess', 'Popen', true],
  ['subprocess', 'check_output', true],
  ['builtins', 'eval', true],
  ['builtins', 'exec', true],
  ['builtins', 'getattr', true],
  ['__builtin__', 'eval', true],
  ['commands', 'getoutput', true],
  ['cPickle', 'loads', true],
  ['__builtin__', 'intern', true],
  ['argparse', '_os.system', true],
  ['collections', '_sys.modules', true],
  ['runpy', '_run_code', true],
  ['torch.serialization', 'load', true],
  ['pip', 'main', true],
  ['collections', 'OrderedDict', false],
  ['torch._utils', '_rebuild_tensor_v2', false],
  ['torch', 'FloatStorage', false],
  ['builtins', 'set', false],
  ['numpy.core.multiarray', '_reconstruct', false],
  ['__builtin__', 'set', false],
]

const enc = (s: string) => new TextEncoder().encode(s)
const latin = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]

class Writer {
  parts: number[] = []
  keys = new Set<number>()
  push(...xs: Array<number | Uint8Array | number[]>) {
    for (const x of xs) {
      if (typeof x === 'number') this.parts.push(x)
      else for (const b of x) this.parts.push(b)
    }
  }
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]
}

/** A string operand through a random string opcode and escape style (ASCII text only). */
function writeString(w: Writer, s: string, r: () => number, proto: number): void {
  const kinds =
    proto >= 4
      ? ['STRING', 'UNICODE', 'BINUNICODE', 'SHORT_BINUNICODE', 'BINUNICODE8', 'SHORT_BINSTRING', 'BINSTRING']
      : ['STRING', 'UNICODE', 'BINUNICODE', 'SHORT_BINSTRING', 'BINSTRING']
  const k = pick(r, kinds)
  const b = enc(s)
  switch (k) {
    case 'STRING': {
      const q = r() < 0.5 ? "'" : '"'
      let body = ''
      for (const c of s) {
        const x = r()
        const code = c.charCodeAt(0)
        body += x < 0.25 ? `\\x${code.toString(16).padStart(2, '0')}` : x < 0.4 ? `\\${code.toString(8)}` : c === q || c === '\\' ? `\\${c}` : c
      }
      w.push(0x53, latin(`${q}${body}${q}\n`))
      break
    }
    case 'UNICODE': {
      let body = ''
      for (const c of s)
        body += r() < 0.3 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : r() < 0.1 ? `\\U${c.charCodeAt(0).toString(16).padStart(8, '0')}` : c
      w.push(0x56, latin(`${body}\n`))
      break
    }
    case 'BINUNICODE':
      w.push(0x58, u32(b.length), b)
      break
    case 'SHORT_BINUNICODE':
      w.push(0x8c, b.length, b)
      break
    case 'BINUNICODE8':
      w.push(0x8d, u32(b.length), [0, 0, 0, 0], b)
      break
    case 'SHORT_BINSTRING':
      w.push(0x55, b.length, b)
      break
    default:
      w.push(0x54, u32(b.length), b)
  }
}

/** int()-style spellings CPython accepts for a memo index. */
function intText(n: number, r: () => number): string {
  return pick(r, [`${n}`, ` ${n}`, `+${n}`, `${n} `, `\t${n}`, `00${n}`, n >= 10 ? `${Math.floor(n / 10)}_${n % 10}` : `0_${n}`, `${n}\r`])
}

/** Optionally stores the top of stack in the memo and fetches it back (memo games). */
function memoGame(w: Writer, r: () => number, proto: number): void {
  if (r() < 0.4) return
  let idx: number
  const mode = r()
  if (mode < 0.3 || proto < 1) {
    idx = Math.floor(r() * 300)
    w.push(0x70, latin(`${intText(idx, r)}\n`))
  } else if (mode < 0.55) {
    idx = Math.floor(r() * 256)
    w.push(0x71, idx)
  } else if (mode < 0.75 || proto < 4) {
    idx = Math.floor(r() * 70000)
    w.push(0x72, u32(idx))
  } else {
    // MEMOIZE stores at len(memo): only valid to fetch back when we know the memo size.
    w.push(0x94)
    idx = w.keys.size
    w.keys.add(idx)
    w.push(0x30, 0x6a, u32(idx)) // POP, LONG_BINGET
    return
  }
  w.keys.add(idx)
  if (r() < 0.7) {
    w.push(0x30) // POP, then GET it back
    const g = r()
    if (g < 0.4) w.push(0x67, latin(`${intText(idx, r)}\n`))
    else if (g < 0.7 && idx < 256) w.push(0x68, idx)
    else w.push(0x6a, u32(idx))
  } else if (r() < 0.5) {
    w.push(0x32, 0x30) // DUP, POP
  }
}

function writeImport(w: Writer, mod: string, name: string, r: () => number, proto: number): void {
  if (proto >= 4 && r() < 0.6) {
    writeString(w, mod, r, proto)
    memoGame(w, r, proto)
    writeString(w, name, r, proto)
    memoGame(w, r, proto)
    w.push(0x93)
  } else {
    w.push(0x63, enc(`${mod}\n${name}\n`))
  }
}

/** One pickle stream; pushes the imports it performs. */
function writeStream(w: Writer, r: () => number, imports: Array<[string, string]>, dangerous: {v: boolean}): void {
  const proto = pick(r, [-1, 0, 1, 2, 3, 4, 5])
  w.keys.clear()
  if (proto >= 0) w.push(0x80, proto)
  const p = Math.max(proto, 0)
  w.push(0x28) // MARK: everything below ends in one TUPLE
  const n = 1 + Math.floor(r() * 3)
  for (let k = 0; k < n; k++) {
    const [mod, name, bad] = pick(r, POOL)
    // Dotted names resolve in protocol 4+ only: keep them there so the ground truth is exact.
    const dottedOk = !name.includes('.') || p >= 4
    const m = dottedOk ? mod : 'collections'
    const nm = dottedOk ? name : 'OrderedDict'
    imports.push([m, nm])
    // __builtin__ exists only through fix_imports (protocol < 3)
    if (dottedOk && bad && (m !== '__builtin__' || nm === 'eval' || p < 3)) dangerous.v = true
    const call = r()
    if (call < 0.15) {
      // INST: MARK args INST module name
      w.push(0x28)
      writeString(w, 'arg', r, p)
      w.push(0x69, enc(`${m}\n${nm}\n`))
      continue
    }
    writeImport(w, m, nm, r, p)
    memoGame(w, r, p)
    if (call < 0.6) {
      // REDUCE(callable, (arg,)): TUPLE1 from protocol 2, MARK … TUPLE before
      if (p >= 2) {
        writeString(w, 'echo modelseal-generated', r, p)
        w.push(0x85)
      } else {
        w.push(0x28)
        writeString(w, 'echo modelseal-generated', r, p)
        w.push(0x74)
      }
      memoGame(w, r, p)
      w.push(0x52)
    }
  }
  if (r() < 0.2 && p >= 0) w.push(0x80, Math.floor(r() * 6)) // misplaced PROTO: changes fix_imports from here on
  w.push(0x74, 0x2e) // TUPLE, STOP
}

export function generateCase(seed: number): GenCase {
  const r = rng(seed)
  const w = new Writer()
  const imports: Array<[string, string]> = []
  const dangerous = {v: false}
  const streams = 1 + (r() < 0.3 ? Math.floor(r() * 3) : 0)
  for (let s = 0; s < streams; s++) writeStream(w, r, imports, dangerous)
  return {bytes: Uint8Array.from(w.parts), imports, dangerous: dangerous.v, note: `seed ${seed}, ${streams} stream(s)`}
}

/** A STORED zip (local headers, central directory, end record) around the given members. */
export function zipOf(members: Array<{name: string; data: Uint8Array}>, crc: (b: Uint8Array) => number): Uint8Array {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let off = 0
  for (const m of members) {
    const name = Buffer.from(m.name)
    const lh = Buffer.alloc(30)
    lh.writeUInt32LE(0x04034b50, 0)
    lh.writeUInt16LE(20, 4)
    lh.writeUInt32LE(crc(m.data), 14)
    lh.writeUInt32LE(m.data.length, 18)
    lh.writeUInt32LE(m.data.length, 22)
    lh.writeUInt16LE(name.length, 26)
    parts.push(lh, name, Buffer.from(m.data))
    const ch = Buffer.alloc(46)
    ch.writeUInt32LE(0x02014b50, 0)
    ch.writeUInt16LE(20, 4)
    ch.writeUInt16LE(20, 6)
    ch.writeUInt32LE(crc(m.data), 16)
    ch.writeUInt32LE(m.data.length, 20)
    ch.writeUInt32LE(m.data.length, 24)
    ch.writeUInt16LE(name.length, 28)
    ch.writeUInt32LE(off, 42)
    central.push(ch, name)
    off += 30 + name.length + m.data.length
  }
  const cd = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(members.length, 8)
  end.writeUInt16LE(members.length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(off, 16)
  return Buffer.concat([...parts, cd, end])
}

/** A ustar archive of the given members (checksummed headers). */
export function tarOf(members: Array<{name: string; data: Uint8Array}>): Uint8Array {
  const blocks: Buffer[] = []
  for (const m of members) {
    const h = Buffer.alloc(512)
    h.write(m.name.slice(0, 99), 0)
    h.write('0000644\0', 100)
    h.write(`${m.data.length.toString(8).padStart(11, '0')}\0`, 124)
    h.write('        ', 148)
    h.write('0', 156)
    h.write('ustar\0', 257)
    h.write('00', 263)
    let sum = 0
    for (const x of h) sum += x
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
    blocks.push(h, Buffer.from(m.data), Buffer.alloc((512 - (m.data.length % 512)) % 512))
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)])
}
