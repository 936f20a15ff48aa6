/**
 * Strong, structurally validated file signatures for payload search inside tensor bytes. Two-byte
 * magics (`MZ`, `PK`, `#!`) occur by chance in clean weights (docs/design-notes.md §5: 12 of 38 real
 * tensors contain `MZ`), so a magic only nominates a candidate; a hit needs the surrounding header
 * structure to validate.
 */
import {inflateRawSync} from 'node:zlib'

/** Stream bytes needed after a candidate to validate any signature (PE e_lfanew may point 4 KiB in). */
export const SIGNATURE_LOOKAHEAD = 4160

export interface SignatureMatch {
  kind: 'elf' | 'pe' | 'macho' | 'zip' | '7z' | 'gzip' | 'pickle' | 'script'
  /** Bytes of the stream the validated structure spans (at least the header). */
  length: number
  detail: string
}

/** 64 Ki-entry table: non-zero where the two little-endian bytes (b[0] | b[1] << 8) start a magic. */
export const MAGIC2 = buildMagicTable()

function buildMagicTable(): Uint8Array {
  const t = new Uint8Array(65536)
  const add = (a: number, b: number) => (t[a | (b << 8)] = 1)
  add(0x7f, 0x45) // ELF
  add(0x4d, 0x5a) // MZ
  add(0xcf, 0xfa) // Mach-O 64 LE
  add(0xce, 0xfa) // Mach-O 32 LE
  add(0xfe, 0xed) // Mach-O BE
  add(0xca, 0xfe) // Mach-O fat
  add(0x50, 0x4b) // zip
  add(0x37, 0x7a) // 7z
  add(0x1f, 0x8b) // gzip
  add(0x23, 0x21) // #!
  for (let p = 2; p <= 5; p++) add(0x80, p) // pickle PROTO
  return t
}

const u16 = (s: Uint8Array, o: number) => s[o] | (s[o + 1] << 8)
const u32 = (s: Uint8Array, o: number) => (s[o] | (s[o + 1] << 8) | (s[o + 2] << 16) | (s[o + 3] << 24)) >>> 0
const u32be = (s: Uint8Array, o: number) => ((s[o] << 24) | (s[o + 1] << 16) | (s[o + 2] << 8) | s[o + 3]) >>> 0

function ascii(s: Uint8Array, o: number, text: string): boolean {
  if (o + text.length > s.length) return false
  for (let i = 0; i < text.length; i++) if (s[o + i] !== text.charCodeAt(i)) return false
  return true
}

function checkElf(s: Uint8Array): SignatureMatch | null {
  if (s.length < 52 || !ascii(s, 0, '\x7fELF')) return null
  const cls = s[4]
  const data = s[5]
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2) || s[6] !== 1) return null
  const le = data === 1
  const r16 = (o: number) => (le ? u16(s, o) : (s[o] << 8) | s[o + 1])
  const r32 = (o: number) => (le ? u32(s, o) : u32be(s, o))
  const type = r16(16)
  const machine = r16(18)
  const ehsize = r16(cls === 1 ? 40 : 52)
  if (type < 1 || type > 4 || machine === 0 || r32(20) !== 1) return null
  if (ehsize !== (cls === 1 ? 52 : 64)) return null
  return {kind: 'elf', length: ehsize, detail: `ELF${cls === 1 ? 32 : 64} ${le ? 'LE' : 'BE'} type ${type} machine ${machine}`}
}

function checkPe(s: Uint8Array): SignatureMatch | null {
  if (s.length < 64 || s[0] !== 0x4d || s[1] !== 0x5a) return null
  const lfanew = u32(s, 0x3c)
  // Every PE has e_lfanew in range; without that, "MZ" is just two bytes.
  if (lfanew < 0x40 || lfanew >= 4096) return null
  if (lfanew + 24 <= s.length && ascii(s, lfanew, 'PE\0\0')) {
    return {kind: 'pe', length: lfanew + 24, detail: `PE header at e_lfanew=${lfanew}`}
  }
  const stub = 'This program cannot be run in DOS mode'
  for (let o = 0x40; o < Math.min(s.length, 0x100); o++) {
    if (s[o] === 0x54 && ascii(s, o, stub)) return {kind: 'pe', length: o + stub.length, detail: 'DOS stub text'}
  }
  return null
}

const MACHO_CPUS = new Set([7, 0x01000007, 12, 0x0100000c, 18, 0x01000012, 0x0200000c])

