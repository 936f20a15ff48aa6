/**
 * PyTorch checkpoints (.pt/.pth/.bin/.ckpt) and bare pickles (.pkl/.pickle/.joblib), recognised by
 * content: the zip layout (every .pkl member analysed, `data/<key>` storages yielded as tensors),
 * the legacy stacked-pickle layout (magic, protocol, sys_info, object, storage keys, raw storages),
 * and plain pickle streams. Nothing is unpickled.
 */
import {InputError} from '../../errors.js'
import {analyzePickle, torchStorages, type PickleReport, type TorchStorageRef} from '../pickle/analyze.js'
import {readMember, readZip, type ZipEntry} from '../zip/reader.js'
import {FileSource, type FormatIssue, type TensorView} from '../tensor.js'

/** Largest pickle stream read into memory for analysis. */
export const MAX_PICKLE_BYTES = 256 << 20
const LEGACY_MAGIC = 'long:119547037146038801333356'
const KNOWN_PKL = /(^|\/)(data|constants|attributes)\.pkl$/

export interface TorchInfo {
  format: 'pytorch-zip' | 'pytorch-legacy' | 'pickle'
  tensors: TensorView[]
  issues: FormatIssue[]
  stats: Record<string, unknown>
}

const issue = (id: string, severity: FormatIssue['severity'], title: string, message: string, location?: FormatIssue['location']): FormatIssue => ({id, severity, title, message, ...(location ? {location} : {})})

export function isPickleStart(head: Uint8Array): boolean {
  // Protocol 2+ starts with PROTO; protocol 0/1 streams usually start with MARK, a dict/list or GLOBAL.
  return (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) || (head[0] === 0x28 && head.length > 1) || (head[0] === 0x7d && (head[1] === 0x71 || head[1] === 0x94 || head[1] === 0x28))
}

