/**
 * safetensors: `[u64 LE N][N bytes JSON header][data]`, validated with the reference loader's rules
 * (huggingface/safetensors `tensor.rs`; docs/design-notes.md §6, rules MS-ST001…012) plus the
 * duplicate-key rule the reference only documents. Only the header is read here; tensor bytes stay
 * in the file and are described by TensorViews.
 */
import {FileSource, type FormatIssue, formatIssue, type TensorDType, type TensorView} from '../tensor.js'
import {JsonNumberText, JsonSyntaxError, parseJsonStrict, type JsonValue} from './json.js'

/** The reference loader's cap (`MAX_HEADER_SIZE`). */
export const MAX_HEADER_SIZE = 100_000_000
/** Offsets and dims are integers below 2^48 (docs/safetensors.schema.json). */
const MAX_DIM = 2 ** 48
export const MAX_TENSORS = 1_000_000

/** dtype name → [normalised dtype, bits per element]. */
export const SAFETENSORS_DTYPES: Record<string, [TensorDType, number]> = {
  BOOL: ['bool', 8],
  F4: ['other', 4],
  F6_E2M3: ['other', 6],
  F6_E3M2: ['other', 6],
  U8: ['u8', 8],
  I8: ['i8', 8],
  F8_E5M2: ['f8', 8],
  F8_E4M3: ['f8', 8],
  F8_E8M0: ['f8', 8],
  F8_E4M3FNUZ: ['f8', 8],
  F8_E5M2FNUZ: ['f8', 8],
  I16: ['i16', 16],
  U16: ['u16', 16],
  F16: ['f16', 16],
  BF16: ['bf16', 16],
  I32: ['i32', 32],
  U32: ['u32', 32],
  F32: ['f32', 32],
  C64: ['c64', 64],
  F64: ['f64', 64],
  I64: ['i64', 64],
  U64: ['u64', 64],
}

export interface SafetensorsInfo {
  fileSize: number
  headerLength: number
  dataStart: number
  metadata: Record<string, string> | null
  /** Tensors whose bytes lie inside the file and whose size matches their shape (safe to read). */
  tensors: TensorView[]
  tensorCount: number
  issues: FormatIssue[]
  /** false when the header itself could not be read: nothing else was checked. */
  headerOk: boolean
  /** Data-section bytes no tensor covers (gaps, trailing bytes): absolute [start, end). */
  unreferenced: Array<[number, number]>
}

const issue = formatIssue

function isDim(v: JsonValue): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < MAX_DIM
}

export async function readSafetensors(path: string): Promise<SafetensorsInfo> {
  const src = await FileSource.open(path)
  try {
    return await readFrom(src)
  } finally {
    await src.close()
  }
}

