/**
 * The scan attestation: an in-toto statement whose subject is the model's OMS root digest and
 * whose predicate (https://modelseal.dev/scan/v1) is the scan report plus what it covered and
 * how the subject digest was computed, so a verifier can recompute the digest from local files.
 */
import {InputError} from '../errors.js'
import type {SerializationParams} from '../oms/types.js'
import {CATEGORIES, SEVERITIES, type FileReport, type Finding, type ScanReport, type ScanSummary, type Severity, type SkippedEntry} from '../scan/types.js'
import {buildStatement, parseTime, type Statement} from './statement.js'

export const SCAN_PREDICATE_TYPE = 'https://modelseal.dev/scan/v1'
export const MAX_SCAN_FILES = 100_000
export const MAX_FINDINGS = 100_000

export interface ScanPredicate {
  scanner: {name: string; version: string; uri: string}
  scannedAt: string
  /** How the subject digest was computed (OMS serialization of the model). */
  serialization: SerializationParams
  /**
   * Every file the scanner looked at, with its status: a "pass" must say what was evaluated.
   * `paths: model-relative` says that file paths (here and in the report) are relative to the
   * model, so a verifier can hold them against the files on disk.
   */
  coverage: {paths?: 'model-relative'; files: {path: string; format: string; status: string}[]}
  verdict: 'pass' | 'fail'
  summary: ScanSummary
  report: ScanReport
}

