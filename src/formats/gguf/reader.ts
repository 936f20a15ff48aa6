/**
 * GGUF (llama.cpp / ggml): header, metadata key/values and tensor infos validated the way ggml's
 * own reader (`gguf.cpp`) does (docs/design-notes.md §6, rules MS-GG001…011), plus chat-template checks.
 * The header region is parsed from memory (bounded); tensor data stays in the file.
 */
import {FileSource, type FormatIssue, formatIssue, type TensorDType, type TensorView} from '../tensor.js'
import {checkChatTemplate} from './template.js'

export const MAX_GGUF_HEADER = 512 << 20
const FIRST_READ = 8 << 20
export const MAX_GGUF_STRING = 64 << 20
const GGML_MAX_DIMS = 4
const GGML_MAX_NAME = 64
const MAX_KEPT_STRING = 1 << 16

/** ggml type id → [name, block elements, block bytes]; removed ids are absent. */
export const GGML_TYPES: Record<number, [string, number, number]> = {
  0: ['F32', 1, 4],
  1: ['F16', 1, 2],
  2: ['Q4_0', 32, 18],
  3: ['Q4_1', 32, 20],
  6: ['Q5_0', 32, 22],
  7: ['Q5_1', 32, 24],
  8: ['Q8_0', 32, 34],
  9: ['Q8_1', 32, 36],
  10: ['Q2_K', 256, 84],
  11: ['Q3_K', 256, 110],
  12: ['Q4_K', 256, 144],
  13: ['Q5_K', 256, 176],
  14: ['Q6_K', 256, 210],
  15: ['Q8_K', 256, 292],
  16: ['IQ2_XXS', 256, 66],
  17: ['IQ2_XS', 256, 74],
  18: ['IQ3_XXS', 256, 98],
  19: ['IQ1_S', 256, 50],
  20: ['IQ4_NL', 32, 18],
  21: ['IQ3_S', 256, 110],
  22: ['IQ2_S', 256, 82],
  23: ['IQ4_XS', 256, 136],
  24: ['I8', 1, 1],
  25: ['I16', 1, 2],
  26: ['I32', 1, 4],
  27: ['I64', 1, 8],
  28: ['F64', 1, 8],
  29: ['IQ1_M', 256, 56],
  30: ['BF16', 1, 2],
  34: ['TQ1_0', 256, 54],
  35: ['TQ2_0', 256, 66],
  39: ['MXFP4', 32, 17],
  40: ['NVFP4', 64, 36],
  41: ['Q1_0', 128, 18],
  42: ['Q2_0', 64, 18],
}
const DTYPE: Record<number, TensorDType> = {0: 'f32', 1: 'f16', 30: 'bf16', 28: 'f64', 24: 'i8', 25: 'i16', 26: 'i32', 27: 'i64'}
const SCALAR_SIZE: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

export interface GgufInfo {
  version: number
  tensors: TensorView[]
  issues: FormatIssue[]
  metadata: Map<string, unknown>
  stats: Record<string, unknown>
  /** Alignment padding ranges [start, end) the writer fills with zeros. */
  padding?: Array<[number, number]>
  /** Bytes after the last tensor's padded end. */
  trailing?: [number, number]
}

/** Padding bytes kept in memory for the signature search (beyond this, only counted). */
const MAX_PADDING_KEPT = 64 << 20

/** Non-zero alignment padding (MS-GG012) and data after the tensors (MS-GG008): both hide bytes loaders never read. */
async function checkPadding(src: FileSource, head: Uint8Array, info: GgufInfo): Promise<void> {
  let nonZero = 0
  let first = -1
  const kept: Uint8Array[] = []
  let keptBytes = 0
  for (const [a, c] of info.padding ?? []) {
    const bytes = c <= head.length ? head.subarray(a, c) : await src.read(a, c - a)
    let nz = 0
    for (const x of bytes) if (x !== 0) nz++
    if (nz && first < 0) first = a
    nonZero += nz
    if (nz && keptBytes + bytes.length <= MAX_PADDING_KEPT) {
      kept.push(bytes.slice())
      keptBytes += bytes.length
    }
  }
  if (nonZero) {
    info.issues.push(
      issue(
        'MS-GG012',
        nonZero >= 16 ? 'high' : 'medium',
        'Non-zero GGUF alignment padding',
        `${nonZero} non-zero bytes in alignment padding (the writer zero-fills it; loaders never read it): stashed data (searched for payloads)`,
        {byteStart: first},
      ),
    )
    const joined = new Uint8Array(keptBytes)
    let o = 0
    for (const k of kept) joined.set(k, o), (o += k.length)
    info.tensors.push({name: '(alignment padding)', dtype: 'u8', shape: [joined.length], byteOffset: first, byteLength: joined.length, data: joined})
  }
  if (info.trailing) {
    const [a, c] = info.trailing
    let nz = 0
    for (let pos = a; pos < c && nz === 0; pos += 1 << 20) {
      const chunk = await src.read(pos, Math.min(1 << 20, c - pos))
      for (const x of chunk) if (x !== 0) nz++
    }
    // Non-zero bytes no loader reads are stashed data (high); a zero tail is only unusual.
    if (nz || c - a > 4096)
      info.issues.push(
        issue(
          'MS-GG008',
          nz ? 'high' : 'medium',
          'Data after the last tensor',
          `${c - a} bytes follow the tensor data${nz ? '' : ' (all zero)'}; scanned as raw bytes`,
          {byteStart: a, byteEnd: c},
        ),
      )
  }
}