async function readFrom(src: FileSource): Promise<SafetensorsInfo> {
  const info: SafetensorsInfo = {
    fileSize: src.size,
    headerLength: 0,
    dataStart: 0,
    metadata: null,
    tensors: [],
    tensorCount: 0,
    issues: [],
    headerOk: false,
    unreferenced: [],
  }
  const bad = (m: string) => info.issues.push(issue('MS-ST001', 'high', 'Invalid safetensors header length', m, {byteStart: 0, byteEnd: 8}))
  if (src.size < 8) {
    bad(`file has ${src.size} bytes, fewer than the 8-byte length prefix`)
    return info
  }
  const lenBytes = await src.read(0, 8)
  const n = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true)
  if (n === 0n || n > BigInt(MAX_HEADER_SIZE) || n > BigInt(src.size - 8)) {
    bad(
      `header length ${n} is ${n === 0n ? 'zero' : n > BigInt(MAX_HEADER_SIZE) ? `over the ${MAX_HEADER_SIZE}-byte cap` : `past the end of the ${src.size}-byte file`}`,
    )
    return info
  }
  const N = Number(n)
  info.headerLength = N
  info.dataStart = 8 + N
  const raw = await src.read(8, N)
  let text: string
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(raw)
  } catch {
    info.issues.push(issue('MS-ST002', 'high', 'Header is not valid UTF-8', 'the JSON header contains invalid UTF-8', {byteStart: 8, byteEnd: 8 + N}))
    return info
  }
  let parsed: ReturnType<typeof parseJsonStrict>
  try {
    if (text.trimStart()[0] !== '{') throw new JsonSyntaxError('header does not start with "{"', 0)
    parsed = parseJsonStrict(text)
    // The writer pads with spaces; anything else after the object is smuggled data.
    if (!/^[ ]*$/.test(text.slice(parsed.end))) throw new JsonSyntaxError('non-space bytes after the JSON object', parsed.end)
  } catch (err) {
    const msg = err instanceof JsonSyntaxError ? err.message : String(err)
    info.issues.push(issue('MS-ST002', 'high', 'Header is not a JSON object', `header JSON is invalid: ${msg}`, {byteStart: 8, byteEnd: 8 + N}))
    return info
  }
  info.headerOk = true
  for (const d of parsed.duplicates) {
    info.issues.push(
      issue('MS-ST003', 'high', 'Duplicate key in header', `key "${d.key}" appears more than once in ${d.path}; loaders disagree on which one wins`, {
        key: d.key,
        path: d.path,
      }),
    )
  }
  if (N % 8 !== 0)
    info.issues.push(issue('MS-ST012', 'info', 'Header not 8-byte aligned', `header length ${N} is not a multiple of 8 (the official writer pads it)`))
  const top = parsed.value as Record<string, JsonValue>
  const dataSize = src.size - 8 - N
  const entries: Array<{name: string; begin: number; end: number; dtype: TensorDType; sourceDType: string; shape: number[]; sizeOk: boolean}> = []
  for (const name of Object.keys(top)) {
    const v = top[name]
    if (name === '__metadata__') {
      info.metadata = checkMetadata(v, info.issues)
      continue
    }
    if (entries.length >= MAX_TENSORS) {
      info.issues.push(issue('MS-ST009', 'high', 'Too many tensors', `header lists more than ${MAX_TENSORS} tensors; the rest were not checked`))
      break
    }
    const loc = {tensor: name}
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof JsonNumberText) {
      info.issues.push(issue('MS-ST004', 'high', 'Invalid tensor entry', `entry "${name}" is not an object`, loc))
      continue
    }
    const e = v as Record<string, JsonValue>
    const extra = Object.keys(e).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets')
    if (extra.length)
      info.issues.push(
        issue(
          'MS-ST004',
          'medium',
          'Unexpected keys in tensor entry',
          `entry "${name}" has keys the format does not define: ${extra.slice(0, 5).join(', ')}`,
          loc,
        ),
      )
    const dt = typeof e.dtype === 'string' ? SAFETENSORS_DTYPES[e.dtype] : undefined
    const shapeOk = Array.isArray(e.shape) && e.shape.every(isDim)
    const offs = e.data_offsets
    const offsOk = Array.isArray(offs) && offs.length === 2 && isDim(offs[0]) && isDim(offs[1])
    if (!dt || !shapeOk || !offsOk) {
      const what = !dt
        ? `unknown dtype ${JSON.stringify(e.dtype ?? null).slice(0, 40)}`
        : !shapeOk
          ? 'shape is not a list of integers in [0, 2^48)'
          : 'data_offsets is not two integers in [0, 2^48)'
      info.issues.push(issue('MS-ST004', 'high', 'Invalid tensor entry', `entry "${name}": ${what}`, loc))
      continue
    }
    const shape = e.shape as number[]
    const [begin, end] = offs as [number, number]
    // Size check with BigInt: Π shape × bits must not overflow and must be whole bytes.
    let bits = BigInt(dt[1])
    for (const d of shape) bits *= BigInt(d)
    let sizeOk = end >= begin
    if (bits % 8n !== 0n || bits / 8n !== BigInt(end - begin)) {
      sizeOk = false
      info.issues.push(
        issue(
          'MS-ST005',
          'high',
          'Tensor size does not match its shape',
          `entry "${name}": ${e.dtype}${JSON.stringify(shape)} needs ${bits % 8n === 0n ? `${bits / 8n} bytes` : `${bits} bits (not whole bytes)`}, data_offsets span ${end - begin}`,
          {
            ...loc,
            byteStart: 8 + N + begin,
            byteEnd: 8 + N + end,
          },
        ),
      )
    }
    entries.push({name, begin, end, dtype: dt[0], sourceDType: e.dtype as string, shape, sizeOk})
  }
  info.tensorCount = entries.length
  info.unreferenced = checkLayout(entries, dataSize, N, info.issues)
  if (N > 1 << 20 && N > src.size / 10) {
    info.issues.push(issue('MS-ST009', 'low', 'Header amplification', `header is ${N} bytes, ${((100 * N) / src.size).toFixed(0)}% of the file`))
  }
  for (const e of entries) {
    if (!e.sizeOk || e.end > dataSize) continue
    info.tensors.push({
      name: e.name,
      dtype: e.dtype,
      sourceDType: e.sourceDType,
      shape: e.shape,
      byteOffset: 8 + N + e.begin,
      byteLength: e.end - e.begin,
      file: src.path,
    })
  }
  return info
}

