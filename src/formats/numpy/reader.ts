/**
 * NumPy `.npy` (magic `\x93NUMPY`, a Python-literal header dict, raw data) and `.npz` (a zip of
 * .npy members). Object arrays (`descr` 'O') are pickles inside: their stream is analysed like
 * any other pickle. Header dicts are parsed with a strict little grammar, never evaluated.
 */
import {analyzePickle} from '../pickle/analyze.js'
import {descrHasObject, parsePyLiteral, type PyLit} from './literal.js'
import {FileSource, type FormatIssue, formatIssue, type TensorDType, type TensorView} from '../tensor.js'
import {MAX_INFLATE, readMember, readZip} from '../zip/reader.js'

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]
export const MAX_NPY_HEADER = 1 << 20
const MAX_OBJECT_PICKLE = 256 << 20

const KINDS: Record<string, TensorDType> = {
  f8: 'f64',
  f4: 'f32',
  f2: 'f16',
  i8: 'i64',
  i4: 'i32',
  i2: 'i16',
  i1: 'i8',
  u8: 'u64',
  u4: 'u32',
  u2: 'u16',
  u1: 'u8',
  b1: 'bool',
  c8: 'c64',
  c16: 'c128',
}

export interface NpyHeader {
  descr: string
  fortran: boolean
  shape: number[]
  dataOffset: number
  dtype: TensorDType
  itemSize: number
  object: boolean
}

const issue = formatIssue

export function isNpy(head: Uint8Array): boolean {
  return NPY_MAGIC.every((b, i) => head[i] === b)
}

/** Parses the header at the start of `b` (the first bytes of an .npy stream). Returns an error string when invalid. */
export function parseNpyHeader(b: Uint8Array): NpyHeader | string {
  if (b.length < 10 || !isNpy(b)) return 'missing \\x93NUMPY magic'
  const major = b[6]
  if (major < 1 || major > 3) return `unsupported .npy version ${major}`
  const hlen = major === 1 ? b[8] | (b[9] << 8) : (b[8] | (b[9] << 8) | (b[10] << 16) | (b[11] << 24)) >>> 0
  const start = major === 1 ? 10 : 12
  if (hlen > MAX_NPY_HEADER) return `header length ${hlen} over the limit`
  if (start + hlen > b.length) return 'header runs past the end of the data'
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(b.subarray(start, start + hlen))
  // numpy reads the header with ast.literal_eval: parse it with Python's literal rules (quotes of
  // either kind, duplicate keys where the last wins, nested structured dtypes), never a regex.
  let lit: PyLit
  try {
    lit = parsePyLiteral(text.replace(/\s+$/, ''))
  } catch (err) {
    return `header is not a Python literal (${(err as Error).message})`
  }
  if (!(lit instanceof Map)) return 'header is not a dict literal'
  const keys = [...lit.keys()].sort().join(',')
  if (keys !== 'descr,fortran_order,shape') return `header keys are ${keys || 'missing'} (numpy requires descr, fortran_order, shape)`
  const descr = lit.get('descr')!
  const fortran = lit.get('fortran_order')
  const shape = lit.get('shape')
  if (typeof fortran !== 'boolean') return "'fortran_order' is not a bool"
  if (!shape || typeof shape !== 'object' || !('tuple' in shape) || !shape.tuple.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0))
    return "'shape' is not a tuple of non-negative integers"
  const object = descrHasObject(descr)
  const d = typeof descr === 'string' ? descr : 'V'
  const k = /^[<|=]?([fiucb])(\d+)$/.exec(d)
  const dtype = k ? (KINDS[`${k[1]}${k[2]}`] ?? 'other') : 'other'
  const itemSize = k ? Number(k[2]) : 0
  return {
    descr: typeof descr === 'string' ? descr : JSON.stringify(literalJson(descr)).slice(0, 200),
    fortran,
    shape: shape.tuple as number[],
    dataOffset: start + hlen,
    dtype: d.startsWith('>') ? 'other' : dtype,
    itemSize,
    object,
  }
}

function literalJson(v: PyLit): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, literalJson(x)]))
  if (Array.isArray(v)) return v.map(literalJson)
  if (v && typeof v === 'object') return v.tuple.map(literalJson)
  return v
}