export async function readTorchZip(path: string): Promise<TorchInfo> {
  const src = await FileSource.open(path)
  try {
    const zip = await readZip(src)
    const issues = [...zip.issues]
    const tensors: TensorView[] = []
    const pkls = zip.entries.filter((e) => /\.pkl$/i.test(e.name) || /\.pkl$/i.test(e.localName ?? ''))
    if (!pkls.length) issues.push(issue('MS-PT003', 'medium', 'No pickle in PyTorch archive', 'the archive has no .pkl member (not a torch.save file)'))
    const tops = new Set(zip.entries.map((e) => e.name.split('/')[0]))
    if (tops.size > 1) issues.push(issue('MS-PT001', 'medium', 'Members outside one top-level folder', `archive members live under ${tops.size} top-level folders: ${[...tops].slice(0, 5).join(', ')}`))
    let storages = new Map<string, TorchStorageRef>()
    let dataPkl: ZipEntry | undefined
    for (const e of pkls) {
      if (!KNOWN_PKL.test(e.name)) issues.push(issue('MS-PT003', 'medium', 'Unexpected pickle member', `extra pickle "${e.name}" in the archive (analysed too)`, {member: e.name}))
      const bytes = await readMember(src, e, issues, MAX_PICKLE_BYTES)
      const rep = analyzePickle(bytes, {context: 'torch-zip', member: e.name, baseOffset: e.dataOffset})
      issues.push(...rep.issues)
      if (/(^|\/)data\.pkl$/.test(e.name)) {
        dataPkl = e
        const st = torchStorages(rep.walks, e.name, e.dataOffset)
        storages = st.storages
        issues.push(...st.issues)
      }
    }
    if (zip.entries.some((e) => /(^|\/)code\//.test(e.name))) {
      issues.push(issue('MS-PT003', 'info', 'TorchScript archive', 'the archive carries TorchScript code/ (runs when loaded with torch.jit.load)'))
    }
    const prefix = dataPkl ? dataPkl.name.slice(0, dataPkl.name.length - 'data.pkl'.length) : ''
    const used = new Set<string>()
    for (const e of zip.entries) {
      const m = /(^|\/)data\/([^/]+)$/.exec(e.name)
      if (!m || !e.name.startsWith(prefix)) continue
      const ref = storages.get(m[2])
      used.add(m[2])
      if (e.method !== 0 || e.dataOffset < 0) {
        issues.push(issue('MS-PT001', 'medium', 'Compressed storage', `storage "${e.name}" is not STORED; its bytes were not weight-checked`, {member: e.name}))
        continue
      }
      const len = Math.max(0, Math.min(e.compressedSize, src.size - e.dataOffset))
      if (!ref) {
        issues.push(issue('MS-PT005', 'medium', 'Unreferenced storage blob', `"${e.name}" is not referenced by data.pkl (scanned as raw bytes)`, {member: e.name}))
        tensors.push({name: e.name, dtype: 'u8', shape: [len], byteOffset: e.dataOffset, byteLength: len, file: path, member: e.name})
        continue
      }
      const want = ref.numel * ref.elementBytes
      if (len !== want) {
        const sev = len > want + (1 << 20) ? 'medium' : 'low'
        issues.push(issue('MS-PT005', sev, 'Storage size mismatch', `"${e.name}" holds ${len} bytes; data.pkl declares ${ref.numel} × ${ref.elementBytes}`, {member: e.name}))
      }
      tensors.push({name: `${m[2]} (${ref.storage})`, dtype: ref.dtype, sourceDType: ref.storage, shape: [ref.numel], byteOffset: e.dataOffset, byteLength: Math.min(len, want || len), file: path, member: e.name})
      if (len > want + (1 << 20)) tensors.push({name: `${e.name} (excess)`, dtype: 'u8', shape: [len - want], byteOffset: e.dataOffset + want, byteLength: len - want, file: path, member: e.name})
    }
    for (const key of storages.keys()) {
      if (!used.has(key)) issues.push(issue('MS-PK010', 'medium', 'Missing storage', `data.pkl references storage "${key}" but the archive has no data/${key}`))
    }
    return {format: 'pytorch-zip', tensors, issues, stats: {members: zip.entries.length, pickles: pkls.length, storages: storages.size}}
  } finally {
    await src.close()
  }
}

/** Legacy torch.save (< 1.6) or any bare pickle stream. */
export async function readPickleFile(path: string): Promise<TorchInfo> {
  const src = await FileSource.open(path)
  try {
    const len = Math.min(src.size, MAX_PICKLE_BYTES)
    const bytes = await src.read(0, len)
    const first = analyzePickle(bytes, {context: 'pickle', maxPickles: 1})
    const w0 = first.walks[0]
    const legacy = w0?.complete && w0.result?.t === 'str' && w0.result.v === LEGACY_MAGIC
    if (legacy) return await legacyTorch(src, bytes)
    const rep = analyzePickle(bytes, {context: 'pickle'})
    const issues = [...rep.issues]
    if (src.size > len && rep.end >= len) {
      throw new InputError('E_PICKLE_TOO_LARGE', `pickle stream continues past the ${MAX_PICKLE_BYTES}-byte analysis limit`)
    }
    if (rep.walks[0]?.result?.t === 'int' && rep.walks.length === 1 && rep.walks[0].globals.length === 0 && rep.end < src.size) {
      // A bare integer followed by more data: a legacy magic computed some other way is PTZ-004 territory.
      issues.push(issue('MS-PT004', 'medium', 'Unrecognised stacked stream', 'file starts with a bare integer pickle followed by more data'))
    }
    if (rep.end < src.size && rep.walks.every((w) => w.complete)) {
      issues.push(issue('MS-PK006', 'low', 'Data after pickle', `${src.size - rep.end} bytes follow the last pickle`, {byteStart: rep.end, byteEnd: src.size}))
    }
    const trailing: TensorView[] =
      rep.end < src.size && rep.walks.every((w) => w.complete)
        ? [{name: '(data after pickle)', dtype: 'u8', shape: [src.size - rep.end], byteOffset: rep.end, byteLength: src.size - rep.end, file: path}]
        : []
    return {format: 'pickle', tensors: trailing, issues, stats: {pickles: rep.walks.length, protocol: rep.walks[0]?.protocol ?? null}}
  } finally {
    await src.close()
  }
}

async function legacyTorch(src: FileSource, bytes: Uint8Array): Promise<TorchInfo> {
  const size = src.size
  const path = src.path
  const rep: PickleReport = analyzePickle(bytes, {context: 'torch-legacy', expected: 5, maxPickles: 5})
  const issues = [...rep.issues]
  const tensors: TensorView[] = []
  if (rep.walks.length < 5 || !rep.walks.every((w) => w.complete)) {
    issues.push(issue('MS-PT004', 'high', 'Broken legacy checkpoint', `legacy torch file has ${rep.walks.filter((w) => w.complete).length} of its 5 pickles`))
    return {format: 'pytorch-legacy', tensors, issues, stats: {pickles: rep.walks.length}}
  }
  if (rep.walks[0].globals.length || rep.walks[1].globals.length) {
    issues.push(issue('MS-PT004', 'critical', 'Legacy header pickles import code', 'the magic-number/protocol pickles of a legacy checkpoint contain imports'))
  }
  const {storages, issues: sIssues} = torchStorages([rep.walks[3]], undefined, 0)
  issues.push(...sIssues)
  const keys = rep.walks[4].strings
  let pos = rep.walks[4].end
  for (const key of keys) {
    const ref = storages.get(key)
    if (!ref || pos + 8 > size) {
      issues.push(issue('MS-PK010', 'medium', 'Legacy storage layout broken', `storage "${key}" cannot be located in the file`))
      break
    }
    const h = await src.read(pos, 8)
    const numel = Number(new DataView(h.buffer, h.byteOffset, 8).getBigInt64(0, true))
    const len = numel * ref.elementBytes
    if (numel < 0 || pos + 8 + len > size) {
      issues.push(issue('MS-PT005', 'high', 'Legacy storage past end of file', `storage "${key}" (${numel} elements) runs past the end of the file`, {byteStart: pos}))
      break
    }
    tensors.push({name: `${key} (${ref.storage})`, dtype: ref.dtype, sourceDType: ref.storage, shape: [numel], byteOffset: pos + 8, byteLength: len, file: path})
    pos += 8 + len
  }
  if (pos < size && tensors.length === keys.length) {
    issues.push(issue('MS-PT005', 'medium', 'Data after legacy storages', `${size - pos} bytes follow the last storage`, {byteStart: pos, byteEnd: size}))
    tensors.push({name: '(data after storages)', dtype: 'u8', shape: [size - pos], byteOffset: pos, byteLength: size - pos, file: path})
  }
  return {format: 'pytorch-legacy', tensors, issues, stats: {pickles: 5, storages: tensors.length}}
}
