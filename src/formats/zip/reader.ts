/**
 * A bounded zip reader for model archives (PyTorch checkpoints, .npz) that tolerates the quirks
 * attackers use against strict readers (docs/design-notes.md §6: CRC errors, odd flag bits, local vs
 * central name mismatch, missing central directory) — it reads what a relaxed loader would load,
 * and reports every quirk as an issue instead of refusing the file. Members are never extracted
 * to disk; STORED members are addressed in place, deflated ones inflated with a hard size cap.
 */
import {inflateRawSync} from 'node:zlib'

import {InputError} from '../../errors.js'
import type {FormatIssue} from '../tensor.js'

export const MAX_ENTRIES = 100_000
export const MAX_CENTRAL_DIR = 64 << 20
/** Largest member inflated into memory (pickles); bigger deflated members are zip-bomb suspects. */
export const MAX_INFLATE = 256 << 20
const EOCD_SEARCH = 65_535 + 22

/** What the zip reader needs from its input: a file (FileSource) or bytes in memory. */
export interface ZipSource {
  readonly path: string
  readonly size: number
  read(pos: number, len: number): Promise<Uint8Array>
}

export interface ZipEntry {
  name: string
  /** Name in the local header, when it differs from the central directory's. */
  localName?: string
  method: number
  flags: number
  compressedSize: number
  uncompressedSize: number
  crc: number
  localHeaderOffset: number
  /** Absolute offset of the member's data. */
  dataOffset: number
  /** Bytes of the data descriptor after the data (0 without one). */
  descriptorLength?: number
}

export interface ZipArchive {
  entries: ZipEntry[]
  issues: FormatIssue[]
  /** true when entries came from the central directory (false: recovered from local headers). */
  central: boolean
  /**
   * Bytes before the archive (Python's zipfile "concat": the end record's position minus the
   * directory's size and offset). Offsets above already include it, as zipfile adds it.
   */
  prefix: number
  /** Byte ranges inside the archive no member, descriptor or directory accounts for. */
  gaps?: Array<[number, number]>
}

const ptz = (severity: FormatIssue['severity'], title: string, message: string, location?: FormatIssue['location']): FormatIssue => ({
  id: 'MS-PT001',
  severity,
  title,
  message,
  ...(location ? {location} : {}),
})

const r16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8)
const r32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
const r64 = (b: Uint8Array, o: number) => r32(b, o) + r32(b, o + 4) * 2 ** 32

function decodeName(b: Uint8Array, utf8: boolean): string {
  return utf8 ? new TextDecoder().decode(b) : String.fromCharCode(...b)
}

