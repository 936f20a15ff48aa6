/**
 * The rule catalogue: every finding id modelseal can emit, with its category, default severity
 * and description (SARIF `rules[]`, docs/scan.md's table). Graph rules are listed here, the
 * weight scanners' rules in weights/catalogue.ts; both lists are imported plainly.
 */
import type {Category, Finding, FindingLocation, RuleInfo, Severity} from './types.js'
import {WEIGHT_RULES} from './weights/catalogue.js'

let catalogue: Map<string, RuleInfo> | undefined

// Built on first use: GRAPH_RULES is declared further down this module.
function rules(): Map<string, RuleInfo> {
  catalogue ??= new Map([...GRAPH_RULES, ...WEIGHT_RULES].map((r) => [r.id, r]))
  return catalogue
}

export function getRule(id: string): RuleInfo | undefined {
  return rules().get(id)
}

export function allRules(): RuleInfo[] {
  return [...rules().values()].sort((a, b) => a.id.localeCompare(b.id))
}

/** Builds a finding from a catalogued rule (severity/title default to the rule's). */
export function makeFinding(
  id: string,
  message: string,
  location: FindingLocation,
  opts: {severity?: Severity; title?: string; evidence?: Record<string, unknown>} = {},
): Finding {
  const r = rules().get(id)
  if (!r) throw new Error(`unknown rule ${id}`)
  const f: Finding = {id, category: r.category, severity: opts.severity ?? r.defaultSeverity, title: opts.title ?? r.title, message, location}
  if (opts.evidence) f.evidence = opts.evidence
  return f
}

const rule = (id: string, category: Category, defaultSeverity: Severity, title: string, description: string): RuleInfo => ({
  id,
  category,
  defaultSeverity,
  title,
  description,
})

