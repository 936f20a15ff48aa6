/**
 * Strict parsing of tar headers: one 512-byte block, or the body of a pax extended header.
 *
 * A verifier must read an archive exactly as the programs that will extract it (GNU tar,
 * Python's tarfile in both `r:*` and `r|*` modes), or refuse it. Those programs disagree on
 * many malformed inputs — a size field with a leading NUL (GNU skips one NUL, Python stops at
 * it), an underscore in a number (Python's int() accepts it), a malformed pax record (honoured
 * by some readers, ignored by others), a prefix field under GNU magic (Python uses it, GNU does
 * not). So every field is read in the one canonical form all of them agree on, and anything
 * else is refused (docs/dataset-manifest.md lists what is accepted).
 */
export const BLOCK = 512

/** Largest pax extended header body accepted (real ones are a few hundred bytes). */
export const MAX_PAX_BYTES = 1 << 20
/** Largest GNU long name / long link body: a 4096-byte path plus its NUL. */
export const MAX_LONG_NAME_BYTES = 4097

/** A header or extended-header problem: the archive is refused as a whole (exit 3). */
export class TarFormatError extends Error {
  constructor(
    readonly code: 'E_DATASET_TAR_MALFORMED' | 'E_DATASET_TAR_UNSUPPORTED',
    message: string,
  ) {
    super(message)
  }
}

const malformed = (msg: string) => new TarFormatError('E_DATASET_TAR_MALFORMED', msg)
const unsupported = (msg: string) => new TarFormatError('E_DATASET_TAR_UNSUPPORTED', msg)

export type TarFormat = 'ustar' | 'gnu'

export interface RawHeader {
  /** Name bytes up to the first NUL (ustar: prefix + '/' + name when the prefix is set). */
  name: Buffer
  linkname: Buffer
  /** Type flag as a character ('0', '5', 'x', ...; a NUL type flag is reported as '0'). */
  type: string
  size: number
  format: TarFormat
}

export function isZeroBlock(b: Buffer, at = 0): boolean {
  for (let i = at; i < at + BLOCK; i++) if (b[i] !== 0) return false
  return true
}

/** Bytes of a string field up to the first NUL (what both GNU tar and Python keep). */
function cString(b: Buffer, at: number, len: number): Buffer {
  let z = at
  while (z < at + len && b[z] !== 0) z++
  return b.subarray(at, z)
}

const SLASH = Buffer.from('/')

/**
 * A numeric field in the one form every reader decodes to the same value: optional leading
 * spaces, at least one octal digit, then only spaces and NULs to the end of the field — or a
 * field of NULs only (zero for everyone). Base-256 (first byte 0x80) is accepted for
 * non-negative values; 0xFF (negative) is refused. `what` names the field in messages.
 */
export function parseNumber(b: Buffer, at: number, len: number, what: string): number {
  const end = at + len
  if (b[at] === 0x80) {
    let n = 0
    for (let i = at + 1; i < end; i++) n = n * 256 + b[i]
    if (!Number.isSafeInteger(n)) throw unsupported(`${what} field too large`)
    return n
  }
  if (b[at] === 0xff) throw unsupported(`negative ${what} field (base-256)`)
  let i = at
  while (i < end && b[i] === 0x20) i++
  if (i === at && b[at] === 0) {
    // All NULs: zero for every reader. A NUL followed by anything else is read differently by
    // GNU tar (it skips one leading NUL) and Python (which stops at it): refused.
    for (let j = at; j < end; j++) if (b[j] !== 0) throw malformed(`${what} field starts with NUL followed by data`)
    return 0
  }
  const start = i
  let n = 0
  while (i < end && b[i] >= 0x30 && b[i] <= 0x37) n = n * 8 + (b[i++] - 0x30)
  if (i === start) throw malformed(`${what} field is not an octal number`)
  for (; i < end; i++) if (b[i] !== 0 && b[i] !== 0x20) throw malformed(`${what} field has bytes other than spaces and NULs after its digits`)
  if (!Number.isSafeInteger(n)) throw unsupported(`${what} field too large`)
  return n
}

function checksumOf(b: Buffer, at: number): number {
  let sum = 8 * 0x20
  for (let i = at; i < at + 148; i++) sum += b[i]
  for (let i = at + 156; i < at + BLOCK; i++) sum += b[i]
  return sum
}

const USTAR_MAGIC = Buffer.from('ustar\x0000', 'latin1')
const GNU_MAGIC = Buffer.from('ustar  \x00', 'latin1')

