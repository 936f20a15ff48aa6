/**
 * `modelseal scan` orchestration: walk the PATH arguments (files and directories, never following
 * a symlink out of the directory given), recognise formats by content (magic bytes) with an
 * extension fallback, dispatch to the built-in scanners, and build the ScanReport and verdict.
 */
import {lstatSync, readdirSync, realpathSync, statSync} from 'node:fs'
import path from 'node:path'

import {describeError, InputError, UsageError} from '../errors.js'
import {openOnnx} from '../formats/onnx/index.js'
import {readFileHead} from '../io/index.js'
import {createProgress} from '../util/progress.js'
import {BUILTIN_SCANNERS, BUILTIN_TENSOR_CHECKS} from './builtin-scanners.js'
import {HEAD_BYTES, type FormatScanner, type ScanContext, type ScanOptions} from './format-scanner.js'
import {makeFinding} from './rule-catalogue.js'
import {SEVERITIES, severityRank, type FileReport, type ScanReport, type Severity, type SkippedEntry} from './types.js'
import {optionalObject, requirePaths} from '../util/args.js'
import {dedupeFindings} from './dedupe.js'
import {excludeFilter} from './exclude.js'

/** Files visited per directory walk before giving up (symlink loops are impossible: links are not followed). */
export const MAX_FILES = 1_000_000
export const MAX_DIR_DEPTH = 64

/** Extensions of model formats: such a file is reported (as unsupported) even when no scanner knows it. */
export const MODEL_EXTENSIONS = new Set([
  '.onnx',
  '.ort',
  '.pt',
  '.pth',
  '.bin',
  '.ckpt',
  '.pkl',
  '.pickle',
  '.joblib',
  '.safetensors',
  '.gguf',
  '.ggml',
  '.npy',
  '.npz',
  '.h5',
  '.hdf5',
  '.keras',
  '.pb',
  '.tflite',
  '.mlmodel',
  '.mlpackage',
  '.msgpack',
  '.ot',
  '.llamafile',
  '.mar',
  '.nemo',
  '.engine',
  '.plan',
  '.pdparams',
  '.dlc',
  '.caffemodel',
  '.params',
  '.model',
  '.tar',
  '.zip',
])

export interface ScanPathsOptions extends Partial<ScanOptions> {
  /** Globs of files not to scan (see src/scan/exclude.ts); each one excluded counts as skipped. */
  exclude?: string[]
  toolVersion?: string
  progress?: boolean
}

export interface ScanResult {
  report: ScanReport
  /** 0 clean, 1 finding >= failOn, 3 some file could not be scanned (error/unsupported). */
  exitCode: 0 | 1 | 3
}

