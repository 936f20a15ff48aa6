/**
 * FormatScanners for the weight formats: safetensors, PyTorch zip / .npz / other zips, pickles
 * (bare and legacy torch), NumPy .npy, GGUF, and recognised-but-unsupported formats. Each reads
 * its format's structure (src/formats/*), turns the reader's issues into findings and runs the
 * weight checks on every tensor (pool.ts spreads large files over worker threads).
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import path from 'node:path'

import {describeError, InputError} from '../../errors.js'
import {isGguf, readGguf} from '../../formats/gguf/reader.js'
import {isNpy, readNpy, readNpz} from '../../formats/numpy/reader.js'
import {analyzeContent, emptyResult, newBudget} from '../../formats/archive/reader.js'
import {readPickleFile, readTorchZip, type TorchInfo} from '../../formats/pytorch/reader.js'
import {looksLikePickle, sniffKind} from '../../formats/sniff.js'
import {MAX_HEADER_SIZE, readSafetensors} from '../../formats/safetensors/reader.js'
import {FileSource, type FormatIssue, type TensorView} from '../../formats/tensor.js'
import {readZip} from '../../formats/zip/reader.js'
import {createProgress} from '../../util/progress.js'
import {HEAD_BYTES, type FormatScanner, type ScanContext} from '../registry.js'
import type {FileReport, Finding} from '../types.js'
import {scanTensors} from './pool.js'
import {findSignatures} from './signatures.js'

export function issueToFinding(i: FormatIssue): Finding {
  return {id: i.id, category: i.category ?? 'format-violation', severity: i.severity, title: i.title, message: i.message, location: i.location ?? {}, ...(i.evidence ? {evidence: i.evidence} : {})}
}

async function weightFindings(tensors: TensorView[], ctx: ScanContext): Promise<Finding[]> {
  if (ctx.options.skipWeights) return []
  const total = tensors.reduce((s, t) => s + t.byteLength, 0)
  // Only big files get a bar (stderr, TTY only: createProgress decides).
  const progress = total >= 64 << 20 ? createProgress('checking weights') : undefined
  progress?.setTotal(total)
  try {
    return await scanTensors(tensors, {onProgress: (n) => progress?.advance(n)})
  } finally {
    progress?.done()
  }
}

function report(file: string, format: string, issues: FormatIssue[], extra: Finding[], stats: Record<string, unknown>): FileReport {
  return {path: file, format, status: 'scanned', findings: [...issues.map(issueToFinding), ...extra], stats}
}

/** The file was recognised but could not be read far enough to check its contents: exit 3. */
function errorReport(file: string, format: string, code: string, message: string, findings: Finding[] = []): FileReport {
  const d = describeError(new InputError(code, message))
  return {path: file, format, status: 'error', error: {code: d.code, message: d.message}, findings}
}

/** Strings (metadata values) checked for executables and long encoded blobs. */
function stringFindings(id: 'MS-ST008' | 'MS-GG011', entries: Iterable<[string, unknown]>): Finding[] {
  const out: Finding[] = []
  for (const [key, v] of entries) {
    if (typeof v !== 'string' || v.length < 64 || key.startsWith('tokenizer.chat_template')) continue
    const sig = findSignatures(new TextEncoder().encode(v), 0, 1)[0]
    if (sig) {
      out.push({id, category: 'embedded-payload', severity: 'medium', title: 'Executable or archive in metadata', message: `metadata "${key}" holds a ${sig.detail}`, location: {key}, evidence: {signature: sig.kind}})
    } else if (/[A-Za-z0-9+/]{4096,}={0,2}/.test(v)) {
      out.push({id, category: 'embedded-payload', severity: 'low', title: 'Long encoded blob in metadata', message: `metadata "${key}" holds a base64-like run of 4 KiB or more`, location: {key}})
    }
  }
  return out
}

const lower = (f: string) => f.toLowerCase()

export const safetensorsScanner: FormatScanner = {
  format: 'safetensors',
  priority: 10,
  extensions: ['.safetensors'],
  detect(head) {
    if (head.length < 10) return false
    const n = head.readBigUInt64LE(0)
    if (n < 2n || n > BigInt(MAX_HEADER_SIZE)) return false
    let i = 8
    while (i < head.length && head[i] === 0x20) i++
    return head[i] === 0x7b && (head[i + 1] === 0x22 || head[i + 1] === 0x7d || head[i + 1] === 0x20 || head[i + 1] === 0x0a)
  },
  async scan(file, ctx) {
    const info = await readSafetensors(file)
    if (!info.headerOk) return errorReport(file, 'safetensors', 'E_SAFETENSORS_HEADER', info.issues[0]?.message ?? 'unreadable header', info.issues.map(issueToFinding))
    const holes: TensorView[] = info.unreferenced.map(([s, e]) => ({name: `(unreferenced bytes ${s}-${e})`, dtype: 'u8', shape: [e - s], byteOffset: s, byteLength: e - s, file}))
    const extra = [...stringFindings('MS-ST008', Object.entries(info.metadata ?? {})), ...(await zipTail(file, info.fileSize)), ...(await weightFindings([...info.tensors, ...holes], ctx))]
    return report(file, 'safetensors', info.issues, extra, {tensors: info.tensorCount, headerBytes: info.headerLength, bytesChecked: info.tensors.reduce((s, t) => s + t.byteLength, 0)})
  },
}