/** Parses one (non-zero) header block. Throws TarFormatError for anything not canonical. */
export function parseHeader(b: Buffer, at = 0): RawHeader {
  let format: TarFormat
  if (b.compare(USTAR_MAGIC, 0, 8, at + 257, at + 265) === 0) format = 'ustar'
  else if (b.compare(GNU_MAGIC, 0, 8, at + 257, at + 265) === 0) format = 'gnu'
  else throw unsupported('not a ustar, pax or GNU header (pre-POSIX v7 headers and unknown magic are not accepted)')
  if (b[at + 148] === 0) throw malformed('checksum field starts with NUL')
  if (parseNumber(b, at + 148, 8, 'checksum') !== checksumOf(b, at)) throw malformed('header checksum mismatch')
  // Every numeric field is parsed: Python's tarfile stops reading silently at the first header
  // it cannot parse (after the first member), where GNU tar would go on.
  parseNumber(b, at + 100, 8, 'mode')
  parseNumber(b, at + 108, 8, 'uid')
  parseNumber(b, at + 116, 8, 'gid')
  const size = parseNumber(b, at + 124, 12, 'size')
  parseNumber(b, at + 136, 12, 'mtime')
  parseNumber(b, at + 329, 8, 'devmajor')
  parseNumber(b, at + 337, 8, 'devminor')
  const typeByte = b[at + 156]
  const type = typeByte === 0 ? '0' : String.fromCharCode(typeByte)
  let name = cString(b, at, 100)
  if (format === 'gnu') {
    // Python prepends the prefix field whatever the magic; GNU tar reads it only under POSIX
    // magic (the GNU format keeps atime/ctime there). Any byte there would split them.
    if (b[at + 345] !== 0) throw unsupported('GNU-format header with data in the ustar prefix field')
  } else if (b[at + 345] !== 0 && type !== 'L' && type !== 'K') {
    name = Buffer.concat([cString(b, at + 345, 155), SLASH, name])
  }
  return {name, linkname: cString(b, at + 157, 100), type, size, format}
}

/** pax keys that change neither the bytes, the name, the size nor the type of a member. */
const HARMLESS_PAX_KEYS = new Set([
  'mtime',
  'atime',
  'ctime',
  'uid',
  'gid',
  'uname',
  'gname',
  'comment',
  'SCHILY.dev',
  'SCHILY.ino',
  'SCHILY.nlink',
  'LIBARCHIVE.creationtime',
])
const HARMLESS_PAX_PREFIXES = ['SCHILY.xattr.', 'LIBARCHIVE.xattr.']
const DECIMAL = /^(0|[1-9][0-9]*)$/
const TIME = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/
const utf8 = new TextDecoder('utf-8', {fatal: true})

export interface PaxRecords {
  path?: string
  linkpath?: string
  size?: number
}

/**
 * Parses a pax extended header body: `<len> <key>=<value>\n` records that fill the body
 * exactly, `len` canonical decimal and exact, every key at most once. Only `path`, `linkpath`,
 * `size` and the keys above are accepted; every `GNU.sparse.*` key, `hdrcharset` and any other
 * key (whose meaning some extractor might apply) is refused.
 */
export function parsePax(body: Buffer): PaxRecords {
  const out: PaxRecords = {}
  const seen = new Set<string>()
  let pos = 0
  while (pos < body.length) {
    const sp = body.indexOf(0x20, pos)
    if (sp < 0 || sp - pos > 7) throw malformed('pax record without a length')
    const lenText = body.toString('latin1', pos, sp)
    if (!DECIMAL.test(lenText)) throw malformed(`pax record length ${JSON.stringify(lenText)} is not a canonical decimal`)
    const len = Number(lenText)
    const end = pos + len
    if (len < 5 || end > body.length) throw malformed('pax record length out of range')
    if (body[end - 1] !== 0x0a) throw malformed('pax record length does not end at a newline')
    const rec = body.subarray(sp + 1, end - 1)
    const eq = rec.indexOf(0x3d)
    if (eq <= 0) throw malformed('pax record without a key')
    let key: string
    let value: string
    try {
      key = utf8.decode(rec.subarray(0, eq))
      value = utf8.decode(rec.subarray(eq + 1))
    } catch {
      throw unsupported('pax record is not valid UTF-8')
    }
    if (seen.has(key)) throw malformed(`pax key ${JSON.stringify(key)} given twice`)
    seen.add(key)
    if (key === 'path') out.path = value
    else if (key === 'linkpath') out.linkpath = value
    else if (key === 'size') {
      if (!DECIMAL.test(value) || !Number.isSafeInteger(Number(value))) throw malformed(`pax size ${JSON.stringify(value)} is not a canonical decimal`)
      out.size = Number(value)
    } else if (key === 'uid' || key === 'gid') {
      if (!DECIMAL.test(value)) throw malformed(`pax ${key} ${JSON.stringify(value)} is not a canonical decimal`)
    } else if (key === 'mtime' || key === 'atime' || key === 'ctime') {
      if (!TIME.test(value)) throw malformed(`pax ${key} ${JSON.stringify(value)} is not a decimal time`)
    } else if (!HARMLESS_PAX_KEYS.has(key) && !HARMLESS_PAX_PREFIXES.some((p) => key.startsWith(p))) {
      throw unsupported(`pax key ${JSON.stringify(key.slice(0, 100))} is not accepted${key.startsWith('GNU.sparse.') ? ' (sparse files are refused)' : ''}`)
    }
    pos = end
  }
  return out
}

/** The name in a GNU long-name/long-link body: the bytes before exactly one trailing NUL. */
export function parseLongName(body: Buffer, what: string): Buffer {
  const z = body.indexOf(0)
  if (z !== body.length - 1 || z === 0) throw malformed(`GNU ${what} body must be a non-empty name followed by exactly one NUL`)
  return body.subarray(0, z)
}
