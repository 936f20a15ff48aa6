/** The ONNX scanner: parse, graph rules, then the scan's tensor checks on every tensor. */
import {realpathSync} from 'node:fs'
import path from 'node:path'

import {describeError} from '../../errors.js'
import {detectOnnx, isExternal, iterateOnnxTensors, openOnnx, resolveExternal, walkTensors, type ByteSource, type OnnxModel} from '../../formats/onnx/index.js'
import {analyzeOnnxGraph} from '../graph/index.js'
import {runTensorChecks, type FormatScanner, type ScanContext} from '../format-scanner.js'
import type {FileReport, Finding} from '../types.js'
import {nowMs} from '../../util/clock.js'

async function scanOnnx(filePath: string, ctx: ScanContext): Promise<FileReport> {
  const t0 = nowMs()
  let baseline: {model: OnnxModel; source: ByteSource} | undefined
  const {model, source} = openOnnx(filePath)
  try {
    const parseMs = nowMs() - t0
    if (ctx.options.baseline) baseline = openOnnx(ctx.options.baseline)
    const g = analyzeOnnxGraph(model, source, filePath, {baseline})
    const findings: Finding[] = [...g.findings]
    let tensors = 0
    let tensorBytes = 0
    if (!ctx.options.skipWeights && ctx.tensorChecks.length > 0) {
      for (const view of iterateOnnxTensors(model, source, filePath, {weights: g.weightTensors})) {
        tensors++
        tensorBytes += view.byteLength
        for (const f of await runTensorChecks(view, ctx)) {
          f.location = {...f.location, graph: f.location.graph ?? view.location}
          findings.push(f)
        }
      }
    }
    const report: FileReport = {
      path: filePath,
      format: 'onnx',
      status: 'scanned',
      findings,
      stats: {
        irVersion: model.irVersion,
        nodes: model.counts.nodes,
        graphs: model.counts.graphs,
        functions: model.functions.length,
        tensorsChecked: tensors,
        tensorBytesChecked: tensorBytes,
        parseMs: Math.round(parseMs),
        ...g.stats,
        externalFiles: externalFiles(model, filePath),
      },
    }
    if (g.missingExternal.length > 0) {
      report.status = 'error'
      report.error = {
        code: 'E_ONNX_EXTERNAL_MISSING',
        message: `external data missing: ${g.missingExternal.slice(0, 3).join('; ')}${g.missingExternal.length > 3 ? ` (+${g.missingExternal.length - 3} more)` : ''}`,
      }
    }
    return report
  } catch (err) {
    const d = describeError(err)
    return {path: filePath, format: 'onnx', status: 'error', error: {code: d.code, message: d.message}, findings: []}
  } finally {
    source.close()
    baseline?.source.close()
  }
}

/** Real paths of the external data files this model safely references (the engine folds them into this report). */
function externalFiles(model: OnnxModel, filePath: string): string[] {
  const dir = path.dirname(path.resolve(filePath))
  const out = new Set<string>()
  for (const v of walkTensors(model)) {
    if (!isExternal(v.tensor)) continue
    const ref = resolveExternal(v.tensor, dir)
    if (ref.file) out.add(realpathSync(ref.file))
  }
  return [...out]
}

export const onnxScanner: FormatScanner = {
  format: 'onnx',
  priority: -10,
  extensions: ['.onnx', '.ort.onnx'],
  detect: (head) => detectOnnx(head),
  scan: scanOnnx,
}
