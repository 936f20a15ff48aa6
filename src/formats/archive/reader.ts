/**
 * Archives and compressed wrappers around model files (gzip/zlib, tar, zip at any depth): every
 * member is recognised by content (src/formats/sniff.ts) and analysed as what it is — pickles
 * walked, .npy headers parsed (object arrays are pickles), nested archives opened, everything else
 * searched for embedded executables as raw bytes. Hard bounds on inflated bytes, expansion ratio,
 * member count and depth; what cannot be opened (7z, rar, bzip2, xz, zstd, encrypted members) is
 * reported as unsupported — never as clean.
 */
import {inflateRawSync} from 'node:zlib'

import {analyzePickle} from '../pickle/analyze.js'
import {parseNpyHeader} from '../numpy/reader.js'
import {endsWithZipRecord, sniffKind, ZIP_TAIL, type ContentKind} from '../sniff.js'
import type {FormatIssue, TensorView} from '../tensor.js'
import {MAX_INFLATE, readMember, readZip, type ZipSource} from '../zip/reader.js'

export const MAX_ARCHIVE_DEPTH = 4
export const MAX_ARCHIVE_MEMBERS = 10_000
/** Expansion ratio above which a large decompression is treated as a bomb. */
export const MAX_RATIO = 1000
const RATIO_MIN_BYTES = 8 << 20

export interface ArchiveBudget {
  /** Decompressed bytes still allowed for this file. */
  bytes: number
  members: number
}

export interface ArchiveResult {
  issues: FormatIssue[]
  /** In-memory byte ranges to run the weight/signature checks on. */
  tensors: TensorView[]
  /** Content that could not be opened ("a.7z: 7z archive"): the file is not fully scanned. */
  unsupported: string[]
  /** Pickle streams analysed (anywhere in the tree). */
  pickles: number
  members: number
}

export const newBudget = (): ArchiveBudget => ({bytes: MAX_INFLATE, members: MAX_ARCHIVE_MEMBERS})

const issue = (
  id: string,
  severity: FormatIssue['severity'],
  title: string,
  message: string,
  member: string,
  category?: FormatIssue['category'],
): FormatIssue => ({
  id,
  severity,
  ...(category ? {category} : {}),
  title,
  message,
  location: {member},
})

const UNOPENABLE: Partial<Record<ContentKind, string>> = {
  '7z': '7z archive',
  rar: 'RAR archive',
  bzip2: 'bzip2-compressed data',
  xz: 'xz/lzma-compressed data',
  zstd: 'zstd-compressed data',
}

/** An in-memory byte source with the FileSource read contract (for zips inside archives). */
export function memorySource(b: Uint8Array, name: string): ZipSource {
  return {
    path: name,
    size: b.length,
    read: async (pos: number, len: number) => b.subarray(Math.max(0, pos), Math.min(b.length, pos + Math.max(0, len))),
  }
}

function spend(budget: ArchiveBudget, n: number, what: string, out: ArchiveResult): boolean {
  if (n > budget.bytes) {
    out.issues.push(
      issue(
        'MS-AR001',
        'high',
        'Archive expansion limit',
        `${what}: decompressed content exceeds the ${MAX_INFLATE}-byte budget (zip/gzip bomb or oversized archive); the rest was not analysed`,
        what,
      ),
    )
    out.unsupported.push(`${what}: over the decompression budget`)
    return false
  }
  budget.bytes -= n
  return true
}

