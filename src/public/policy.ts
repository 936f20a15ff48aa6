/**
 * `modelseal/policy`: provenance policies — load, lint, check a model against one, sign the
 * decision — and audit reports (docs/policy.md).
 */
import {runModelScan} from '../attest/run-scan.js'
import {evaluatePolicy} from '../policy/evaluate.js'
import {gatherEvidence, type GatherOptions} from '../policy/gather.js'
import {loadPolicy} from '../policy/load.js'
import type {Policy, PolicyDecision} from '../policy/types.js'

export interface CheckPolicyOptions extends Omit<GatherOptions, 'modelPath' | 'runScan'> {
  /** The policy: a loaded one, or the path of its YAML file. */
  policy: Policy | string
  /** Runs the inline scan a requirement may ask for; default: modelseal's own scanner. */
  runScan?: GatherOptions['runScan']
}

/**
 * Verifies the evidence given (signatures, attestations, dataset manifests) against the
 * identities the policy trusts and evaluates every requirement on what verified, as
 * `modelseal policy check` does. Missing or unverifiable evidence fails its requirement.
 */
export async function checkPolicy(modelPath: string, opts: CheckPolicyOptions): Promise<PolicyDecision> {
  const policy = typeof opts.policy === 'string' ? loadPolicy(opts.policy) : opts.policy
  const evidence = await gatherEvidence(policy, {...opts, modelPath, runScan: opts.runScan ?? ((p) => runModelScan(p))})
  return evaluatePolicy(policy, evidence, opts.at)
}

export {collectAudit} from '../audit/collect.js'
export type {AuditAttestation, AuditOptions, AuditReport, AuditSignature} from '../audit/collect.js'
export {auditMarkdown, auditText} from '../audit/render.js'
export {DECISION_PREDICATE_TYPE, parseDecisionStatement, writeDecisionStatement} from '../policy/decision-statement.js'
export {evaluatePolicy} from '../policy/evaluate.js'
export {gatherEvidence} from '../policy/gather.js'
export type {GatherOptions} from '../policy/gather.js'
export {lintPolicy} from '../policy/lint.js'
export type {LintReport} from '../policy/lint.js'
export {loadPolicy} from '../policy/load.js'
export {decisionSarif, decisionText} from '../policy/report.js'
export type {Mode, Policy, PolicyDecision, Requirement, RequirementReport, RequirementResult, Waiver} from '../policy/types.js'
export {runModelScan}
