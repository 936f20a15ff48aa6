/**
 * What the format scanners share: turning a reader's issues into findings, running the weight
 * checks over a file's tensors (pool.ts spreads large files over worker threads), and the report
 * shapes for scanned, unreadable and recognised-but-unsupported files.
 */
import {describeError, type ErrorCode, InputError} from '../../errors.js'
import type {FormatIssue, TensorView} from '../../formats/tensor.js'
import {createProgress} from '../../util/progress.js'
import type {ScanContext} from '../format-scanner.js'
import type {FileReport, Finding} from '../types.js'
import {scanTensors} from '../weights/pool.js'
import {findSignatures} from '../weights/signatures.js'

export function issueToFinding(i: FormatIssue): Finding {
  return {id: i.id, category: i.category ?? 'format-violation', severity: i.severity, title: i.title, message: i.message, location: i.location ?? {}, ...(i.evidence ? {evidence: i.evidence} : {})}
}

export async function weightFindings(tensors: TensorView[], ctx: ScanContext): Promise<Finding[]> {
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

export function report(file: string, format: string, issues: FormatIssue[], extra: Finding[], stats: Record<string, unknown>): FileReport {
  return {path: file, format, status: 'scanned', findings: [...issues.map(issueToFinding), ...extra], stats}
}

/** The file was recognised but could not be read far enough to check its contents: exit 3. */
export function errorReport(file: string, format: string, code: ErrorCode, message: string, findings: Finding[] = []): FileReport {
  const d = describeError(new InputError(code, message))
  return {path: file, format, status: 'error', error: {code: d.code, message: d.message}, findings}
}

/** Strings (metadata values) checked for executables and long encoded blobs. */
export function stringFindings(id: 'MS-ST008' | 'MS-GG011', entries: Iterable<[string, unknown]>): Finding[] {
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








export function unsupportedReport(file: string, format: string, what: string, extra: Finding[] = []): FileReport {
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