/** A zip end record ending the file makes it a zip too (polyglot; MS-ST011). */
async function zipTail(file: string, size: number): Promise<Finding[]> {
  const src = await FileSource.open(file)
  try {
    const n = Math.min(size, 65_557)
    const tail = await src.read(size - n, n)
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 5 && tail[i + 3] === 6 && i + 22 + (tail[i + 20] | (tail[i + 21] << 8)) === tail.length) {
        return [{id: 'MS-ST011', category: 'format-violation', severity: 'high', title: 'Zip polyglot', message: 'a zip end-of-central-directory record ends the file: zip readers see an archive inside it', location: {byteStart: size - n + i, byteEnd: size}}]
      }
    }
    return []
  } finally {
    await src.close()
  }
}

/**
 * True when the file ends with a zip end-of-central-directory record — how Python's zipfile (and
 * so many loaders) recognise a zip, whatever precedes it.
 */
function endsWithZip(file: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    const size = fstatSync(fd).size
    const n = Math.min(size, 65_557)
    if (n < 22) return false
    const tail = Buffer.alloc(n)
    readSync(fd, tail, 0, n, size - n)
    for (let i = n - 22; i >= 0; i--) {
      if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 5 && tail[i + 3] === 6 && i + 22 + tail.readUInt16LE(i + 20) === n) return true
    }
    return false
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Turns a reader's result into a report; content it could not open makes the file unsupported (exit 3). */
async function torchReport(file: string, t: TorchInfo, ctx: ScanContext): Promise<FileReport> {
  const r = report(file, t.format, t.issues, await weightFindings(t.tensors, ctx), t.stats)
  if (t.unsupported?.length) {
    r.status = 'unsupported'
    r.findings.push({id: 'MS-UN001', category: 'unsupported', severity: 'info', title: 'Content not opened', message: `not fully scanned (not clean): ${t.unsupported.slice(0, 5).join('; ')}${t.unsupported.length > 5 ? ` and ${t.unsupported.length - 5} more` : ''}`, location: {}})
  }
  return r
}

export const zipScanner: FormatScanner = {
  format: 'pytorch-zip',
  priority: 5,
  extensions: ['.pt', '.pth', '.ckpt', '.npz', '.zip'],
  detect(head, file) {
    if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) return true
    return endsWithZip(file)
  },
  async scan(file, ctx) {
    const src = await FileSource.open(file)
    let names: string[]
    try {
      names = (await readZip(src)).entries.map((e) => e.name)
    } finally {
      await src.close()
    }
    if (names.length && names.every((n) => /\.npy$/i.test(n))) {
      const z = await readNpz(file)
      return report(file, 'npz', z.issues, await weightFindings(z.tensors, ctx), z.stats)
    }
    const keras = names.includes('config.json') && names.some((n) => /\.weights\.h5$|metadata\.json$/.test(n))
    if (keras) return unsupportedReport(file, 'keras', 'Keras v3 (.keras) archive')
    // PyTorch checkpoints and any other zip: every member recognised and analysed by content.
    return torchReport(file, await readTorchZip(file), ctx)
  },
}

export const pickleScanner: FormatScanner = {
  format: 'pickle',
  priority: 3,
  // Not .bin/.dat: raw ONNX external-data files use those names and are no pickles.
  extensions: ['.pkl', '.pickle', '.joblib', '.pt', '.pth', '.ckpt'],
  // By content only: CPython starts a stream at any opcode, so the walk itself decides (a file
  // named .bin or .pt that starts with "(", "V" or "c" is a pickle when it walks like one).
  detect(head) {
    return looksLikePickle(head, head.length < HEAD_BYTES)
  },
  async scan(file, ctx) {
    return torchReport(file, await readPickleFile(file), ctx)
  },
}

/** Compressed wrappers and non-zip archives (gzip, zlib, tar, tar.gz; 7z/bzip2/xz/zstd/rar: unsupported). */
export const archiveScanner: FormatScanner = {
  format: 'archive',
  priority: 4,
  extensions: ['.gz', '.tgz', '.tar', '.z', '.bz2', '.xz', '.lzma', '.zst', '.7z', '.rar'],
  detect(head) {
    return ['gzip', 'zlib', 'tar', 'bzip2', 'xz', 'zstd', '7z', 'rar'].includes(sniffKind(head.subarray(0, 4096)))
  },
  async scan(file, ctx) {
    const src = await FileSource.open(file)
    let bytes: Uint8Array
    try {
      if (src.size > MAX_ARCHIVE_FILE) return errorReport(file, 'archive', 'E_ARCHIVE_TOO_LARGE', `archive of ${src.size} bytes is over the ${MAX_ARCHIVE_FILE}-byte analysis limit`)
      bytes = await src.read(0, src.size)
    } finally {
      await src.close()
    }
    const kind = sniffKind(bytes.subarray(0, 4096), bytes.length <= 4096)
    const out = await analyzeContent(bytes, path.basename(file), 0, newBudget(), emptyResult())
    const t: TorchInfo = {format: 'zip', tensors: out.tensors, issues: out.issues, unsupported: out.unsupported, stats: {container: kind, members: out.members, pickles: out.pickles}}
    const r = await torchReport(file, t, ctx)
    r.format = kind === 'unknown' ? 'archive' : kind
    return r
  },
}