interface Target {
  file: string
  root: string
  explicit: boolean
  /** Set when the entry is a symlink that leaves its root: reported, never opened. */
  escape?: string
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Directories a walk does not descend into; each is listed in `report.skipped` with this reason. */
const SKIPPED_DIRS: Record<string, string> = {
  '.git': 'version-control metadata (.git): not descended',
  node_modules: 'package dependencies (node_modules): not descended',
}

function collect(paths: string[]): {targets: Target[]; skipped: SkippedEntry[]} {
  const targets: Target[] = []
  const seen = new Map<string, string>()
  const skipped: SkippedEntry[] = []
  for (const p of paths) {
    const abs = path.resolve(p)
    const st = statSync(abs) // the user named it: following a link named on the command line is fine
    if (!st.isDirectory()) {
      const real = realpathSync(abs)
      if (seen.has(real)) skipped.push({path: p, kind: 'file', reason: `same file as ${seen.get(real)} (scanned once)`})
      else targets.push({file: p, root: path.dirname(real), explicit: true})
      if (!seen.has(real)) seen.set(real, p)
      continue
    }
    const root = realpathSync(abs)
    const stack: {dir: string; depth: number}[] = [{dir: root, depth: 0}]
    const display = (f: string) => path.join(p, path.relative(root, f))
    while (stack.length > 0) {
      const {dir, depth} = stack.pop()!
      const entries = readdirSync(dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? 1 : -1))
      for (const e of entries) {
        const full = path.join(dir, e.name)
        if (e.isDirectory()) {
          if (Object.hasOwn(SKIPPED_DIRS, e.name)) {
            skipped.push({path: display(full), kind: 'directory', reason: SKIPPED_DIRS[e.name]})
            continue
          }
          if (depth + 1 > MAX_DIR_DEPTH) throw new InputError('E_SCAN_TOO_DEEP', `directory nesting deeper than ${MAX_DIR_DEPTH} under ${p}`)
          stack.push({dir: full, depth: depth + 1})
        } else if (e.isSymbolicLink()) {
          let real: string | undefined
          try {
            real = realpathSync(full)
          } catch {
            real = undefined
          }
          if (!real || !isInside(root, real)) {
            targets.push({file: display(full), root, explicit: false, escape: real ? `symlink points outside ${p}` : 'dangling symlink'})
          } else if (!lstatSync(real).isFile()) {
            skipped.push({
              path: display(full),
              kind: 'symlink',
              reason: 'symlink to a directory or special file inside the tree: not followed (its target is walked where it lives)',
            })
          } else if (seen.has(real)) {
            skipped.push({path: display(full), kind: 'symlink', reason: `symlink to ${seen.get(real)} (scanned once)`})
          } else {
            seen.set(real, display(full))
            targets.push({file: display(full), root, explicit: false})
          }
        } else if (e.isFile()) {
          const real = full
          if (seen.has(real)) {
            skipped.push({path: display(full), kind: 'file', reason: `same file as ${seen.get(real)} (scanned once)`})
            continue
          }
          seen.set(real, display(full))
          targets.push({file: display(full), root, explicit: false})
        } else skipped.push({path: display(full), kind: 'special', reason: 'socket, FIFO or device: never opened'})
        if (targets.length > MAX_FILES) throw new InputError('E_SCAN_TOO_MANY', `more than ${MAX_FILES} files under ${p}`)
      }
    }
  }
  return {targets: targets.reverse().sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)), skipped}
}

export function pickScanner(head: Buffer, file: string): FormatScanner | undefined {
  for (const s of BUILTIN_SCANNERS) {
    try {
      if (s.detect(head, file)) return s
    } catch {
      /* a detector must not break the scan */
    }
  }
  const lower = file.toLowerCase()
  return BUILTIN_SCANNERS.find((s) => s.extensions?.some((e) => lower.endsWith(e)))
}

async function scanOne(t: Target, options: ScanOptions): Promise<FileReport | SkippedEntry> {
  if (t.escape) {
    return {
      path: t.file,
      format: 'unknown',
      status: 'error',
      error: {code: 'E_SYMLINK_ESCAPE', message: `${t.escape}: not followed, not scanned`},
      findings: [],
    }
  }
  let head: Buffer
  try {
    head = readFileHead(t.file, HEAD_BYTES, {code: 'E_NOT_REGULAR_FILE', followSymlinks: true}).head
  } catch (err) {
    const d = describeError(err)
    return {path: t.file, format: 'unknown', status: 'error', error: {code: d.code, message: d.message}, findings: []}
  }
  const scanner = pickScanner(head, t.file)
  if (!scanner) {
    const ext = path.extname(t.file).toLowerCase()
    if (!t.explicit && !MODEL_EXTENSIONS.has(ext)) {
      return {
        path: t.file,
        kind: 'file',
        reason: 'content is no model, pickle, archive or executable format modelseal knows (every file is sniffed by content, not by name)',
      }
    }
    return {
      path: t.file,
      format: 'unknown',
      status: 'unsupported',
      findings: [makeFinding('MS-SC001', `no scanner recognises this file's content${ext ? ` (extension ${ext})` : ''}; it was not analysed`, {})],
    }
  }
  const realRoot = t.root
  const ctx: ScanContext = {
    root: realRoot,
    options,
    tensorChecks: BUILTIN_TENSOR_CHECKS,
    isInsideRoot: (p: string) => {
      try {
        return isInside(realRoot, realpathSync(p))
      } catch {
        return false
      }
    },
  }
  try {
    const r = await scanner.scan(t.file, ctx)
    return {...r, path: t.file}
  } catch (err) {
    const d = describeError(err)
    return {path: t.file, format: scanner.format, status: 'error', error: {code: d.code, message: d.message}, findings: []}
  }
}

/**
 * `scan --strict` (deploy gates): a pickle import outside the allowlist — PyTorch's weights_only
 * set plus NumPy array reconstruction (src/formats/pickle/globals.ts) — is high, not medium.
 */