function checkMacho(s: Uint8Array): SignatureMatch | null {
  if (s.length < 28) return null
  const le = u32(s, 0)
  const be = u32be(s, 0)
  if (be === 0xcafebabe) {
    // Fat binary; Java class files share the magic but their "count" (minor/major version) is large.
    const n = u32be(s, 4)
    if (n < 1 || n > 8 || s.length < 8 + n * 20) return null
    for (let i = 0; i < n; i++) if (!MACHO_CPUS.has(u32be(s, 8 + i * 20))) return null
    return {kind: 'macho', length: 8 + n * 20, detail: `Mach-O universal (${n} archs)`}
  }
  let r32: (o: number) => number
  if (le === 0xfeedface || le === 0xfeedfacf) r32 = (o) => u32(s, o)
  else if (be === 0xfeedface || be === 0xfeedfacf) r32 = (o) => u32be(s, o)
  else return null
  const cpu = r32(4)
  const filetype = r32(12)
  const ncmds = r32(16)
  const sizeofcmds = r32(20)
  if (!MACHO_CPUS.has(cpu) || filetype < 1 || filetype > 12 || ncmds < 1 || ncmds > 1024) return null
  if (sizeofcmds < ncmds * 8 || sizeofcmds > 1 << 24) return null
  return {kind: 'macho', length: 28, detail: `Mach-O cpu 0x${cpu.toString(16)} filetype ${filetype} ncmds ${ncmds}`}
}

const ZIP_METHODS = new Set([0, 8, 9, 12, 14, 93, 95, 98, 99])

function checkZip(s: Uint8Array): SignatureMatch | null {
  if (s.length < 31 || !ascii(s, 0, 'PK\x03\x04')) return null
  const version = u16(s, 4)
  const method = u16(s, 8)
  const nameLen = u16(s, 26)
  if (version > 63 || !ZIP_METHODS.has(method) || nameLen < 1 || nameLen > 1024 || 30 + nameLen > s.length) return null
  for (let i = 30; i < 30 + nameLen; i++) if (s[i] < 0x20 || s[i] > 0x7e) return null
  const name = new TextDecoder().decode(s.subarray(30, 30 + nameLen))
  return {kind: 'zip', length: 30 + nameLen, detail: `zip local header, member "${name.slice(0, 80)}"`}
}

let crcTable: Uint32Array | undefined
export function crc32(b: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let c = ~crc >>> 0
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

function check7z(s: Uint8Array): SignatureMatch | null {
  if (s.length < 32 || !ascii(s, 0, '7z\xbc\xaf\x27\x1c') || s[6] !== 0) return null
  // The start header carries a CRC of its next 20 bytes: a chance match is ~2^-80.
  if (crc32(s.subarray(12, 32)) !== u32(s, 8)) return null
  return {kind: '7z', length: 32, detail: '7z start header (CRC valid)'}
}

function checkGzip(s: Uint8Array): SignatureMatch | null {
  if (s.length < 18 || s[0] !== 0x1f || s[1] !== 0x8b || s[2] !== 8) return null
  const flg = s[3]
  if (flg & 0xe0 || (s[8] !== 0 && s[8] !== 2 && s[8] !== 4) || (s[9] > 13 && s[9] !== 255)) return null
  let o = 10
  if (flg & 4) o += 2 + u16(s, o)
  for (const bit of [8, 16]) {
    if (flg & bit) {
      while (o < s.length && s[o] !== 0) o++
      o++
    }
  }
  if (flg & 2) o += 2
  if (o >= s.length - 8) return null
  // Require the deflate stream itself to decode to something: headers alone are too weak.
  try {
    const out = inflateRawSync(s.subarray(o), {finishFlush: 2, maxOutputLength: 1 << 16})
    if (out.length < 16) return null
  } catch {
    return null
  }
  return {kind: 'gzip', length: o, detail: 'gzip member with a decodable deflate stream'}
}

const SHEBANGS = ['#!/bin/', '#!/usr/bin/', '#!/usr/local/bin/', '#!/sbin/']

function checkShebang(s: Uint8Array): SignatureMatch | null {
  if (!SHEBANGS.some((p) => ascii(s, 0, p))) return null
  let o = 2
  while (o < s.length && o < 128 && s[o] >= 0x20 && s[o] < 0x7f) o++
  if (o >= s.length || s[o] !== 0x0a || o < 9) return null
  // A script keeps going as text after the interpreter line.
  let run = 0
  for (let i = o + 1; i < Math.min(s.length, o + 65); i++) {
    const c = s[i]
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13) run++
    else break
  }
  if (run < 16) return null
  const line = new TextDecoder().decode(s.subarray(0, o))
  return {kind: 'script', length: o + 1 + run, detail: `script "${line.slice(0, 80)}"`}
}