/** Largest archive/compressed file read into memory for analysis. */
export const MAX_ARCHIVE_FILE = 256 << 20

export const numpyScanner: FormatScanner = {
  format: 'numpy',
  priority: 10,
  extensions: ['.npy'],
  detect: (head) => isNpy(head),
  async scan(file, ctx) {
    const n = await readNpy(file)
    const bad = n.issues.find((i) => i.id === 'MS-NP001')
    if (bad) return errorReport(file, 'numpy', 'E_NPY_HEADER', bad.message, n.issues.map(issueToFinding))
    return report(file, 'numpy', n.issues, await weightFindings(n.tensors, ctx), n.stats)
  },
}

export const ggufScanner: FormatScanner = {
  format: 'gguf',
  priority: 10,
  extensions: ['.gguf'],
  detect: (head) => isGguf(head),
  async scan(file, ctx) {
    const g = await readGguf(file)
    if (g.version !== 2 && g.version !== 3) {
      return {path: file, format: 'gguf', status: 'unsupported', findings: g.issues.map(issueToFinding), stats: {version: g.version}}
    }
    return report(file, 'gguf', g.issues, [...stringFindings('MS-GG011', g.metadata), ...(await weightFindings(g.tensors, ctx))], g.stats)
  },
}

function unsupportedReport(file: string, format: string, what: string, extra: Finding[] = []): FileReport {
  return {
    path: file,
    format,
    status: 'unsupported',
    findings: [
      ...extra,
      {id: 'MS-UN001', category: 'unsupported', severity: 'info', title: 'Model format not supported', message: `${what}: modelseal does not analyse this format; it was not checked (not clean)`, location: {}},
    ],
  }
}

/** Magic → description, for formats recognised but not analysed. */
const UNSUPPORTED: Array<[(h: Buffer, f: string) => boolean, string, string]> = [
  [(h) => h.subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])), 'hdf5', 'HDF5 file (Keras H5 models can carry Lambda-layer code)'],
  [(h) => h.subarray(4, 8).toString('latin1') === 'TFL3', 'tflite', 'TensorFlow Lite flatbuffer'],
  [(_h, f) => path.basename(f) === 'saved_model.pb' || path.basename(f) === 'saved_model.pbtxt', 'tf-savedmodel', 'TensorFlow SavedModel graph (can call ReadFile/WriteFile ops)'],
  [(h) => ['lmgg', 'fmgg', 'tjgg', 'algg', 'asgg'].includes(h.subarray(0, 4).toString('latin1')), 'ggml-legacy', 'legacy GGML/GGMF/GGJT model (pre-GGUF)'],
  [(_h, f) => /\.(mlmodel|msgpack|pdparams|caffemodel|nemo|mar|engine|plan|keras|h5|hdf5|tflite)$/.test(lower(f)), 'unknown', 'model file in a format modelseal does not analyse'],
]

export const unsupportedScanner: FormatScanner = {
  format: 'unsupported',
  priority: -50,
  detect(head, file) {
    return executableKind(head) !== null || UNSUPPORTED.some(([m]) => m(head, file))
  },
  async scan(file) {
    const {readHead} = await import('../../formats/tensor.js')
    const head = Buffer.from(await readHead(file, 512))
    const exe = executableKind(head)
    if (exe) {
      return unsupportedReport(file, 'executable', `${exe}`, [
        {id: 'MS-UN002', category: 'embedded-payload', severity: 'high', title: 'Executable file in model set', message: `the file is a ${exe}, not a model`, location: {byteStart: 0}},
      ])
    }
    const hit = UNSUPPORTED.find(([m]) => m(head, file))!
    return unsupportedReport(file, hit[1], hit[2])
  },
}

function executableKind(h: Buffer): string | null {
  const sig = findSignatures(new Uint8Array(h.buffer, h.byteOffset, Math.min(h.length, 4160)), 0, 1)[0]
  if (sig && sig.offset === 0 && (sig.kind === 'elf' || sig.kind === 'pe' || sig.kind === 'macho' || sig.kind === 'script')) return sig.detail
  return null
}

export const WEIGHT_SCANNERS: FormatScanner[] = [safetensorsScanner, ggufScanner, numpyScanner, zipScanner, archiveScanner, pickleScanner, unsupportedScanner]