export async function readZip(src: ZipSource): Promise<ZipArchive> {
  const issues: FormatIssue[] = []
  const tailLen = Math.min(src.size, EOCD_SEARCH)
  const tail = await src.read(src.size - tailLen, tailLen)
  let eocd = -1
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 5 && tail[i + 3] === 6) {
      eocd = i
      break
    }
  }
  if (eocd < 0) {
    issues.push(
      ptz(
        'high',
        'No zip central directory',
        'the archive has no end-of-central-directory record (truncated or crafted); members were recovered from local headers',
      ),
    )
    return {entries: await walkLocal(src, issues), issues, central: false, prefix: 0}
  }
  const eocdAbs = src.size - tailLen + eocd
  let count = r16(tail, eocd + 10)
  let cdSize = r32(tail, eocd + 12)
  let cdOffset = r32(tail, eocd + 16)
  const commentLen = r16(tail, eocd + 20)
  if (eocdAbs + 22 + commentLen !== src.size) {
    issues.push(ptz('medium', 'Data after zip end record', `${src.size - eocdAbs - 22 - commentLen} bytes follow the end-of-central-directory record`))
  }
  // zip64: the locator sits right before the EOCD (torch's writer always emits one). Like
  // Python's zipfile, the zip64 record is found at a fixed distance before the locator.
  let directoryEnd = eocdAbs
  const loc = eocd - 20
  if (loc >= 0 && r32(tail, loc) === 0x07064b50) {
    const recAbs = eocdAbs - 20 - 56
    const rec = recAbs >= 0 ? await src.read(recAbs, 56) : new Uint8Array(0)
    if (rec.length === 56 && r32(rec, 0) === 0x06064b50) {
      directoryEnd = recAbs
      if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
        count = r64(rec, 32)
        cdSize = r64(rec, 40)
        cdOffset = r64(rec, 48)
      }
    } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
      issues.push(ptz('high', 'Bad zip64 record', 'zip64 end record missing or malformed'))
  }
  // Data prepended to the archive shifts every offset; zipfile (and so many loaders) still reads
  // it by adding the difference. The prefix is itself content: the caller sniffs it.
  const prefix = directoryEnd - cdSize - cdOffset
  if (prefix > 0) {
    issues.push(
      ptz(
        'high',
        'Data before the zip archive',
        `${prefix} bytes precede the archive: zip readers still open it (offsets shifted), while loaders that look at the first bytes see something else (polyglot)`,
        {byteStart: 0, byteEnd: prefix},
      ),
    )
    cdOffset += prefix
  }
  if (count > MAX_ENTRIES || cdSize > MAX_CENTRAL_DIR) {
    throw new InputError('E_ZIP_TOO_LARGE', `zip central directory too large (${count} entries, ${cdSize} bytes)`)
  }
  if (prefix < 0 || cdOffset + cdSize > eocdAbs) {
    issues.push(
      ptz('high', 'Zip central directory out of bounds', `central directory [${cdOffset}, ${cdOffset + cdSize}) overlaps the end record or the end of file`),
    )
    return {entries: await walkLocal(src, issues), issues, central: false, prefix: 0}
  }
  const cd = await src.read(cdOffset, cdSize)
  const entries: ZipEntry[] = []
  let p = 0
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || r32(cd, p) !== 0x02014b50) {
      issues.push(ptz('high', 'Corrupt zip central directory', `entry ${k} of ${count} is malformed`))
      break
    }
    const flags = r16(cd, p + 8)
    const method = r16(cd, p + 10)
    const crc = r32(cd, p + 16)
    let csize = r32(cd, p + 20)
    let usize = r32(cd, p + 24)
    const nlen = r16(cd, p + 28)
    const xlen = r16(cd, p + 30)
    const clen = r16(cd, p + 32)
    let lho = r32(cd, p + 42)
    if (p + 46 + nlen + xlen + clen > cd.length) {
      issues.push(ptz('high', 'Corrupt zip central directory', `entry ${k} runs past the directory`))
      break
    }
    const name = decodeName(cd.subarray(p + 46, p + 46 + nlen), (flags & 0x800) !== 0)
    // zip64 extra field (0x0001) carries the real sizes/offset.
    for (let x = p + 46 + nlen; x + 4 <= p + 46 + nlen + xlen; ) {
      const id = r16(cd, x)
      const len = r16(cd, x + 2)
      if (id === 1) {
        let q = x + 4
        if (usize === 0xffffffff && q + 8 <= x + 4 + len) (usize = r64(cd, q)), (q += 8)
        if (csize === 0xffffffff && q + 8 <= x + 4 + len) (csize = r64(cd, q)), (q += 8)
        if (lho === 0xffffffff && q + 8 <= x + 4 + len) lho = r64(cd, q)
      }
      x += 4 + len
    }
    p += 46 + nlen + xlen + clen
    entries.push({name, method, flags, compressedSize: csize, uncompressedSize: usize, crc, localHeaderOffset: lho + Math.max(0, prefix), dataOffset: -1})
  }
  await resolveLocal(src, entries, issues)
  checkEntries(entries, issues, src.size)
  const gaps = uncovered(entries, Math.max(0, prefix), cdOffset)
  if (gaps.length) {
    const bytes = gaps.reduce((n, [a, b]) => n + b - a, 0)
    let hidden = false
    for (const [a, b] of gaps.slice(0, 64)) {
      const g = await src.read(a, Math.min(b - a, 1 << 20))
      for (let i = 0; i + 4 <= g.length && !hidden; i++) hidden = g[i] === 0x50 && g[i + 1] === 0x4b && g[i + 2] === 3 && g[i + 3] === 4
    }
    issues.push(
      hidden
        ? ptz(
            'high',
            'Hidden zip entry',
            `a local file header sits in ${bytes} bytes the central directory does not reference: streaming readers see a member random-access readers do not`,
            {byteStart: gaps[0][0], byteEnd: gaps[0][1]},
          )
        : ptz('medium', 'Unreferenced bytes in the zip', `${bytes} bytes between members are not part of any member (analysed as content)`, {
            byteStart: gaps[0][0],
            byteEnd: gaps[0][1],
          }),
    )
  }
  return {entries, issues, central: true, prefix: Math.max(0, prefix), gaps}
}