/** Analyses `bytes` (named `name` for locations) by content, recursing into containers. */
export async function analyzeContent(
  bytes: Uint8Array,
  name: string,
  depth: number,
  budget: ArchiveBudget,
  out: ArchiveResult = emptyResult(),
): Promise<ArchiveResult> {
  out.members++
  if (--budget.members < 0) {
    if (budget.members === -1)
      out.issues.push(
        issue('MS-AR001', 'high', 'Too many archive members', `more than ${MAX_ARCHIVE_MEMBERS} members in nested archives; the rest was not analysed`, name),
      )
    out.unsupported.push(`${name}: member limit`)
    return out
  }
  let kind = sniffKind(bytes.subarray(0, 4096), bytes.length <= 4096)
  // Data glued in front of a zip: zip readers still open it from its end record (a pickle in
  // front is both: torch.load reads the pickle, zipfile the archive).
  const zipEnd = kind !== 'zip' && endsWithZipRecord(bytes.subarray(Math.max(0, bytes.length - ZIP_TAIL)))
  if (kind === 'unknown' && zipEnd) kind = 'zip'
  const nested = kind === 'zip' || kind === 'gzip' || kind === 'zlib' || kind === 'tar'
  if (nested && depth >= MAX_ARCHIVE_DEPTH) {
    out.issues.push(issue('MS-AR001', 'high', 'Archive nesting too deep', `${name}: archives nested more than ${MAX_ARCHIVE_DEPTH} deep (not opened)`, name))
    out.unsupported.push(`${name}: nested too deep`)
    return out
  }
  const unopenable = UNOPENABLE[kind]
  if (unopenable) {
    out.unsupported.push(`${name}: ${unopenable}`)
    out.issues.push(
      issue(
        'MS-AR002',
        'info',
        'Archive content not opened',
        `${name} is ${unopenable}, which modelseal cannot open: its content was not checked (not clean)`,
        name,
        'unsupported',
      ),
    )
    return out
  }
  switch (kind) {
    case 'gzip':
    case 'zlib': {
      let inner: Uint8Array
      let consumed = bytes.length
      try {
        const opts = {maxOutputLength: Math.max(1, Math.min(budget.bytes + 1, MAX_INFLATE + 1))}
        // The first member decoded on its own, as stream readers do; what follows it is content too.
        const first = firstStream(bytes, kind)
        const r = inflateRawSync(bytes.subarray(first), {...opts, info: true}) as unknown as {buffer: Buffer; engine: {bytesWritten: number}}
        inner = r.buffer
        consumed = first + r.engine.bytesWritten + (kind === 'gzip' ? 8 : 4)
      } catch (err) {
        const msg = (err as Error).message
        if (/maxOutputLength|larger than|buffer/i.test(msg)) spend(budget, Number.POSITIVE_INFINITY, name, out)
        else {
          out.issues.push(issue('MS-AR003', 'medium', 'Corrupt compressed data', `${name}: ${kind} data does not decompress (${msg.split('\n')[0]})`, name))
          out.unsupported.push(`${name}: corrupt ${kind}`)
        }
        return out
      }
      if (!spend(budget, inner.length, name, out)) return out
      if (inner.length > RATIO_MIN_BYTES && inner.length > MAX_RATIO * bytes.length) {
        out.issues.push(
          issue('MS-AR001', 'high', 'Compression bomb', `${name}: ${bytes.length} bytes expand to ${inner.length} (ratio over ${MAX_RATIO})`, name),
        )
      }
      await analyzeContent(inner, `${name}!${kind === 'gzip' ? 'gunzip' : 'inflate'}`, depth + 1, budget, out)
      if (consumed < bytes.length && bytes.subarray(consumed).some((x) => x !== 0)) {
        out.issues.push(
          issue(
            'MS-AR003',
            'medium',
            'Data after compressed stream',
            `${name}: ${bytes.length - consumed} bytes follow the ${kind} stream (analysed as content of their own)`,
            name,
          ),
        )
        await analyzeContent(bytes.subarray(consumed), `${name} (after the ${kind} stream)`, depth + 1, budget, out)
      }
      return out
    }
    case 'tar':
      for (const m of readTar(bytes, name, out)) {
        if (budget.members <= 0) break
        await analyzeContent(m.data, `${name}/${m.name}`, depth + 1, budget, out)
      }
      return out
    case 'zip':
      await analyzeZipBytes(bytes, name, depth, budget, out)
      return out
    case 'pickle': {
      out.pickles++
      const rep = analyzePickle(bytes, {context: 'pickle', member: name})
      out.issues.push(...rep.issues)
      if (zipEnd) await analyzeZipBytes(bytes, name, depth, budget, out, false)
      else if (rep.end > 0 && rep.end < bytes.length) out.tensors.push(rawView(`${name} (after the pickle)`, bytes.subarray(rep.end), name))
      return out
    }
    case 'npy': {
      const h = parseNpyHeader(bytes.subarray(0, Math.min(bytes.length, (1 << 20) + 12)))
      if (typeof h === 'string') {
        out.issues.push(issue('MS-NP001', 'high', 'Invalid .npy header', `${name}: ${h}`, name))
        return out
      }
      if (h.object) {
        out.pickles++
        out.issues.push(
          issue(
            'MS-NP002',
            'medium',
            'Object array (pickle inside)',
            `${name} is an object array: numpy.load(allow_pickle=True) unpickles it`,
            name,
            'unsafe-pickle',
          ),
        )
        out.issues.push(...analyzePickle(bytes.subarray(h.dataOffset), {context: 'numpy', member: name}).issues)
        return out
      }
      out.tensors.push({...rawView(name, bytes.subarray(h.dataOffset), name), dtype: h.dtype, sourceDType: h.descr, shape: h.shape})
      return out
    }
    default:
      if (bytes.length) out.tensors.push(rawView(name, bytes, name))
      return out
  }
}