/** A byte of a module or attribute name as checkPickle accepts it: [0-9A-Za-z_.]. */
export function isIdentByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e
}

function isIdent(s: Uint8Array, o: number, end: number): boolean {
  if (end <= o) return false
  for (let i = o; i < end; i++) if (!isIdentByte(s[i])) return false
  return true
}

function checkPickle(s: Uint8Array): SignatureMatch | null {
  if (s.length < 8 || s[0] !== 0x80 || s[1] < 2 || s[1] > 5) return null
  const lim = Math.min(s.length, 66)
  for (let o = 2; o < lim; o++) {
    if (s[o] === 0x63) {
      // GLOBAL "module\nname\n"
      const nl1 = s.indexOf(0x0a, o + 1)
      if (nl1 < 0 || nl1 - o > 128) continue
      const nl2 = s.indexOf(0x0a, nl1 + 1)
      if (nl2 < 0 || nl2 - nl1 > 128) continue
      if (isIdent(s, o + 1, nl1) && isIdent(s, nl1 + 1, nl2)) {
        const g = new TextDecoder().decode(s.subarray(o + 1, nl2)).replace('\n', '.')
        return {kind: 'pickle', length: nl2 + 1, detail: `pickle with GLOBAL ${g}`}
      }
    } else if (s[o] === 0x8c && o + 2 < s.length) {
      // SHORT_BINUNICODE module, [MEMOIZE], SHORT_BINUNICODE name, [MEMOIZE], STACK_GLOBAL
      const l1 = s[o + 1]
      let p = o + 2 + l1
      if (l1 === 0 || p >= s.length || !isIdent(s, o + 2, p)) continue
      if (s[p] === 0x94) p++
      if (s[p] !== 0x8c) continue
      const l2 = s[p + 1]
      const q = p + 2 + l2
      if (l2 === 0 || q >= s.length || !isIdent(s, p + 2, q)) continue
      const r = s[q] === 0x94 ? q + 1 : q
      if (s[r] !== 0x93) continue
      const td = new TextDecoder()
      return {kind: 'pickle', length: r + 1, detail: `pickle with STACK_GLOBAL ${td.decode(s.subarray(o + 2, o + 2 + l1))}.${td.decode(s.subarray(p + 2, q))}`}
    }
  }
  return null
}

/**
 * Cheap test of a candidate's first four stream bytes before any gathering: false only where
 * matchSignature and wantsMore would both refuse whatever follows (a test holds every payload the
 * full checks accept to it).
 */
export function quickPrefix(a: number, b: number, c: number, d: number): boolean {
  switch (a) {
    case 0x7f:
      return b === 0x45 && c === 0x4c && d === 0x46
    case 0x4d:
      return b === 0x5a
    case 0xcf:
    case 0xce:
      return b === 0xfa && c === 0xed && d === 0xfe
    case 0xfe:
      return b === 0xed && c === 0xfa && (d === 0xce || d === 0xcf)
    case 0xca:
      return b === 0xfe && c === 0xba && d === 0xbe
    case 0x50:
      return b === 0x4b && c === 3 && d === 4
    case 0x37:
      return b === 0x7a && c === 0xbc && d === 0xaf
    case 0x1f:
      return b === 0x8b && c === 8 && (d & 0xe0) === 0
    case 0x23:
      return b === 0x21 && c === 0x2f
    case 0x80:
      // PROTO 2-5: checkPickle looks for the import anywhere in the next 64 bytes, so any opcode
      // may come next (BININT1, NONE, NEWTRUE… before a GLOBAL still load and run it).
      return b >= 2 && b <= 5
    default:
      return false
  }
}

/** Stream bytes that decide most candidates; `wantsMore` says when a longer look is needed. */
export const SIGNATURE_QUICK = 96