export function buildScanStatement(opts: {
  modelName: string
  rootDigest: string
  serialization: SerializationParams
  report: ScanReport
  scannedAt: Date
}): Statement {
  const r = opts.report
  const predicate: ScanPredicate = {
    scanner: {name: r.tool.name, version: r.tool.version, uri: `pkg:npm/modelseal@${r.tool.version}`},
    scannedAt: opts.scannedAt.toISOString(),
    serialization: opts.serialization,
    coverage: {paths: 'model-relative', files: r.files.map((f) => ({path: f.path, format: f.format, status: f.status}))},
    verdict: r.summary.failed || r.summary.errors > 0 ? 'fail' : 'pass',
    summary: r.summary,
    report: r,
  }
  return buildStatement([{name: opts.modelName, digest: {sha256: opts.rootDigest}}], SCAN_PREDICATE_TYPE, predicate as unknown as Record<string, unknown>)
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max

export interface ParsedScanAttestation {
  subjectDigest: string
  scannedAt?: Date
  serialization: SerializationParams
  report: ScanReport
  scanner: {name: string; version: string}
  /** The report's paths are model-relative (coverage.paths); older attestations used display paths. */
  pathsRelative: boolean
}

/** Reads a verified scan statement; any shape problem is an InputError (exit 3). */
export function parseScanStatement(st: Statement, what: string): ParsedScanAttestation {
  const bad = (msg: string) => new InputError('E_ATTESTATION_MALFORMED', `${what}: scan attestation ${msg}`)
  if (st.predicateType !== SCAN_PREDICATE_TYPE) throw bad(`has predicate type ${st.predicateType}`)
  const digest = st.subject[0].digest.sha256
  if (!digest || !/^[0-9a-f]{64}$/.test(digest)) throw bad('subject has no sha256 root digest')
  const p = st.predicate
  if (!isObj(p.scanner) || !str(p.scanner.name, 256) || !str(p.scanner.version, 256)) throw bad('has no scanner')
  const serialization = parseSerialization(p.serialization, bad)
  if (!isObj(p.report) || !Array.isArray(p.report.files)) throw bad('has no report')
  if (p.report.files.length > MAX_SCAN_FILES) throw bad(`lists more than ${MAX_SCAN_FILES} files`)
  let findings = 0
  const files: FileReport[] = p.report.files.map((f, i) => {
    if (!isObj(f) || !str(f.path) || !str(f.format, 256) || !['scanned', 'error', 'unsupported'].includes(f.status as string))
      throw bad(`report.files[${i}] is malformed`)
    if (!Array.isArray(f.findings)) throw bad(`report.files[${i}].findings is not a list`)
    findings += f.findings.length
    if (findings > MAX_FINDINGS) throw bad(`has more than ${MAX_FINDINGS} findings`)
    const out: FileReport = {
      path: f.path,
      format: f.format,
      status: f.status as FileReport['status'],
      findings: f.findings.map((x, j) => parseFinding(x, `report.files[${i}].findings[${j}]`, bad)),
    }
    if (isObj(f.error) && str(f.error.code, 256) && str(f.error.message)) out.error = {code: f.error.code, message: f.error.message}
    return out
  })
  // What the scan saw but did not analyse, with why: coverage rules hold it against the model's files.
  const skippedRaw = p.report.skipped ?? []
  if (!Array.isArray(skippedRaw) || skippedRaw.length > MAX_SCAN_FILES) throw bad('report.skipped is malformed')
  const skipped: SkippedEntry[] = skippedRaw.map((x, i) => {
    if (!isObj(x) || !str(x.path) || !str(x.reason) || !['file', 'directory', 'symlink', 'special'].includes(x.kind as string))
      throw bad(`report.skipped[${i}] is malformed`)
    return {path: x.path, kind: x.kind as SkippedEntry['kind'], reason: x.reason}
  })
  const summary = isObj(p.report.summary) ? (p.report.summary as unknown as ScanSummary) : summarize(files)
  return {
    subjectDigest: digest,
    scannedAt: parseTime(p.scannedAt),
    serialization,
    scanner: {name: p.scanner.name, version: p.scanner.version},
    pathsRelative: isObj(p.coverage) && p.coverage.paths === 'model-relative',
    report: {tool: {name: 'modelseal', version: p.scanner.version}, files, skipped, summary: {...summarize(files), failOn: summary.failOn ?? 'high'}},
  }
}

function parseFinding(x: unknown, where: string, bad: (m: string) => Error): Finding {
  if (!isObj(x) || !str(x.id, 256) || !str(x.category, 256) || !SEVERITIES.includes(x.severity as Severity)) throw bad(`${where} is malformed`)
  if (!(CATEGORIES as readonly string[]).includes(x.category)) throw bad(`${where} has unknown category ${JSON.stringify(x.category)}`)
  return {
    id: x.id,
    category: x.category as Finding['category'],
    severity: x.severity as Severity,
    title: str(x.title) ? x.title : x.id,
    message: str(x.message, 65536) ? x.message : '',
    location: isObj(x.location) ? (x.location as Finding['location']) : {},
  }
}

/** Recomputed from the findings: a summary in the payload is a claim, the findings are the facts. */
function summarize(files: FileReport[]): ScanSummary {
  const findings = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>
  let max: Severity | null = null
  for (const f of files) {
    for (const x of f.findings) {
      findings[x.severity]++
      if (max === null || SEVERITIES.indexOf(x.severity) > SEVERITIES.indexOf(max)) max = x.severity
    }
  }
  return {
    files: files.length,
    scanned: files.filter((f) => f.status === 'scanned').length,
    errors: files.filter((f) => f.status === 'error').length,
    unsupported: files.filter((f) => f.status === 'unsupported').length,
    findings,
    maxSeverity: max,
    failOn: 'high',
    failed: max !== null && SEVERITIES.indexOf(max) >= SEVERITIES.indexOf('high'),
  }
}

export function parseSerialization(v: unknown, bad: (m: string) => Error): SerializationParams {
  if (!isObj(v)) throw bad('has no serialization')
  const method = v.method
  const hashType = v.hashType
  if (method !== 'files' && method !== 'shards') throw bad('serialization.method must be files or shards')
  if (hashType !== 'sha256' && hashType !== 'blake2b' && hashType !== 'blake3') throw bad('serialization.hashType is unknown')
  const shardSize = v.shardSize
  if (method === 'shards' && (typeof shardSize !== 'number' || !Number.isSafeInteger(shardSize) || shardSize < 1))
    throw bad('serialization.shardSize is invalid')
  const ignorePaths = v.ignorePaths ?? []
  if (!Array.isArray(ignorePaths) || ignorePaths.length > 1024 || !ignorePaths.every((x) => str(x))) throw bad('serialization.ignorePaths is invalid')
  return {
    method,
    hashType,
    shardSize: method === 'shards' ? (shardSize as number) : undefined,
    allowSymlinks: v.allowSymlinks === true,
    ignorePaths: ignorePaths as string[],
  }
}
