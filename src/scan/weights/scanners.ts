/**
 * FormatScanners for the weight formats: safetensors, PyTorch zip / .npz / other zips, pickles
 * (bare and legacy torch), NumPy .npy, GGUF, and recognised-but-unsupported formats. Each reads
 * its format's structure (src/formats/*), turns the reader's issues into findings and runs the
 * weight checks on every tensor (pool.ts spreads large files over worker threads).
 */
import path from 'node:path'

import {describeError, InputError} from '../../errors.js'
import {isGguf, readGguf} from '../../formats/gguf/reader.js'
import {isNpy, readNpy, readNpz} from '../../formats/numpy/reader.js'
import {isPickleStart, readPickleFile, readTorchZip} from '../../formats/pytorch/reader.js'
import {MAX_HEADER_SIZE, readSafetensors} from '../../formats/safetensors/reader.js'
import {FileSource, type FormatIssue, type TensorView} from '../../formats/tensor.js'
import {readZip} from '../../formats/zip/reader.js'
import {readFileHead} from '../../io/index.js'
import {createProgress} from '../../util/progress.js'
import type {FormatScanner, ScanContext} from '../registry.js'
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

export const zipScanner: FormatScanner = {
  format: 'pytorch-zip',
  priority: 5,
  extensions: ['.pt', '.pth', '.ckpt', '.npz'],
  detect(head) {
    return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4
  },
  async scan(file, ctx) {
    const src = await FileSource.open(file)
    let names: string[]
    try {
      names = (await readZip(src)).entries.map((e) => e.name)
    } finally {
      await src.close()
    }
    if (names.some((n) => /\.pkl$/i.test(n))) {
      const t = await readTorchZip(file)
      return report(file, t.format, t.issues, await weightFindings(t.tensors, ctx), t.stats)
    }
    if (names.length && names.every((n) => /\.npy$/i.test(n))) {
      const z = await readNpz(file)
      return report(file, 'npz', z.issues, await weightFindings(z.tensors, ctx), z.stats)
    }
    const keras = names.includes('config.json') && names.some((n) => /\.weights\.h5$|metadata\.json$/.test(n))
    const what = keras ? 'Keras v3 (.keras) archive' : `zip archive without pickles or arrays (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`
    return unsupportedReport(file, keras ? 'keras' : 'zip', what)
  },
}

export const pickleScanner: FormatScanner = {
  format: 'pickle',
  priority: 3,
  // Not .bin/.dat: raw ONNX external-data files use those names and are no pickles.
  extensions: ['.pkl', '.pickle', '.joblib', '.pt', '.pth', '.ckpt'],
  detect(head, file) {
    if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return true
    // Protocol 0: a GLOBAL as first opcode is how the classic "cos\nsystem\n" payload starts.
    if (/^c[A-Za-z_][\w.]{0,100}\n[A-Za-z_][\w.]{0,100}\n/.test(head.subarray(0, 220).toString('latin1'))) return true
    return isPickleStart(head) && /\.(pkl|pickle|joblib|pt|pth|ckpt)$/.test(lower(file))
  },
  async scan(file, ctx) {
    const t = await readPickleFile(file)
    return report(file, t.format, t.issues, await weightFindings(t.tensors, ctx), t.stats)
  },
}

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
  [(h) => h.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])), '7z', '7z archive (may wrap pickles)'],
  [(h) => h.length > 262 && h.subarray(257, 262).toString('latin1') === 'ustar', 'tar', 'tar archive (legacy torch.save or a wrapper)'],
  [(h) => h[0] === 0x1f && h[1] === 0x8b, 'gzip', 'gzip-compressed file'],
  [(_h, f) => /\.(mlmodel|msgpack|pdparams|caffemodel|nemo|mar|engine|plan|keras|h5|hdf5|tflite)$/.test(lower(f)), 'unknown', 'model file in a format modelseal does not analyse'],
]

export const unsupportedScanner: FormatScanner = {
  format: 'unsupported',
  priority: -50,
  detect(head, file) {
    return executableKind(head) !== null || UNSUPPORTED.some(([m]) => m(head, file))
  },
  async scan(file) {
    const {head} = readFileHead(file, 512, {followSymlinks: true})
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

export const WEIGHT_SCANNERS: FormatScanner[] = [safetensorsScanner, ggufScanner, numpyScanner, zipScanner, pickleScanner, unsupportedScanner]
