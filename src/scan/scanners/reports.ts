/**
 * What the format scanners share: turning a reader's issues into findings, running the weight
 * checks over a file's tensors (pool.ts spreads large files over worker threads), and the report
 * shapes for scanned, unreadable and recognised-but-unsupported files.
 */
import {describeError, type ErrorCode, InputError} from '../../errors.js'
import type {TorchInfo} from '../../formats/pytorch/reader.js'
import type {FormatIssue, TensorView} from '../../formats/tensor.js'
import {createProgress} from '../../util/progress.js'
import type {ScanContext} from '../format-scanner.js'
import type {FileReport, Finding} from '../types.js'
import {crossTensorFindings} from '../weights/cross-tensor.js'
import {scanTensors} from '../weights/pool.js'
import {findSignatures} from '../weights/signatures.js'
import {walkPickle} from '../../formats/pickle/walker.js'
import {sniffKind} from '../../formats/sniff.js'

export function issueToFinding(i: FormatIssue): Finding {
  return {
    id: i.id,
    category: i.category ?? 'format-violation',
    severity: i.severity,
    title: i.title,
    message: i.message,
    location: i.location ?? {},
    ...(i.evidence ? {evidence: i.evidence} : {}),
  }
}

export async function weightFindings(tensors: TensorView[], ctx: ScanContext): Promise<Finding[]> {
  if (ctx.options.skipWeights) return []
  const total = tensors.reduce((s, t) => s + t.byteLength, 0)
  // Only big files get a bar (stderr, TTY only: createProgress decides).
  const progress = total >= 64 << 20 ? createProgress('checking weights') : undefined
  progress?.setTotal(total)
  try {
    const per = await scanTensors(tensors, {
      onProgress: (n) => progress?.advance(n),
      ...(ctx.options.weightLanes ? {inFlight: ctx.options.weightLanes, mainLane: false} : {}),
    })
    return tensors.length > 1 ? [...per, ...(await crossTensorFindings(tensors))] : per
  } finally {
    progress?.done()
  }
}

export function report(file: string, format: string, issues: FormatIssue[], extra: Finding[], stats: Record<string, unknown>): FileReport {
  return {path: file, format, status: 'scanned', findings: [...issues.map(issueToFinding), ...extra], stats}
}

/** The file was recognised but could not be read far enough to check its contents: exit 3. */
export function errorReport(file: string, format: string, code: ErrorCode, message: string, findings: Finding[] = []): FileReport {
  const d = describeError(new InputError(code, message))
  return {path: file, format, status: 'error', error: {code: d.code, message: d.message}, findings}
}

/** Runs of base64 (standard or URL-safe) or hex long enough to hide a file. */
const ENCODED_RUN = /[A-Za-z0-9+/_-]{64,}={0,2}|(?:[0-9a-fA-F]{2}){32,}/g

/** What an encoded run decodes to, when that is an executable, archive or importing pickle. */
function decodedPayload(run: string): string | null {
  const candidates: Buffer[] = []
  if (/^(?:[0-9a-fA-F]{2})+$/.test(run)) candidates.push(Buffer.from(run, 'hex'))
  candidates.push(Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64'))
  for (const b of candidates) {
    const u = new Uint8Array(b.buffer, b.byteOffset, b.length)
    const sig = findSignatures(u, 0, 1)[0]
    if (sig) return sig.detail
    if (sniffKind(u.subarray(0, 4096), u.length <= 4096) === 'pickle') {
      const w = walkPickle(u)
      if (w.globals.length || w.unresolved.length)
        return `pickle importing ${
          w.globals
            .map((g) => `${g.module}.${g.name}`)
            .slice(0, 3)
            .join(', ') || 'an unresolvable global'
        }`
    }
  }
  return null
}

/**
 * Strings (metadata values) checked for executables and pickles, raw or base64/hex-encoded (the
 * runs are decoded and looked at), and for long encoded blobs.
 */
export function stringFindings(id: 'MS-ST008' | 'MS-GG011', entries: Iterable<[string, unknown]>): Finding[] {
  const out: Finding[] = []
  for (const [key, v] of entries) {
    if (typeof v !== 'string' || v.length < 64 || key.startsWith('tokenizer.chat_template')) continue
    const sig = findSignatures(new TextEncoder().encode(v), 0, 1)[0]
    if (sig) {
      out.push({
        id,
        category: 'embedded-payload',
        severity: 'high',
        title: 'Executable or archive in metadata',
        message: `metadata "${key}" holds a ${sig.detail}`,
        location: {key},
        evidence: {signature: sig.kind},
      })
      continue
    }
    let decoded: string | null = null
    let runs = 0
    for (const m of v.matchAll(ENCODED_RUN)) {
      if (++runs > 64) break
      decoded = decodedPayload(m[0])
      if (decoded) break
    }
    if (decoded) {
      out.push({
        id,
        category: 'embedded-payload',
        severity: 'high',
        title: 'Encoded payload in metadata',
        message: `metadata "${key}" holds a base64/hex-encoded ${decoded}`,
        location: {key},
        evidence: {encoded: true, detail: decoded},
      })
    } else if (/[A-Za-z0-9+/]{4096,}={0,2}/.test(v)) {
      out.push({
        id,
        category: 'embedded-payload',
        severity: 'low',
        title: 'Long encoded blob in metadata',
        message: `metadata "${key}" holds a base64-like run of 4 KiB or more`,
        location: {key},
      })
    }
  }
  return out
}

export function unsupportedReport(file: string, format: string, what: string, extra: Finding[] = []): FileReport {
  return {
    path: file,
    format,
    status: 'unsupported',
    findings: [
      ...extra,
      {
        id: 'MS-UN001',
        category: 'unsupported',
        severity: 'info',
        title: 'Model format not supported',
        message: `${what}: modelseal does not analyse this format; it was not checked (not clean)`,
        location: {},
      },
    ],
  }
}

/** A reader's result as a report; content it could not open makes the file unsupported (exit 3, never clean). */
export async function containerReport(file: string, t: TorchInfo, ctx: ScanContext): Promise<FileReport> {
  const r = report(file, t.format, t.issues, await weightFindings(t.tensors, ctx), t.stats)
  if (t.unsupported?.length) {
    r.status = 'unsupported'
    const list = `${t.unsupported.slice(0, 5).join('; ')}${t.unsupported.length > 5 ? ` and ${t.unsupported.length - 5} more` : ''}`
    r.findings.push({
      id: 'MS-UN001',
      category: 'unsupported',
      severity: 'info',
      title: 'Content not opened',
      message: `not fully scanned (not clean): ${list}`,
      location: {},
    })
  }
  return r
}