/** Ranges of [start, end) between the prefix and the central directory that no member covers. */
function uncovered(entries: ZipEntry[], start: number, cdStart: number): Array<[number, number]> {
  const spans = entries
    .filter((e) => e.dataOffset >= 0)
    .map((e) => [e.localHeaderOffset, e.dataOffset + e.compressedSize + (e.descriptorLength ?? 0)] as [number, number])
    .sort((a, b) => a[0] - b[0])
  const gaps: Array<[number, number]> = []
  let pos = start
  for (const [a, b] of spans) {
    if (a > pos) gaps.push([pos, Math.min(a, cdStart)])
    pos = Math.max(pos, b)
  }
  if (cdStart > pos) gaps.push([pos, cdStart])
  return gaps.filter(([a, b]) => b > a)
}

/** Reads each local header: data offset, and the name the local header claims. */
async function resolveLocal(src: ZipSource, entries: ZipEntry[], issues: FormatIssue[]): Promise<void> {
  for (const e of entries) {
    const h = await src.read(e.localHeaderOffset, 30)
    if (h.length < 30 || r32(h, 0) !== 0x04034b50) {
      issues.push(
        ptz('high', 'Missing zip local header', `member "${e.name}" points at offset ${e.localHeaderOffset}, where there is no local header`, {member: e.name}),
      )
      continue
    }
    const nlen = r16(h, 26)
    const xlen = r16(h, 28)
    const lname = decodeName(await src.read(e.localHeaderOffset + 30, nlen), (r16(h, 6) & 0x800) !== 0)
    if (lname !== e.name) {
      e.localName = lname
      issues.push(
        ptz(
          'high',
          'Zip local/central name mismatch',
          `central directory says "${e.name}", local header says "${lname}" (readers disagree on what this member is)`,
          {member: e.name},
        ),
      )
    }
    if (r16(h, 8) !== e.method)
      issues.push(ptz('high', 'Zip method mismatch', `member "${e.name}": local and central compression methods differ`, {member: e.name}))
    e.dataOffset = e.localHeaderOffset + 30 + nlen + xlen
    await checkSizes(src, e, h, issues)
  }
}

/**
 * Local header and data descriptor must agree with the central directory: streaming readers
 * trust the local copy, random-access readers the central one. PyTorch's writer (miniz) sets
 * bit 3 on every member, leaves the local CRC/sizes zero and writes a descriptor after the data —
 * that layout is consistent and raises nothing; disagreeing copies are a parser differential.
 */
