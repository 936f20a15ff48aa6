/**
 * The scan data model shared by every scanner (graph rules, weight rules, format validators)
 * and every report writer (text, JSON, SARIF). The JSON field names here are a stable public
 * contract (docs/scan.md): add fields freely, never rename these.
 */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s)
}

export const CATEGORIES = [
  'graph-backdoor',
  'custom-op',
  'external-data',
  'graph-structure',
  'metadata',
  'baseline-diff',
  'unsafe-pickle',
  'format-violation',
  'non-finite-weights',
  'embedded-payload',
  'weight-anomaly',
  'unsupported',
] as const
export type Category = (typeof CATEGORIES)[number]

export interface FindingLocation {
  /** ONNX: node name/index, graph path (e.g. "main/If_3.then_branch"), function name. */
  node?: string
  graph?: string
  function?: string
  /** Tensor name (weights) and byte range inside the file (weights, payloads). */
  tensor?: string
  byteStart?: number
  byteEnd?: number
  /** Archive member (zip/tar) or pickle opcode offset. */
  member?: string
  offset?: number
  [key: string]: unknown
}

export interface Finding {
  /** Stable rule id, e.g. "MS-GB001". */
  id: string
  category: Category
  severity: Severity
  title: string
  message: string
  location: FindingLocation
  /** Evidence a reviewer can check (values, op chains, signatures matched). */
  evidence?: Record<string, unknown>
}

export type FileStatus = 'scanned' | 'error' | 'unsupported'

export interface FileReport {
  path: string
  /** Detected format: onnx, safetensors, pytorch-zip, pytorch-legacy, pickle, numpy, npz, gguf, unknown... */
  format: string
  status: FileStatus
  error?: {code: string; message: string}
  findings: Finding[]
  /** Optional per-format facts (tensor count, bytes scanned, ...). */
  stats?: Record<string, unknown>
}

export interface ScanSummary {
  files: number
  scanned: number
  errors: number
  unsupported: number
  /** Entries in `report.skipped`: what the scan did not analyse, each with its reason. */
  skipped?: number
  /** Set when `--strict` judged imports outside the allowlist high. */
  strict?: boolean
  findings: Record<Severity, number>
  /** Highest severity found, or null when there are no findings. */
  maxSeverity: Severity | null
  failOn: Severity
  /** true when some finding reached failOn. */
  failed: boolean
}

export interface ScanReport {
  tool: {name: 'modelseal'; version: string}
  files: FileReport[]
  /** Everything the scan saw but did not analyse, never silently: files whose content no scanner knows, .git/node_modules, links, duplicates, special files. */
  skipped?: SkippedEntry[]
  summary: ScanSummary
}

export interface SkippedEntry {
  path: string
  kind: 'file' | 'directory' | 'symlink' | 'special'
  reason: string
}

/** A rule's static description, used by SARIF `rules[]` and the README rule table. */
export interface RuleInfo {
  id: string
  category: Category
  defaultSeverity: Severity
  title: string
  description: string
}