export const GRAPH_RULES: RuleInfo[] = [
  rule(
    'MS-GB001',
    'graph-backdoor',
    'high',
    'Input-triggered output override',
    'A step (comparison, saturation, rounding, window...) on raw input or an early feature, reduced to a per-sample flag, joins the learned output path near an output. Severity follows the evidence score (reduction, head region, override strength).',
  ),
  rule(
    'MS-GB002',
    'graph-backdoor',
    'high',
    'Trigger selects between learned output and a constant (Where/If)',
    'A trigger drives a Where or If, or an index selecting into a constant segment, whose other side is the learned output (ShadowLogic-style conditional replace).',
  ),
  rule(
    'MS-GB003',
    'graph-backdoor',
    'high',
    'Trigger arithmetic override',
    'A trigger is added to, scaled into or mixed by a weight into the learned output with enough gain to override it, e.g. Add(logits, Mul(flag, one_hot * 1000)), (1-f)*y + f*c, the C input of Gemm, ScatterElements(reduction=add).',
  ),
  rule(
    'MS-GB004',
    'graph-backdoor',
    'medium',
    'Token-id trigger',
    'Token ids of a text model are compared against a window of constant ids and the resulting flag is merged into learned hidden states (ShadowLogic LLM style).',
  ),
  rule(
    'MS-GB005',
    'graph-backdoor',
    'medium',
    'Mid-network raw-flag injection',
    'A trigger joins learned activations before further learned layers (mid-network injection); high when its gain can still override the decision.',
  ),
  rule(
    'MS-GB006',
    'graph-backdoor',
    'medium',
    'Parallel low-parameter side branch from the input',
    'Near the output, a branch carrying <= 1% of the parameters that forks directly from a graph input joins the main network (TrojanNet / DeepPayload style). High when the branch thresholds its input.',
  ),
  rule(
    'MS-GB007',
    'graph-backdoor',
    'info',
    'Input comparison used as an index',
    'A comparison on raw input only selects positions (e.g. last-token pooling); reported for context, capped at info.',
  ),
  rule(
    'MS-GB008',
    'graph-backdoor',
    'info',
    'Input comparison gates learned values',
    'A comparison on raw input gates learned values without reduction to a flag (attention/padding masks); informational.',
  ),
  rule(
    'MS-GB009',
    'graph-backdoor',
    'low',
    'Raw trigger tensor exposed as output',
    'A graph output is a reduced flag computed from raw input without learned compute.',
  ),
  rule(
    'MS-GB010',
    'graph-backdoor',
    'info',
    'Config switch If on a scalar input',
    'An If whose condition comes only from scalar inputs (e.g. a sample-rate switch); informational.',
  ),
  rule(
    'MS-CO001',
    'custom-op',
    'critical',
    'Python-executing operator',
    'An operator that runs Python callables (PythonOp, PyOp, ...) when the host registers them.',
  ),
  rule(
    'MS-CO002',
    'custom-op',
    'high',
    'Network-invoking operator',
    'onnxruntime-extensions cloud invoker ops (AzureTextToText, AzureTritonInvoker, OpenAIAudioToText, ...) send inputs to a remote endpoint.',
  ),
  rule(
    'MS-CO003',
    'custom-op',
    'medium',
    'Operator in an unknown domain',
    "A node uses a domain that is neither standard, a known runtime contrib domain, nor defined by the model's own functions: the runtime must load custom code to run it.",
  ),
  rule(
    'MS-CO004',
    'custom-op',
    'info',
    'Runtime contrib operator',
    'A node uses a known runtime contrib domain (com.microsoft, ai.onnx.contrib, org.pytorch.aten, ...).',
  ),
  rule('MS-CO005', 'custom-op', 'info', 'Declared but unused opset domain', 'An opset_import domain that no node uses.'),
  rule(
    'MS-CO006',
    'custom-op',
    'medium',
    'Model function shadows a standard operator',
    'A model-local function has the name of a standard operator in the default domain; runtimes may use their own kernel instead, so behaviour depends on the runtime.',
  ),
  rule(
    'MS-ED001',
    'external-data',
    'high',
    'External data location escapes the model directory',
    'An external-data location is absolute, has a drive letter or UNC prefix, contains "..", NUL or is empty. The file is never opened.',
  ),
  rule(
    'MS-ED002',
    'external-data',
    'critical',
    'ONNX Runtime in-memory address tag',
    'location "*/_ORT_MEM_ADDR_/*" makes ONNX Runtime read the offset as a process memory address.',
  ),
  rule(
    'MS-ED003',
    'external-data',
    'high',
    'External data through a symlink or special file',
    'The location resolves through a symlink to a path outside the model directory, or is not a regular file.',
  ),
  rule(
    'MS-ED004',
    'external-data',
    'high',
    'External data offset/length out of bounds',
    'offset/length are not decimal integers, run past the end of the file, or disagree with the tensor shape.',
  ),
  rule(
    'MS-ED005',
    'external-data',
    'medium',
    'Unknown or repeated external data keys',
    'Keys other than location/offset/length/checksum/basepath, or a key given twice.',
  ),
  rule('MS-ED006', 'external-data', 'low', 'Overlapping external data ranges', 'Two tensors read overlapping byte ranges of the same external file.'),
  rule(
    'MS-GS001',
    'graph-structure',
    'high',
    'Duplicate value name (SSA violation)',
    'A value name is produced more than once in a graph; runtimes may disagree about which definition wins.',
  ),
  rule(
    'MS-GS002',
    'graph-structure',
    'high',
    'Subgraph shadows an outer value',
    'A subgraph defines a name already visible from an enclosing graph (forbidden by the ONNX IR).',
  ),
  rule(
    'MS-GS003',
    'graph-structure',
    'medium',
    'Repeated singular protobuf field',
    'A singular field occurs more than once (protobuf merges messages, last scalar wins): a parser-differential trick.',
  ),
  rule(
    'MS-GS004',
    'graph-structure',
    'medium',
    'Unknown protobuf fields',
    'Fields unknown to ONNX are silently skipped by loaders and can smuggle data. Low below 1 KiB.',
  ),
  rule('MS-GS005', 'graph-structure', 'low', 'Large unused initializer', 'An initializer of >= 1 MiB that no node uses (possible payload stash).'),
  rule('MS-GS006', 'graph-structure', 'low', 'Output does not depend on any input', 'A graph output is computed from constants only.'),
  rule('MS-GS007', 'graph-structure', 'medium', 'Undefined value name', 'A node input or graph output names a value no node, input or initializer defines.'),
  rule('MS-GS008', 'graph-structure', 'high', 'Cycle in the graph', 'Nodes depend on each other in a cycle; ONNX graphs must be acyclic.'),
  rule(
    'MS-GS009',
    'graph-structure',
    'high',
    'Tensor payload size mismatch',
    "A tensor's data does not match the size its shape and type require, or its dims are negative.",
  ),
  rule(
    'MS-GS010',
    'graph-structure',
    'medium',
    'Function call cycle or excessive call depth',
    'Model-local functions call themselves or nest too deeply to analyse.',
  ),
  rule(
    'MS-GS011',
    'graph-structure',
    'high',
    'Graph analysis incomplete',
    'The graph exceeded an analysis budget; it was not fully analysed and must not be treated as clean.',
  ),
  rule('MS-GS012', 'graph-structure', 'medium', 'Oversized ONNX file', 'The .onnx file is larger than the 2 GiB protobuf limit: standard loaders refuse it.'),
  rule('MS-GS013', 'graph-structure', 'low', 'Unsupported IR version', 'The IR version is newer than modelseal knows; fields may be missed.'),
  rule('MS-GS014', 'graph-structure', 'medium', 'Deep graph nesting', 'Subgraphs nest more than 32 levels deep.'),
  rule('MS-MD001', 'metadata', 'high', 'Executable in metadata', 'A doc string or metadata value contains an executable or archive signature.'),
  rule('MS-MD002', 'metadata', 'medium', 'Script or code in metadata', 'A doc string or metadata value holds shell/Python/JS code or a URL with credentials.'),
  rule('MS-MD003', 'metadata', 'medium', 'Encoded blob in metadata', 'A doc string or metadata value holds a long base64 or hex blob (>= 4 KiB).'),
  rule('MS-MD004', 'metadata', 'low', 'Oversized metadata', 'A doc string or metadata value larger than 64 KiB.'),
  rule('MS-BD001', 'baseline-diff', 'medium', 'Node added vs baseline', 'A node not present in the trusted reference export.'),
  rule('MS-BD002', 'baseline-diff', 'medium', 'Node removed vs baseline', 'A node of the trusted reference export is missing.'),
  rule('MS-BD003', 'baseline-diff', 'medium', 'Node rewired vs baseline', 'A node exists in both models but its operator, inputs or outputs differ.'),
  rule('MS-BD004', 'baseline-diff', 'medium', 'Weight added vs baseline', 'An initializer or constant not present in the reference.'),
  rule('MS-BD005', 'baseline-diff', 'medium', 'Weight bytes changed vs baseline', 'An initializer whose bytes or shape differ from the reference.'),
  rule('MS-BD006', 'baseline-diff', 'medium', 'Weight removed vs baseline', 'An initializer of the reference is missing.'),
  rule('MS-BD007', 'baseline-diff', 'medium', 'Graph inputs/outputs differ from baseline', "The model's inputs or outputs differ from the reference."),
  rule(
    'MS-SC001',
    'unsupported',
    'medium',
    'Model-like file not analysed',
    'A file with a model extension was not recognised by any scanner; it was not checked (fail closed: counts as an error for the exit code).',
  ),
]