/** Offset of the raw deflate data: after the gzip header (RFC 1952 optional fields) or the 2-byte zlib header. */
function firstStream(b: Uint8Array, kind: 'gzip' | 'zlib'): number {
  if (kind === 'zlib') {
    if (b[1] & 0x20) throw new Error('zlib preset dictionary')
    return 2
  }
  const flags = b[3]
  let p = 10
  if (flags & 4) p += 2 + (b[p] | (b[p + 1] << 8))
  if (flags & 8) while (p < b.length && b[p++] !== 0);
  if (flags & 16) while (p < b.length && b[p++] !== 0);
  if (flags & 2) p += 2
  if (p >= b.length) throw new Error('truncated gzip header')
  return p
}

export function emptyResult(): ArchiveResult {
  return {issues: [], tensors: [], unsupported: [], pickles: 0, members: 0}
}

function rawView(name: string, data: Uint8Array, member: string): TensorView {
  return {name, dtype: 'u8', shape: [data.length], byteOffset: 0, byteLength: data.length, data, member}
}

async function analyzeZipBytes(bytes: Uint8Array, name: string, depth: number, budget: ArchiveBudget, out: ArchiveResult, withPrefix = true): Promise<void> {
  const src = memorySource(bytes, name)
  const zip = await readZip(src)
  for (const i of zip.issues) out.issues.push({...i, location: {...i.location, member: `${name}${i.location?.member ? `/${i.location.member}` : ''}`}})
  if (zip.prefix > 0 && withPrefix) await analyzeContent(bytes.subarray(0, zip.prefix), `${name} (data before the zip)`, depth + 1, budget, out)
  for (const e of zip.entries) {
    if (budget.members <= 0) break
    const member = `${name}/${e.name}`
    if (e.name.endsWith('/') && e.uncompressedSize === 0) continue
    if (e.method !== 0 && e.method !== 8) {
      out.unsupported.push(`${member}: compression method ${e.method}`)
      out.issues.push(
        issue(
          'MS-AR002',
          'info',
          'Archive content not opened',
          `${member} uses zip compression method ${e.method}, which modelseal cannot open (not clean)`,
          member,
          'unsupported',
        ),
      )
      continue
    }
    const cost = e.method === 8 ? e.uncompressedSize : 0
    if (cost && !spend(budget, cost, member, out)) break
    let data: Uint8Array
    try {
      data = await readMember(src, e, out.issues, Math.min(MAX_INFLATE, budget.bytes + cost))
    } catch (err) {
      out.issues.push(issue('MS-AR003', 'medium', 'Unreadable archive member', `${member}: ${(err as Error).message}`, member))
      out.unsupported.push(`${member}: unreadable`)
      continue
    }
    // A set "encrypted" bit proves nothing (CVE-2025-1945): judge the bytes; unrecognised ones of a
    // flagged member are reported as not scanned.
    if (e.flags & 1 && sniffKind(data.subarray(0, 4096), data.length <= 4096) === 'unknown') {
      out.unsupported.push(`${member}: encrypted`)
      continue
    }
    await analyzeContent(data, member, depth + 1, budget, out)
  }
}

