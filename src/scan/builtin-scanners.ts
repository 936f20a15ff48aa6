/**
 * The built-in scanners and tensor checks, listed plainly: the engine imports this list, so a
 * reader (or a tool) follows engine → scanner by ordinary imports. A new format scanner is one
 * file under src/scan/scanners/ and one entry below; its rules go into rule-catalogue.ts.
 */
import type {FormatScanner, ScanContext, TensorCheck} from './format-scanner.js'
import {archiveScanner} from './scanners/archive.js'
import {chatTemplateScanner} from './scanners/chat-template.js'
import {ggufScanner} from './scanners/gguf.js'
import {numpyScanner} from './scanners/numpy.js'
import {onnxScanner} from './scanners/onnx.js'
import {pickleScanner} from './scanners/pickle.js'
import {safetensorsScanner} from './scanners/safetensors.js'
import {unsupportedScanner} from './scanners/unsupported.js'
import {zipScanner} from './scanners/zip.js'
import type {Finding} from './types.js'
import type {TensorView} from '../formats/tensor.js'
import {scanTensors} from './weights/pool.js'

/**
 * The weight checks on one tensor (ONNX initializers, Constant nodes, external data): a large
 * file-backed tensor is cut into ranges checked on every core (scanTensors), a small one here.
 */
export async function weightTensorCheck(t: TensorView, ctx: ScanContext): Promise<Finding[]> {
  if (ctx.options.skipWeights) return []
  return scanTensors([t])
}

/** Every built-in scanner, highest `priority` first: the engine asks each `detect()` in this order. */
export const BUILTIN_SCANNERS: readonly FormatScanner[] = [
  safetensorsScanner,
  ggufScanner,
  numpyScanner,
  zipScanner,
  archiveScanner,
  pickleScanner,
  onnxScanner,
  chatTemplateScanner,
  unsupportedScanner,
].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0))

/** Checks run on every tensor of every format that yields tensors (ONNX through the onnx scanner). */
export const BUILTIN_TENSOR_CHECKS: readonly TensorCheck[] = [weightTensorCheck]