function checkMetadata(v: JsonValue, issues: FormatIssue[]): Record<string, string> | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof JsonNumberText) {
    issues.push(issue('MS-ST007', 'medium', 'Bad __metadata__', '__metadata__ is not an object of strings'))
    return null
  }
  const out: Record<string, string> = Object.create(null)
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') {
      issues.push(issue('MS-ST007', 'medium', 'Bad __metadata__', `__metadata__["${k}"] is not a string (the reference loader rejects it)`, {key: k}))
    } else out[k] = val
  }
  return out
}

type Entry = {name: string; begin: number; end: number}

/** Sorted by offsets, tensors must tile [0, dataSize) exactly: no gap, overlap or trailing byte. */
function checkLayout(entries: Entry[], dataSize: number, N: number, issues: FormatIssue[]): Array<[number, number]> {
  const holes: Array<[number, number]> = []
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)
  let expect = 0
  let reported = 0
  const at = (e: Entry) => ({tensor: e.name, byteStart: 8 + N + e.begin, byteEnd: 8 + N + e.end})
  for (const e of sorted) {
    if (reported < 16) {
      if (e.end < e.begin) {
        issues.push(issue('MS-ST006', 'high', 'Tensor offsets reversed', `"${e.name}" ends (${e.end}) before it begins (${e.begin})`, at(e)))
        reported++
      } else if (e.begin < expect) {
        issues.push(
          issue('MS-ST006', 'high', 'Overlapping tensors', `"${e.name}" starts at ${e.begin}, inside the previous tensor (which ends at ${expect})`, at(e)),
        )
        reported++
      } else if (e.begin > expect) {
        holes.push([8 + N + expect, 8 + N + Math.min(e.begin, dataSize)])
        issues.push(
          issue('MS-ST006', 'high', 'Gap between tensors', `${e.begin - expect} unreferenced bytes before "${e.name}"`, {
            tensor: e.name,
            byteStart: 8 + N + expect,
            byteEnd: 8 + N + e.begin,
          }),
        )
        reported++
      }
      if (e.end > dataSize) {
        issues.push(
          issue('MS-ST006', 'high', 'Tensor past end of file', `"${e.name}" ends at data offset ${e.end}, past the ${dataSize}-byte data section`, at(e)),
        )
        reported++
      }
    }
    expect = Math.max(expect, e.end)
  }
  if (expect < dataSize) {
    holes.push([8 + N + expect, 8 + N + dataSize])
    issues.push(
      issue(
        'MS-ST006',
        'high',
        'Trailing bytes after tensors',
        `${dataSize - expect} bytes after the last tensor are not part of any tensor (polyglot/stash)`,
        {byteStart: 8 + N + expect, byteEnd: 8 + N + dataSize},
      ),
    )
  }
  return holes
}