function strictFindings(r: FileReport): void {
  for (const f of r.findings) {
    if (f.id === 'MS-PK002' && severityRank(f.severity) < severityRank('high')) {
      f.severity = 'high'
      f.evidence = {...f.evidence, strict: true}
    }
  }
}

function sortFindings(r: FileReport): void {
  r.findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id))
}

/**
 * A raw external-data file of an ONNX model is not a model of its own: its tensors were read
 * (and weight-checked) through the model. Such files are reported as covered (format
 * onnx-external-data), keeping only high/critical findings another scanner made on them.
 */
function foldExternalData(files: FileReport[]): void {
  const owners = new Map<string, string>()
  for (const f of files) for (const e of (f.stats?.externalFiles as string[] | undefined) ?? []) owners.set(e, f.path)
  if (owners.size === 0) return
  for (const f of files) {
    if (f.format === 'onnx') continue
    let real: string
    try {
      real = realpathSync(f.path)
    } catch {
      continue
    }
    const owner = owners.get(real)
    if (!owner) continue
    f.format = 'onnx-external-data'
    f.status = 'scanned'
    delete f.error
    // Guessing a raw tensor blob as some other format yields noise; a serious hit (a polyglot
    // that is also, say, an executable pickle) is kept.
    f.findings = f.findings.filter((x) => x.id !== 'MS-SC001' && severityRank(x.severity) >= severityRank('high'))
    f.stats = {...f.stats, externalDataOf: owner}
  }
}

export async function scanPaths(paths: string[], scanOptions?: ScanPathsOptions): Promise<ScanResult> {
  requirePaths('scanPaths', 'paths', paths)
  const opts: ScanPathsOptions = optionalObject<ScanPathsOptions>('scanPaths', 'options', scanOptions) ?? {}
  if (paths.length === 0) throw new UsageError('E_USAGE', 'give at least one file or directory to scan')
  const failOn: Severity = opts.failOn ?? 'high'
  if (!SEVERITIES.includes(failOn)) throw new UsageError('E_USAGE', `--fail-on must be one of ${SEVERITIES.join(', ')}`)
  if (opts.baseline) {
    // A broken reference must fail the run up front (exit 3), not every file one by one.
    const ref = openOnnx(opts.baseline)
    ref.source.close()
  }
  const options: ScanOptions = {failOn, baseline: opts.baseline, skipWeights: opts.skipWeights, strict: opts.strict, weightLanes: opts.weightLanes}
  const collected = collect(paths)
  const excluded = await excludeFilter(opts.exclude)
  const targets: typeof collected.targets = []
  const skipped = collected.skipped
  for (const t of collected.targets) {
    if (excluded(t.file, t.root)) skipped.push({path: t.file, kind: 'file', reason: 'excluded by --exclude'})
    else targets.push(t)
  }
  const progress = createProgress('scanning', {unit: 'files', enabled: opts.progress === false ? false : undefined})
  progress.setTotal(targets.length)
  const files: FileReport[] = []
  for (const t of targets) {
    const r = await scanOne(t, options)
    progress.advance(1)
    if (!('status' in r)) {
      skipped.push(r)
      continue
    }
    if (options.strict) strictFindings(r)
    sortFindings(r)
    files.push(r)
  }
  progress.done()
  foldExternalData(files)
  dedupeFindings(files)
  const findings = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>
  let max: Severity | null = null
  for (const f of files)
    for (const x of f.findings) {
      findings[x.severity]++
      if (max === null || severityRank(x.severity) > severityRank(max)) max = x.severity
    }
  const failed = max !== null && severityRank(max) >= severityRank(failOn)
  const errors = files.filter((f) => f.status === 'error').length
  const unsupported = files.filter((f) => f.status === 'unsupported').length
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const report: ScanReport = {
    tool: {name: 'modelseal', version: opts.toolVersion ?? '0.0.0'},
    files,
    skipped,
    summary: {
      files: files.length,
      scanned: files.filter((f) => f.status === 'scanned').length,
      errors,
      unsupported,
      findings,
      maxSeverity: max,
      failOn,
      failed,
      skipped: skipped.length,
      ...(options.strict ? {strict: true} : {}),
    },
  }
  const exitCode = failed ? 1 : errors + unsupported > 0 || files.length === 0 ? 3 : 0
  return {report, exitCode}
}
