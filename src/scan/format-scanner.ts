/**
 * The contract between the scan engine (src/scan/engine.ts) and a format scanner. The engine
 * reads the first HEAD_BYTES of each file, asks every scanner of the built-in list
 * (builtin-scanners.ts, highest `priority` first) whether it `detect()`s the content, and hands
 * the file to the first that says yes; tensor checks run on every tensor a scanner yields.
 *
 * Contract for `scan()`: never throw for a malformed file you recognised — return
 * `{status: 'error', error: {code, message}}` (the engine also catches throws and turns any
 * ModelsealError/InputError into status 'error', so throwing InputError is acceptable too).
 * Never read outside `ctx.root`; never follow a symlink out of it (use ctx.isInsideRoot()).
 */
import type {TensorView} from '../formats/tensor.js'
import type {Finding, FileReport, Severity} from './types.js'

/** How many leading bytes the engine reads for detect(). */
export const HEAD_BYTES = 4096

export interface ScanOptions {
  /** Findings at or above this severity make the scan fail (exit 1). */
  failOn: Severity
  /** Trusted reference ONNX export for structural diff (MS-BD... findings). */
  baseline?: string
  /** Skip tensor/weight checks (graph only). */
  skipWeights?: boolean
  /** Deploy-gate mode: pickle imports outside the allowlist are high (MS-PK002). */
  strict?: boolean
  /**
   * Run the weight-scan jobs on worker threads only, at most this many at once (default: every
   * lane, the main thread included). `sign --scan-attestation` hashes on the main thread
   * meanwhile, so the scan takes the other lanes.
   */
  weightLanes?: number
}

export interface ScanContext {
  /** Directory the user named (or the file's own directory when a file was named). */
  root: string
  options: ScanOptions
  /** true when `p` (after resolving symlinks) stays inside `root`. */
  isInsideRoot(p: string): boolean
  /** The tensor checks of this scan; call runTensorChecks() rather than these directly. */
  tensorChecks: readonly TensorCheck[]
}

export interface FormatScanner {
  /** Format name reported in FileReport.format (onnx, safetensors, pickle, gguf, ...). */
  format: string
  /** Higher runs first (default 0). Use >0 for strong magics, <0 for weak guesses. */
  priority?: number
  /**
   * File extensions (lower case, with dot) this scanner takes when no scanner recognised the
   * content — so a damaged/empty "x.onnx" is reported as an error by the right parser, not skipped.
   */
  extensions?: string[]
  /** Content sniffing on the first HEAD_BYTES (fewer for small files). Must be cheap and never throw. */
  detect(head: Buffer, filePath: string): boolean
  scan(filePath: string, ctx: ScanContext): Promise<FileReport>
}

/**
 * One tensor, wherever it lives: the shared TensorView of src/formats/tensor.ts (owned by the
 * weight scanners). ONNX tensors come from iterateOnnxTensors() in src/formats/onnx, which also
 * sets `location` (graph path) — see OnnxTensorView there.
 */
export type {TensorView} from '../formats/tensor.js'

export type TensorCheck = (t: TensorView, ctx: ScanContext) => Promise<Finding[]> | Finding[]

/** Runs the scan's tensor checks on one tensor, in list order. */
export async function runTensorChecks(t: TensorView, ctx: ScanContext): Promise<Finding[]> {
  const out: Finding[] = []
  for (const c of ctx.tensorChecks) out.push(...(await c(t, ctx)))
  return out
}