async function checkSizes(src: ZipSource, e: ZipEntry, h: Uint8Array, issues: FormatIssue[]): Promise<void> {
  const at = {member: e.name}
  const lcrc = r32(h, 14)
  const lcs = r32(h, 18)
  const lus = r32(h, 22)
  const zip64 = lcs === 0xffffffff || lus === 0xffffffff
  if (e.flags & 8) {
    if ((lcrc !== 0 && lcrc !== e.crc) || (!zip64 && lcs !== 0 && lcs !== e.compressedSize) || (!zip64 && lus !== 0 && lus !== e.uncompressedSize)) {
      issues.push(ptz('high', 'Zip local header disagrees', `member "${e.name}": local header CRC/sizes differ from the central directory`, at))
    }
    const d = await src.read(e.dataOffset + e.compressedSize, 24)
    let o = d.length >= 4 && r32(d, 0) === 0x08074b50 ? 4 : 0
    if (d.length < o + 12) {
      issues.push(ptz('high', 'Missing zip data descriptor', `member "${e.name}" is flagged with a data descriptor, but none follows its data`, at))
      return
    }
    const dcrc = r32(d, o)
    o += 4
    // A zip64 descriptor carries 8-byte sizes.
    const wide = d.length >= o + 16 && (e.compressedSize > 0xfffffffe || r32(d, o) !== e.compressedSize)
    const dcs = wide ? r64(d, o) : r32(d, o)
    const dus = wide ? r64(d, o + 8) : r32(d, o + 4)
    e.descriptorLength = o + (wide ? 16 : 8)
    if (dcrc !== e.crc || dcs !== e.compressedSize || dus !== e.uncompressedSize) {
      issues.push(
        ptz(
          'high',
          'Zip data descriptor disagrees',
          `member "${e.name}": the data descriptor after the data says CRC ${dcrc.toString(16)}, ${dcs}/${dus} bytes; the central directory says ${e.crc.toString(16)}, ${e.compressedSize}/${e.uncompressedSize}`,
          at,
        ),
      )
    }
  } else if (lcrc !== e.crc || (!zip64 && (lcs !== e.compressedSize || lus !== e.uncompressedSize))) {
    issues.push(ptz('high', 'Zip local header disagrees', `member "${e.name}": local header CRC/sizes differ from the central directory`, at))
  }
}

function checkEntries(entries: ZipEntry[], issues: FormatIssue[], size: number): void {
  const names = new Set<string>()
  for (const e of entries) {
    const at = {member: e.name}
    if (names.has(e.name)) issues.push(ptz('high', 'Duplicate zip member', `member "${e.name}" appears twice`, at))
    names.add(e.name)
    if (/^([/\\]|[A-Za-z]:)/.test(e.name) || e.name.split(/[/\\]/).includes('..')) {
      issues.push(ptz('high', 'Unsafe zip member path', `member name "${e.name}" is absolute or climbs out with ".."`, at))
    }
    if (e.flags & 1) issues.push(ptz('high', 'Encrypted zip member', `member "${e.name}" is flagged encrypted`, at))
    if (e.method === 0 && e.compressedSize !== e.uncompressedSize)
      issues.push(
        ptz(
          'high',
          'Stored member size mismatch',
          `member "${e.name}" is STORED with ${e.compressedSize} stored and ${e.uncompressedSize} declared bytes (readers disagree on its length)`,
          at,
        ),
      )
    if (e.flags & 0xf7f0)
      issues.push(
        ptz(
          'medium',
          'Unusual zip flag bits',
          `member "${e.name}" sets general-purpose flags 0x${e.flags.toString(16)} (beyond data descriptor, UTF-8 names and deflate level)`,
          at,
        ),
      )
    if (e.dataOffset >= 0 && e.dataOffset + e.compressedSize > size) {
      issues.push(
        ptz('high', 'Zip member past end of file', `member "${e.name}" data ends at ${e.dataOffset + e.compressedSize}, past the ${size}-byte file`, at),
      )
    }
    if (e.method === 8 && e.uncompressedSize > 100 << 20 && e.uncompressedSize > 1000 * Math.max(1, e.compressedSize)) {
      issues.push(ptz('high', 'Zip bomb', `member "${e.name}" claims ${e.uncompressedSize} bytes from ${e.compressedSize} compressed`, at))
    }
  }
}

