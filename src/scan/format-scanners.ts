/**
 * Registers the weight-level scanners (safetensors, PyTorch/pickle, NumPy, GGUF, unsupported
 * formats), their rules, and the tensor check that ONNX tensors go through as well.
 */
import {registerScanner, registerTensorCheck, type ScanContext, type TensorView} from './registry.js'
import {registerRules} from './rules.js'
import type {Finding} from './types.js'
import {WEIGHT_RULES} from './weights/catalogue.js'
import {scanTensors} from './weights/pool.js'
import {WEIGHT_SCANNERS} from './weights/scanners.js'

/**
 * The weight checks on one tensor (ONNX initializers, Constant nodes, external data): a large
 * file-backed tensor is cut into ranges checked on every core (scanTensors), a small one here.
 */
export async function weightTensorCheck(t: TensorView, ctx: ScanContext): Promise<Finding[]> {
  if (ctx.options.skipWeights) return []
  return scanTensors([t])
}

registerRules(WEIGHT_RULES)
for (const s of WEIGHT_SCANNERS) registerScanner(s)
registerTensorCheck(weightTensorCheck)