class NeedMore extends Error {}
class Fatal extends Error {}

const issue = formatIssue

export function isGguf(head: Uint8Array): boolean {
  return head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46
}

export async function readGguf(path: string): Promise<GgufInfo> {
  const src = await FileSource.open(path)
  try {
    let len = Math.min(src.size, FIRST_READ)
    for (;;) {
      const buf = await src.read(0, len)
      try {
        const info = parse(buf, src.size, path)
        await checkPadding(src, buf, info)
        return info
      } catch (err) {
        if (!(err instanceof NeedMore)) throw err
        if (len >= src.size || len >= MAX_GGUF_HEADER) {
          const info: GgufInfo = {version: 0, tensors: [], issues: [], metadata: new Map(), stats: {}}
          info.issues.push(
            issue(
              'MS-GG003',
              'high',
              'GGUF header runs past the end',
              len >= src.size ? 'the header claims more bytes than the file has' : `the header is larger than ${MAX_GGUF_HEADER} bytes`,
            ),
          )
          return info
        }
        len = Math.min(src.size, len * 4, MAX_GGUF_HEADER)
      }
    }
  } finally {
    await src.close()
  }
}

function parse(b: Uint8Array, fileSize: number, path: string): GgufInfo {
  const info: GgufInfo = {version: 0, tensors: [], issues: [], metadata: new Map(), stats: {}}
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let p = 0
  const need = (n: number) => {
    if (p + n > b.length) {
      if (b.length < fileSize) throw new NeedMore()
      info.issues.push(
        issue('MS-GG003', 'high', 'GGUF length overflow', `a length at offset ${p} runs ${p + n - fileSize} bytes past the end of the file`, {offset: p}),
      )
      throw new Fatal()
    }
  }
  const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true))
  const u64 = () => {
    need(8)
    p += 8
    const v = dv.getBigUint64(p - 8, true)
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v)
  }
  const str = (max = MAX_GGUF_STRING): string => {
    const n = u64()
    if (n > max) {
      info.issues.push(issue('MS-GG003', 'high', 'GGUF string too long', `string of ${n} bytes at offset ${p - 8}`, {offset: p - 8}))
      throw new Fatal()
    }
    need(n)
    p += n
    return new TextDecoder().decode(b.subarray(p - n, p))
  }
  try {
    need(24)
    p = 4
    const version = u32()
    info.version = version
    if ((version & 0xffff) === 0) {
      info.issues.push(
        issue(
          'MS-GG001',
          'medium',
          'Big-endian or corrupt GGUF',
          `version field 0x${version.toString(16)} reads as byte-swapped; big-endian GGUF is not scanned`,
          {offset: 4},
        ),
      )
      return info
    }
    if (version !== 2 && version !== 3) {
      info.issues.push(issue('MS-GG001', 'medium', 'Unsupported GGUF version', `version ${version} (ggml reads 2 and 3)`, {offset: 4}))
      return info
    }
    const nT = u64()
    const nKV = u64()
    if (!Number.isFinite(nT) || !Number.isFinite(nKV) || nT > 2 ** 32 || nKV > 2 ** 32 || nT * 25 + nKV * 14 > fileSize) {
      info.issues.push(
        issue('MS-GG002', 'high', 'GGUF count bomb', `header claims ${nT} tensors and ${nKV} key/values, more than a ${fileSize}-byte file can hold`, {
          offset: 8,
        }),
      )
      return info
    }
    let alignment = 32
    for (let k = 0; k < nKV; k++) {
      const at = p
      const key = str(65_535)
      const type = u32()
      checkKey(key, at, info)
      const value = readValue(type, key, at)
      if (key === 'general.alignment') {
        if (type !== 4 || typeof value !== 'number' || value === 0 || (value & (value - 1)) !== 0) {
          info.issues.push(
            issue(
              'MS-GG005',
              'high',
              'Bad GGUF alignment',
              `general.alignment must be a non-zero power-of-two UINT32 (got type ${type}, value ${String(value)})`,
              {key, offset: at},
            ),
          )
          return info
        }
        alignment = value
      }
    }
    const names = new Set<string>()
    const infos: Array<{name: string; dims: number[]; type: number; offset: number; size: number; at: number}> = []
    for (let k = 0; k < nT; k++) {
      const at = p
      const name = str(1 << 16)
      const nd = u32()
      const loc = {tensor: name, offset: at}
      if (new TextEncoder().encode(name).length > GGML_MAX_NAME)
        info.issues.push(issue('MS-GG006', 'high', 'Tensor name too long', `tensor name of ${name.length} characters (ggml max ${GGML_MAX_NAME})`, loc))
      if (names.has(name)) info.issues.push(issue('MS-GG006', 'high', 'Duplicate tensor name', `tensor "${name}" is defined twice`, loc))
      names.add(name)
      if (nd > GGML_MAX_DIMS) {
        info.issues.push(issue('MS-GG006', 'high', 'Too many dimensions', `tensor "${name}" has ${nd} dims (ggml max ${GGML_MAX_DIMS})`, loc))
        return info
      }
      const dims: number[] = []
      for (let d = 0; d < nd; d++) dims.push(u64())
      const type = u32()
      const offset = u64()
      const tt = GGML_TYPES[type]
      let ne = 1
      for (const d of dims) ne *= d
      if (!tt) {
        info.issues.push(issue('MS-GG006', 'high', 'Unknown tensor type', `tensor "${name}" has ggml type ${type} (unknown or removed)`, loc))
        continue
      }
      if (!dims.every(Number.isFinite) || ne > 2 ** 53) {
        info.issues.push(issue('MS-GG006', 'high', 'Tensor dims overflow', `tensor "${name}" dims ${dims.join('x')} overflow`, loc))
        continue
      }
      if ((dims[0] ?? 1) % tt[1] !== 0) {
        info.issues.push(
          issue(
            'MS-GG006',
            'high',
            'Row not a whole number of blocks',
            `tensor "${name}": ne0 = ${dims[0]} is not a multiple of the ${tt[0]} block size ${tt[1]}`,
            loc,
          ),
        )
        continue
      }
      infos.push({name, dims, type, offset, size: (ne / tt[1]) * tt[2], at})
    }
    const dataStart = Math.ceil(p / alignment) * alignment
    let expect = 0
    let layoutReported = 0
    for (const t of infos) {
      const loc = {tensor: t.name, byteStart: dataStart + t.offset, byteEnd: dataStart + t.offset + t.size}
      if (t.offset % alignment !== 0 || t.offset !== expect) {
        if (layoutReported++ < 8) {
          info.issues.push(
            issue(
              'MS-GG007',
              'medium',
              'Non-contiguous tensor data',
              `tensor "${t.name}" at data offset ${t.offset}; ggml expects ${expect} (aligned, in order, no gaps)`,
              loc,
            ),
          )
        }
      }
      if (dataStart + t.offset + t.size > fileSize) {
        info.issues.push(
          issue(
            'MS-GG007',
            'high',
            'Tensor data past end of file',
            `tensor "${t.name}" ends at ${dataStart + t.offset + t.size}, past the ${fileSize}-byte file`,
            loc,
          ),
        )
      } else {
        const dtype = DTYPE[t.type] ?? 'quant'
        info.tensors.push({
          name: t.name,
          dtype,
          sourceDType: GGML_TYPES[t.type][0],
          shape: t.dims,
          byteOffset: dataStart + t.offset,
          byteLength: t.size,
          file: path,
        })
      }
      expect = Math.max(expect, Math.ceil((t.offset + t.size) / alignment) * alignment)
    }
    const end = dataStart + expect
    const lastEnd = infos.reduce((m, t) => Math.max(m, dataStart + t.offset + t.size), dataStart)
    // Padding the format requires: after the tensor infos up to dataStart, and after each tensor
    // up to the next aligned offset. The writer fills it with zeros; anything else is stashed data.
    const gaps: Array<[number, number]> = [[p, dataStart]]
    const sorted = [...infos].sort((a, c) => a.offset - c.offset)
    for (let k = 0; k < sorted.length; k++) {
      const from = dataStart + sorted[k].offset + sorted[k].size
      const to = k + 1 < sorted.length ? dataStart + sorted[k + 1].offset : Math.min(fileSize, dataStart + expect)
      if (to > from) gaps.push([from, to])
    }
    info.padding = gaps.filter(([a, c]) => c > a && a < fileSize)
    if (fileSize > lastEnd && fileSize > end) {
      info.trailing = [Math.max(end, lastEnd), fileSize]
      info.tensors.push({
        name: '(data after tensors)',
        dtype: 'u8',
        shape: [fileSize - info.trailing[0]],
        byteOffset: info.trailing[0],
        byteLength: fileSize - info.trailing[0],
        file: path,
      })
    }
    info.stats = {version, tensors: nT, metadata: nKV, alignment, dataStart}
    return info
  } catch (err) {
    if (err instanceof Fatal) return info
    throw err
  }

  function readValue(type: number, key: string, at: number, inArray = false): unknown {
    if (type in SCALAR_SIZE) {
      const s = SCALAR_SIZE[type]
      need(s)
      p += s
      const o = p - s
      switch (type) {
        case 0:
          return b[o]
        case 1:
          return dv.getInt8(o)
        case 2:
          return dv.getUint16(o, true)
        case 3:
          return dv.getInt16(o, true)
        case 4:
          return dv.getUint32(o, true)
        case 5:
          return dv.getInt32(o, true)
        case 6:
          return dv.getFloat32(o, true)
        case 7:
          if (b[o] > 1) {
            info.issues.push(issue('MS-GG003', 'high', 'Bad GGUF bool', `${key}: bool byte ${b[o]}`, {key, offset: o}))
            throw new Fatal()
          }
          return b[o] === 1
        case 10:
          return dv.getBigUint64(o, true)
        case 11:
          return dv.getBigInt64(o, true)
        default:
          return dv.getFloat64(o, true)
      }
    }
    if (type === 8) {
      const s = str()
      // Named templates may also come as string arrays: every element is a template.
      if (inArray && key.startsWith('tokenizer.chat_template')) info.issues.push(...checkChatTemplate(key, s))
      if (!inArray) {
        // Kept (bounded) for the scanner's metadata checks (GGF-011).
        info.metadata.set(key, s.length > MAX_KEPT_STRING ? s.slice(0, MAX_KEPT_STRING) : s)
        if (key.startsWith('tokenizer.chat_template')) info.issues.push(...checkChatTemplate(key, s))
      }
      return s
    }
    if (type === 9) {
      if (inArray) {
        info.issues.push(issue('MS-GG003', 'high', 'Nested GGUF array', `${key}: arrays of arrays are rejected by ggml`, {key, offset: at}))
        throw new Fatal()
      }
      const et = u32()
      const n = u64()
      if (!(et in SCALAR_SIZE) && et !== 8 && et !== 9) {
        info.issues.push(issue('MS-GG003', 'high', 'Unknown GGUF array type', `${key}: element type ${et}`, {key, offset: at}))
        throw new Fatal()
      }
      if (!Number.isFinite(n) || n * (SCALAR_SIZE[et] ?? 8) > fileSize) {
        info.issues.push(issue('MS-GG003', 'high', 'GGUF array too long', `${key}: ${n} elements cannot fit in the file`, {key, offset: at}))
        throw new Fatal()
      }
      if (et in SCALAR_SIZE && et !== 7) {
        need(n * SCALAR_SIZE[et])
        p += n * SCALAR_SIZE[et]
      } else for (let i = 0; i < n; i++) readValue(et, key, at, true)
      return `[array of ${n}]`
    }
    info.issues.push(issue('MS-GG003', 'high', 'Unknown GGUF value type', `${key}: value type ${type}`, {key, offset: at}))
    throw new Fatal()
  }
}

const seenKeys = new WeakMap<GgufInfo, Set<string>>()

function checkKey(key: string, at: number, info: GgufInfo): void {
  let seen = seenKeys.get(info)
  if (!seen) seenKeys.set(info, (seen = new Set()))
  if (seen.has(key))
    info.issues.push(
      issue('MS-GG004', 'high', 'Duplicate GGUF key', `key "${key}" appears twice (ggml rejects the file; other readers keep one)`, {key, offset: at}),
    )
  seen.add(key)
  if (!key || !/^[\x20-\x7e]+$/.test(key) || !/^[a-z0-9_]+(\.[a-z0-9_-]+)*$/i.test(key)) {
    info.issues.push(
      issue('MS-GG004', 'medium', 'Malformed GGUF key', `key ${JSON.stringify(key.slice(0, 80))} is empty, non-ASCII or not dotted snake_case`, {
        key,
        offset: at,
      }),
    )
  }
}