/** Recovery path: walk local headers from offset 0 while their sizes are known. */
async function walkLocal(src: ZipSource, issues: FormatIssue[]): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = []
  let pos = 0
  while (pos + 30 <= src.size && entries.length < MAX_ENTRIES) {
    const h = await src.read(pos, 30)
    if (r32(h, 0) !== 0x04034b50) break
    const flags = r16(h, 6)
    const nlen = r16(h, 26)
    const xlen = r16(h, 28)
    const name = decodeName(await src.read(pos + 30, nlen), (flags & 0x800) !== 0)
    const e: ZipEntry = {
      name,
      method: r16(h, 8),
      flags,
      crc: r32(h, 14),
      compressedSize: r32(h, 18),
      uncompressedSize: r32(h, 22),
      localHeaderOffset: pos,
      dataOffset: pos + 30 + nlen + xlen,
    }
    if (flags & 8 && e.compressedSize === 0) {
      issues.push(
        ptz('high', 'Unrecoverable zip member', `member "${name}" has no size in its local header (data descriptor); the walk stops here`, {member: name}),
      )
      entries.push({...e, compressedSize: Math.max(0, src.size - e.dataOffset)})
      break
    }
    entries.push(e)
    pos = e.dataOffset + e.compressedSize
  }
  checkEntries(entries, issues, src.size)
  return entries
}

/** A member's bytes in memory (bounded), with a CRC check. Throws InputError for unreadable methods. */
export async function readMember(src: ZipSource, e: ZipEntry, issues: FormatIssue[], max = MAX_INFLATE): Promise<Uint8Array> {
  if (e.dataOffset < 0) throw new InputError('E_ZIP_MEMBER', `zip member "${e.name}" has no readable local header`)
  const avail = Math.max(0, Math.min(e.compressedSize, src.size - e.dataOffset))
  if (avail < e.compressedSize) issues.push(ptz('high', 'Truncated zip member', `member "${e.name}" is cut short by the end of file`, {member: e.name}))
  let data: Uint8Array
  if (e.method === 0) {
    if (avail > max) throw new InputError('E_ZIP_MEMBER_TOO_LARGE', `zip member "${e.name}" is ${avail} bytes, over the ${max}-byte limit`)
    data = await src.read(e.dataOffset, avail)
  } else if (e.method === 8) {
    if (avail > max) throw new InputError('E_ZIP_MEMBER_TOO_LARGE', `zip member "${e.name}" is ${avail} compressed bytes, over the ${max}-byte limit`)
    const comp = await src.read(e.dataOffset, avail)
    try {
      data = inflateRawSync(comp, {maxOutputLength: max, finishFlush: 2})
    } catch (err) {
      const msg = (err as Error).message
      if (/maxOutputLength|buffer/i.test(msg)) {
        issues.push(ptz('high', 'Zip bomb', `member "${e.name}" inflates past ${max} bytes`, {member: e.name}))
        throw new InputError('E_ZIP_BOMB', `zip member "${e.name}" inflates past ${max} bytes`)
      }
      throw new InputError('E_ZIP_INFLATE', `zip member "${e.name}" does not inflate: ${msg}`)
    }
  } else {
    throw new InputError('E_ZIP_METHOD', `zip member "${e.name}" uses unsupported compression method ${e.method}`)
  }
  if (data.length === e.uncompressedSize || !(e.flags & 8)) {
    const crc = crc32(data)
    if (crc !== e.crc && avail === e.compressedSize) {
      issues.push(ptz('high', 'Zip CRC mismatch', `member "${e.name}" fails its CRC check (strict readers refuse it, relaxed ones load it)`, {member: e.name}))
    }
  }
  return data
}

let table: Uint32Array | undefined
export function crc32(b: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  let c = 0xffffffff
  for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
