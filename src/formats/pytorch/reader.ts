/**
 * PyTorch checkpoints (.pt/.pth/.bin/.ckpt) and bare pickles (.pkl/.pickle/.joblib), recognised by
 * content: the zip layout (every .pkl member analysed, `data/<key>` storages yielded as tensors),
 * the legacy stacked-pickle layout (magic, protocol, sys_info, object, storage keys, raw storages),
 * and plain pickle streams. Nothing is unpickled.
 */
import {InputError} from '../../errors.js'
import {analyzePickle, torchStorages, type PickleReport, type TorchStorageRef} from '../pickle/analyze.js'
import {analyzeContent, emptyResult, newBudget} from '../archive/reader.js'
import {endsWithZipRecord, sniffKind, ZIP_TAIL, type ContentKind} from '../sniff.js'
import {MAX_INFLATE, readMember, readZip, type ZipEntry} from '../zip/reader.js'
import {FileSource, type FormatIssue, formatIssue, type TensorView} from '../tensor.js'

/** Largest pickle stream read into memory for analysis. */
export const MAX_PICKLE_BYTES = 256 << 20
const LEGACY_MAGIC = 'long:119547037146038801333356'
const KNOWN_PKL = /(^|\/)(data|constants|attributes)\.pkl$/

export interface TorchInfo {
  format: 'pytorch-zip' | 'pytorch-legacy' | 'pickle' | 'zip'
  tensors: TensorView[]
  issues: FormatIssue[]
  /** Content found but not opened (7z/encrypted members...): the file is not fully scanned. */
  unsupported?: string[]
  stats: Record<string, unknown>
}

const issue = formatIssue

