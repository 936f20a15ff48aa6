/**
 * `modelseal/scan`: scanning models for graph backdoors, unsafe pickles and payloads hidden in
 * weights (docs/scan.md, docs/weights.md).
 */
export {inspectOnnx} from '../formats/onnx/index.js'
export type {OnnxInspection} from '../formats/onnx/index.js'
export {scanPaths as scanModel, scanPaths, MODEL_EXTENSIONS} from '../scan/engine.js'
export type {ScanPathsOptions, ScanPathsOptions as ScanModelOptions, ScanResult} from '../scan/engine.js'
export {BUILTIN_SCANNERS} from '../scan/builtin-scanners.js'
export type {FormatScanner, ScanContext, ScanOptions, TensorCheck} from '../scan/format-scanner.js'
export {allRules, getRule} from '../scan/rule-catalogue.js'
export {renderJson, renderSarif, renderText} from '../scan/report/index.js'
export {scanTensor} from '../scan/weights/scan-tensor.js'
export type {TensorDType, TensorView} from '../formats/tensor.js'
export {CATEGORIES, SEVERITIES, severityRank} from '../scan/types.js'
export type {Category, FileReport, Finding, FindingLocation, RuleInfo, ScanReport, Severity} from '../scan/types.js'