interface TarMember {
  name: string
  data: Uint8Array
}

/**
 * A strict ustar/GNU/pax reader over bytes in memory: header checksums verified, sizes in octal
 * (or GNU base-256), long names from GNU 'L' and pax 'path' records, data bounded by the buffer.
 * A broken header ends the walk with a finding (what followed was not analysed).
 */
export function readTar(b: Uint8Array, name: string, out: ArchiveResult): TarMember[] {
  const members: TarMember[] = []
  let pos = 0
  let longName: string | undefined
  while (pos + 512 <= b.length && members.length < MAX_ARCHIVE_MEMBERS) {
    const h = b.subarray(pos, pos + 512)
    if (h.every((x) => x === 0)) break
    let sum = 0
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]
    const chk = Number.parseInt(
      String.fromCharCode(...h.subarray(148, 156))
        .replace(/[\0 ]+/g, ' ')
        .trim() || 'x',
      8,
    )
    if (chk !== sum) {
      out.issues.push(
        issue('MS-AR003', 'high', 'Corrupt tar header', `${name}: bad header checksum at offset ${pos}; the rest of the archive was not analysed`, name),
      )
      out.unsupported.push(`${name}: corrupt tar`)
      break
    }
    const size = tarSize(h.subarray(124, 136))
    const type = String.fromCharCode(h[156] || 0x30)
    const dataStart = pos + 512
    if (size < 0 || dataStart + size > b.length) {
      out.issues.push(
        issue('MS-AR003', 'high', 'Truncated tar member', `${name}: member at offset ${pos} claims ${size} bytes past the end of the archive`, name),
      )
      out.unsupported.push(`${name}: truncated tar`)
      break
    }
    const data = b.subarray(dataStart, dataStart + size)
    const cstr = (s: Uint8Array) => new TextDecoder().decode(s.subarray(0, s.indexOf(0) < 0 ? s.length : s.indexOf(0)))
    let memberName = longName ?? (cstr(h.subarray(345, 500)) ? `${cstr(h.subarray(345, 500))}/` : '') + cstr(h.subarray(0, 100))
    if (type === 'L') longName = cstr(data)
    else if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(data))
      if (m) longName = m[1]
    } else {
      longName = undefined
      if (type === '0' || type === '7' || type === '\0') members.push({name: memberName, data})
      else if (type === '1' || type === '2') {
        memberName = memberName || '(link)'
        out.issues.push(
          issue(
            'MS-AR004',
            'low',
            'Link in archive',
            `${name}/${memberName} is a ${type === '2' ? 'symbolic' : 'hard'} link (not followed)`,
            `${name}/${memberName}`,
          ),
        )
      }
    }
    pos = dataStart + Math.ceil(size / 512) * 512
  }
  return members
}

function tarSize(f: Uint8Array): number {
  if (f[0] & 0x80) {
    let v = 0
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]
    return Number.isSafeInteger(v) ? v : -1
  }
  const s = String.fromCharCode(...f)
    .replace(/[\0 ]+/g, ' ')
    .trim()
  if (!s) return 0
  return /^[0-7]+$/.test(s) ? Number.parseInt(s, 8) : -1
}