export async function readTorchZip(path: string): Promise<TorchInfo> {
  const src = await FileSource.open(path)
  try {
    const zip = await readZip(src)
    const issues = [...zip.issues]
    const tensors: TensorView[] = []
    const budget = newBudget()
    const nested = emptyResult()
    if (zip.prefix > 0) {
      // A loader that looks at the first bytes (torch.load: "is it PK?") reads this part instead.
      await analyzeContent(await src.read(0, Math.min(zip.prefix, MAX_PICKLE_BYTES)), '(data before the zip)', 1, budget, nested)
    }
    // Bytes no member accounts for (a hidden local entry, a stash) are content too.
    for (const [a, b] of (zip.gaps ?? []).slice(0, 64)) {
      if (budget.bytes <= 0) break
      await analyzeContent(await src.read(a, Math.min(b - a, MAX_PICKLE_BYTES)), `(bytes ${a}-${b} outside any member)`, 1, budget, nested)
    }
    // Every member is recognised by content: a pickle named notes.txt is a pickle.
    const kinds = new Map<ZipEntry, ContentKind>()
    for (const e of zip.entries) {
      if (e.dataOffset < 0 || (e.name.endsWith('/') && e.uncompressedSize === 0)) continue
      // An "encrypted" flag is no proof of encryption (CVE-2025-1945: flip the bit, loaders still
      // read the member): the content is sniffed like any other and only unrecognised bytes of a
      // flagged member count as not scanned.
      if (e.method === 0) {
        const n = Math.max(0, Math.min(e.compressedSize, src.size - e.dataOffset))
        let kind = sniffKind(await src.read(e.dataOffset, Math.min(n, 4096)), n <= 4096)
        // A member that ends like a zip is one (whatever precedes it), as for whole files.
        if (kind === 'unknown' && n > 4096 && endsWithZipRecord(await src.read(e.dataOffset + n - Math.min(n, ZIP_TAIL), Math.min(n, ZIP_TAIL)))) kind = 'zip'
        kinds.set(e, kind)
      } else kinds.set(e, 'unknown') // deflated members are read whole below
    }
    const pkls = zip.entries.filter(
      (e) => KNOWN_PKL.test(e.name) || KNOWN_PKL.test(e.localName ?? '') || kinds.get(e) === 'pickle' || (/\.pkl$/i.test(e.name) && kinds.has(e)),
    )
    const tops = new Set(zip.entries.map((e) => e.name.split('/')[0]))
    if (tops.size > 1)
      issues.push(
        issue(
          'MS-PT001',
          'medium',
          'Members outside one top-level folder',
          `archive members live under ${tops.size} top-level folders: ${[...tops].slice(0, 5).join(', ')}`,
        ),
      )
    let storages = new Map<string, TorchStorageRef>()
    let dataPkl: ZipEntry | undefined
    let pickles = 0
    // data.pkl first: it says which members are tensor storages.
    pkls.sort((a, b) => Number(/(^|\/)data\.pkl$/.test(b.name)) - Number(/(^|\/)data\.pkl$/.test(a.name)))
    const done = new Set<ZipEntry>()
    for (const e of pkls) {
      if (!KNOWN_PKL.test(e.name))
        issues.push(
          issue('MS-PT003', 'medium', 'Unexpected pickle member', `member "${e.name}" is a pickle (found by content; analysed too)`, {member: e.name}),
        )
      const bytes = await readMember(src, e, issues, MAX_PICKLE_BYTES)
      done.add(e)
      const actual = sniffKind(bytes.subarray(0, 4096), bytes.length <= 4096)
      if ((actual !== 'pickle' && actual !== 'unknown') || (bytes.length > 22 && endsWithZipRecord(bytes.subarray(Math.max(0, bytes.length - ZIP_TAIL))))) {
        // Named like a pickle, but an archive or array inside (or a pickle+zip polyglot): judged by what it is.
        await analyzeContent(bytes, e.name, 1, budget, nested)
        continue
      }
      const rep = analyzePickle(bytes, {context: 'torch-zip', member: e.name, baseOffset: e.method === 0 ? e.dataOffset : 0})
      issues.push(...rep.issues)
      pickles++
      if (!dataPkl && /(^|\/)data\.pkl$/.test(e.name)) {
        dataPkl = e
        const st = torchStorages(rep.walks, e.name, e.dataOffset)
        storages = st.storages
        issues.push(...st.issues)
      }
    }
    const torch = !!dataPkl
    if (zip.entries.some((e) => /(^|\/)code\//.test(e.name))) {
      issues.push(issue('MS-PT003', 'info', 'TorchScript archive', 'the archive carries TorchScript code/ (runs when loaded with torch.jit.load)'))
    }
    const prefix = dataPkl ? dataPkl.name.slice(0, dataPkl.name.length - 'data.pkl'.length) : ''
    const used = new Set<string>()
    for (const e of zip.entries) {
      if (done.has(e) || e.dataOffset < 0 || (e.name.endsWith('/') && e.uncompressedSize === 0)) continue
      if (e.flags & 1 && (kinds.get(e) ?? 'unknown') === 'unknown' && e.method === 0) {
        nested.unsupported.push(`${e.name}: encrypted`)
        continue
      }
      const m = torch ? /(^|\/)data\/([^/]+)$/.exec(e.name) : null
      const ref = m && e.name.startsWith(prefix) ? storages.get(m[2]) : undefined
      const kind = kinds.get(e) ?? 'unknown'
      if (!ref && (e.method !== 0 || kind !== 'unknown')) {
        // Archives, compressed blobs, arrays, deflated members: opened and analysed by content.
        if (e.method !== 0 && e.method !== 8) {
          nested.unsupported.push(`${e.name}: compression method ${e.method}`)
          continue
        }
        try {
          const bytes = await readMember(src, e, issues, Math.min(MAX_INFLATE, budget.bytes))
          budget.bytes -= e.method === 8 ? bytes.length : 0
          await analyzeContent(bytes, e.name, 1, budget, nested)
        } catch (err) {
          issues.push(issue('MS-AR003', 'medium', 'Unreadable archive member', `${e.name}: ${(err as Error).message}`, {member: e.name}))
          nested.unsupported.push(`${e.name}: unreadable`)
        }
        continue
      }
      const len = Math.max(0, Math.min(e.compressedSize, src.size - e.dataOffset))
      if (!ref) {
        if (m && e.name.startsWith(prefix))
          issues.push(
            issue('MS-PT005', 'medium', 'Unreferenced storage blob', `"${e.name}" is not referenced by data.pkl (scanned as raw bytes)`, {member: e.name}),
          )
        if (len) tensors.push({name: e.name, dtype: 'u8', shape: [len], byteOffset: e.dataOffset, byteLength: len, file: path, member: e.name})
        continue
      }
      if (e.method !== 0) {
        issues.push(issue('MS-PT001', 'medium', 'Compressed storage', `storage "${e.name}" is not STORED; its bytes were not weight-checked`, {member: e.name}))
        continue
      }
      used.add(m![2])
      const want = ref.numel * ref.elementBytes
      if (len !== want) {
        const sev = len > want + (1 << 20) ? 'medium' : 'low'
        issues.push(
          issue('MS-PT005', sev, 'Storage size mismatch', `"${e.name}" holds ${len} bytes; data.pkl declares ${ref.numel} × ${ref.elementBytes}`, {
            member: e.name,
          }),
        )
      }
      tensors.push({
        name: `${m![2]} (${ref.storage})`,
        dtype: ref.dtype,
        sourceDType: ref.storage,
        shape: [ref.numel],
        byteOffset: e.dataOffset,
        byteLength: Math.min(len, want || len),
        file: path,
        member: e.name,
      })
      if (len > want + (1 << 20))
        tensors.push({
          name: `${e.name} (excess)`,
          dtype: 'u8',
          shape: [len - want],
          byteOffset: e.dataOffset + want,
          byteLength: len - want,
          file: path,
          member: e.name,
        })
    }
    for (const key of storages.keys()) {
      if (!used.has(key)) issues.push(issue('MS-PK010', 'medium', 'Missing storage', `data.pkl references storage "${key}" but the archive has no data/${key}`))
    }
    if (!pickles && !nested.pickles && !zip.entries.some((e) => /\.npy$/i.test(e.name)))
      issues.push(issue('MS-PT003', 'info', 'No pickle in the archive', 'no member of this zip is a pickle (every member was checked by content)'))
    issues.push(...nested.issues)
    return {
      format: torch ? 'pytorch-zip' : 'zip',
      tensors: [...tensors, ...nested.tensors],
      issues,
      unsupported: nested.unsupported,
      stats: {members: zip.entries.length, pickles: pickles + nested.pickles, storages: storages.size},
    }
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
      issues.push(
        issue('MS-PT005', 'high', 'Legacy storage past end of file', `storage "${key}" (${numel} elements) runs past the end of the file`, {byteStart: pos}),
      )
      break
    }
    tensors.push({
      name: `${key} (${ref.storage})`,
      dtype: ref.dtype,
      sourceDType: ref.storage,
      shape: [numel],
      byteOffset: pos + 8,
      byteLength: len,
      file: path,
    })
    pos += 8 + len
  }
  if (pos < size && tensors.length === keys.length) {
    issues.push(issue('MS-PT005', 'medium', 'Data after legacy storages', `${size - pos} bytes follow the last storage`, {byteStart: pos, byteEnd: size}))
    tensors.push({name: '(data after storages)', dtype: 'u8', shape: [size - pos], byteOffset: pos, byteLength: size - pos, file: path})
  }
  return {format: 'pytorch-legacy', tensors, issues, stats: {pickles: 5, storages: tensors.length}}
}