/** For a candidate that failed on SIGNATURE_QUICK bytes: could more bytes still make it match? */
export function wantsMore(s: Uint8Array): boolean {
  if (s.length < SIGNATURE_QUICK) return false
  switch (s[0]) {
    case 0x4d: {
      const lfanew = u32(s, 0x3c)
      return s[1] === 0x5a && lfanew >= 0x40 && lfanew < 4096
    }
    case 0x50:
      return ascii(s, 0, 'PK\x03\x04') && u16(s, 4) <= 63 && u16(s, 26) > SIGNATURE_QUICK - 30
    case 0x1f:
      return s[1] === 0x8b && s[2] === 8 && (s[3] & 0xe0) === 0
    case 0x23:
      return s[1] === 0x21
    case 0x80:
      return s[1] >= 2 && s[1] <= 5 && pickleImportRunsPast(s)
    case 0xca:
      // A universal Mach-O header is 8 + 20 bytes per architecture (up to 8: 168 bytes).
      return u32be(s, 0) === 0xcafebabe && u32be(s, 4) >= 1 && u32be(s, 4) <= 8 && 8 + u32be(s, 4) * 20 > s.length
    default:
      return false
  }
}

/**
 * Whether an import checkPickle looks for starts within its 64 bytes and runs past the end of `s`:
 * GLOBAL "module\nname\n" or SHORT_BINUNICODE module, [MEMOIZE], SHORT_BINUNICODE name, [MEMOIZE],
 * STACK_GLOBAL, every byte so far what checkPickle would take at its place (random bytes almost
 * never are: a chance candidate is not looked at longer).
 */
/** Bytes [o, end of s) are identifier characters with at most `newlines` newlines among them. */
function namesTo(s: Uint8Array, o: number, newlines: number): boolean {
  for (let i = o; i < s.length; i++) {
    if (s[i] === 0x0a) {
      if (--newlines < 0) return false
    } else if (!isIdentByte(s[i])) return false
  }
  return true
}

function pickleImportRunsPast(s: Uint8Array): boolean {
  const n = s.length
  const lim = Math.min(n, 66)
  for (let o = 2; o < lim; o++) {
    if (s[o] === 0x63) {
      if (namesTo(s, o + 1, 1)) return true
    } else if (s[o] === 0x8c && stackGlobalRunsPast(s, o)) return true
  }
  return false
}

/**
 * The STACK_GLOBAL import of checkPickle at `o` followed opcode by opcode: true when `s` ends
 * before the import is decided, every byte so far the one checkPickle takes there (the end may
 * fall inside a name or on any opcode between and after the names).
 */
function stackGlobalRunsPast(s: Uint8Array, o: number): boolean {
  const n = s.length
  let p = o + 1
  for (let name = 0; name < 2; name++) {
    if (name === 1) {
      if (p >= n) return true
      if (s[p] !== 0x8c) return false
      p++
    }
    if (p >= n) return true
    const len = s[p++]
    const seen = Math.min(n, p + len)
    if (len === 0 || (seen > p && !isIdent(s, p, seen))) return false
    p += len
    if (p >= n) return true
    if (s[p] === 0x94 && ++p >= n) return true
  }
  return false
}

/** Validates a candidate at the start of `s` (stream bytes). Returns null unless a structure validates. */
export function matchSignature(s: Uint8Array): SignatureMatch | null {
  switch (s[0]) {
    case 0x7f:
      return checkElf(s)
    case 0x4d:
      return checkPe(s)
    case 0xcf:
    case 0xce:
    case 0xfe:
    case 0xca:
      return checkMacho(s)
    case 0x50:
      return checkZip(s)
    case 0x37:
      return check7z(s)
    case 0x1f:
      return checkGzip(s)
    case 0x23:
      return checkShebang(s)
    case 0x80:
      return checkPickle(s)
    default:
      return null
  }
}

/** Every validated signature at any byte offset of `bytes` (for byte tensors and raw blobs). */
export function findSignatures(bytes: Uint8Array, base = 0, limit = 16): Array<SignatureMatch & {offset: number}> {
  const out: Array<SignatureMatch & {offset: number}> = []
  const n = bytes.length - 1
  for (let i = 0; i < n; i++) {
    if (MAGIC2[bytes[i] | (bytes[i + 1] << 8)] === 0) continue
    const m = matchSignature(bytes.subarray(i, Math.min(bytes.length, i + SIGNATURE_LOOKAHEAD)))
    if (m) {
      out.push({...m, offset: base + i})
      if (out.length >= limit) break
      i += m.length - 1
    }
  }
  return out
}