export interface NumpyInfo {
  format: 'numpy' | 'npz'
  tensors: TensorView[]
  issues: FormatIssue[]
  stats: Record<string, unknown>
}

/** Checks one .npy stream whose bytes start at `base` (in `src`), returning its tensor or pickle issues. */
async function checkNpy(
  src: FileSource,
  name: string,
  base: number,
  length: number,
  mem: Uint8Array | null,
  member: string | undefined,
  issues: FormatIssue[],
): Promise<TensorView | null> {
  const head = mem ? mem.subarray(0, Math.min(mem.length, MAX_NPY_HEADER + 12)) : await src.read(base, Math.min(length, MAX_NPY_HEADER + 12))
  const h = parseNpyHeader(head)
  const at = {...(member ? {member} : {}), byteStart: base}
  if (typeof h === 'string') {
    issues.push(issue('MS-NP001', 'high', 'Invalid .npy header', `${name}: ${h}`, at))
    return null
  }
  const dataLen = length - h.dataOffset
  if (h.object) {
    issues.push(issue('MS-NP002', 'medium', 'Object array (pickle inside)', `${name} is an object array: numpy.load(allow_pickle=True) unpickles it`, at))
    if (dataLen > MAX_OBJECT_PICKLE) {
      issues.push(issue('MS-NP002', 'high', 'Object array too large to analyse', `${name}: ${dataLen}-byte pickle not analysed`, at))
      return null
    }
    const bytes = mem ? mem.subarray(h.dataOffset) : await src.read(base + h.dataOffset, dataLen)
    issues.push(...analyzePickle(bytes, {context: 'numpy', member, baseOffset: mem ? 0 : base + h.dataOffset}).issues)
    return null
  }
  let want = h.itemSize
  for (const d of h.shape) want *= d
  if (h.dtype !== 'other' && want !== dataLen) {
    issues.push(issue('MS-NP003', 'high', 'Array size mismatch', `${name}: ${h.descr}(${h.shape.join(', ')}) needs ${want} bytes, file has ${dataLen}`, at))
  }
  const len = h.dtype === 'other' ? dataLen : Math.min(want, dataLen)
  if (len <= 0) return null
  const view: TensorView = {
    name,
    dtype: h.dtype,
    sourceDType: h.descr,
    shape: h.shape,
    byteOffset: base + h.dataOffset,
    byteLength: len,
    ...(member ? {member} : {}),
  }
  if (mem) view.data = mem.subarray(h.dataOffset, h.dataOffset + len)
  else view.file = src.path
  return view
}

export async function readNpy(path: string): Promise<NumpyInfo> {
  const src = await FileSource.open(path)
  try {
    const issues: FormatIssue[] = []
    const t = await checkNpy(src, path.split(/[/\\]/).pop() ?? path, 0, src.size, null, undefined, issues)
    return {format: 'numpy', tensors: t ? [t] : [], issues, stats: {}}
  } finally {
    await src.close()
  }
}

export async function readNpz(path: string): Promise<NumpyInfo> {
  const src = await FileSource.open(path)
  try {
    const zip = await readZip(src)
    const issues = [...zip.issues]
    const tensors: TensorView[] = []
    for (const e of zip.entries) {
      if (!/\.npy$/i.test(e.name)) {
        issues.push(issue('MS-NP004', 'medium', 'Unexpected member in .npz', `member "${e.name}" is not an .npy array`, {member: e.name}))
        continue
      }
      if (e.method === 0 && e.dataOffset >= 0) {
        const t = await checkNpy(src, e.name, e.dataOffset, Math.min(e.compressedSize, src.size - e.dataOffset), null, e.name, issues)
        if (t) tensors.push(t)
      } else {
        // np.savez_compressed: inflate (bounded) and scan from memory.
        const mem = await readMember(src, e, issues, MAX_INFLATE)
        const t = await checkNpy(src, e.name, 0, mem.length, mem, e.name, issues)
        if (t) tensors.push(t)
      }
    }
    return {format: 'npz', tensors, issues, stats: {members: zip.entries.length}}
  } finally {
    await src.close()
  }
}
