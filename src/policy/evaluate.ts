/**
 * The decision engine: requirements (ANDed) over verified evidence, then waivers, then modes.
 * Pure — all verification happened before (src/policy/gather.ts), so the same evidence and
 * `at` always give the same decision.
 */
import type {Evidence} from '../evidence/types.js'
import {evaluateRequirement, type RuleOutcome} from './requirement-evaluators.js'
import type {Mode, Policy, PolicyDecision, Requirement, RequirementReport, RequirementResult, Waiver} from './types.js'
import {requireDate, requireObject} from '../util/args.js'

export function effectiveMode(policy: Policy, r?: Requirement): Mode {
  // An audit policy never blocks, whatever its requirements say.
  if (policy.mode === 'audit') return 'audit'
  return r?.mode ?? policy.mode
}

export interface WaiverMatch {
  waiver?: Waiver
  /** Waivers that would have applied but have expired (an expired waiver is no waiver). */
  expired: Waiver[]
  /** Waivers scoped to another model digest. */
  otherModel: Waiver[]
}

export function findWaiver(policy: Policy, requirementId: string, modelDigest: string | undefined, at: Date): WaiverMatch {
  const out: WaiverMatch = {expired: [], otherModel: []}
  for (const w of policy.waivers) {
    if (!w.requirements.includes(requirementId)) continue
    if (w.modelDigest && w.modelDigest !== modelDigest) {
      out.otherModel.push(w)
      continue
    }
    if (w.expires.getTime() <= at.getTime()) {
      out.expired.push(w)
      continue
    }
    out.waiver ??= w
  }
  return out
}

function applyModeAndWaiver(policy: Policy, r: Requirement, raw: RuleOutcome, modelDigest: string | undefined, at: Date): RequirementReport {
  const mode = effectiveMode(policy, r)
  const base = {id: r.id, type: r.type, code: raw.code, outcome: raw.outcome, mode, evidence: raw.evidence}
  if (raw.outcome === 'pass') return {...base, result: 'pass', reason: raw.reason}
  let reason = raw.reason
  if (raw.outcome === 'fail') {
    const m = findWaiver(policy, r.id, modelDigest, at)
    if (m.waiver) {
      const w = m.waiver
      return {
        ...base,
        result: 'waived',
        reason: `waived by ${w.id} until ${w.expires.toISOString()} (approved by ${w.approvedBy.join(', ')}: ${w.justification}); underlying failure: ${raw.reason}`,
        waiver: {id: w.id, expires: w.expires.toISOString(), approvedBy: w.approvedBy, justification: w.justification},
      }
    }
    if (m.expired.length)
      reason += `; waiver ${m.expired.map((w) => `${w.id} expired at ${w.expires.toISOString()}`).join(', ')} (an expired waiver is no waiver; renew it or fix the cause)`
    if (m.otherModel.length) reason += `; waiver ${m.otherModel.map((w) => w.id).join(', ')} is scoped to another model digest`
  }
  // Errors (evidence that could not be evaluated) are not waivable: a waiver relaxes a known failure.
  let result: RequirementResult
  if (mode === 'enforce') result = raw.outcome === 'fail' ? 'fail' : 'error'
  else result = 'warn'
  if (mode !== 'enforce') reason = `${reason} (${mode} mode: reported, not blocking)`
  return {...base, result, reason}
}

export function evaluatePolicy(policy: Policy, evidence: Evidence, at: Date = new Date()): PolicyDecision {
  requireObject('evaluatePolicy', 'policy', policy)
  requireObject('evaluatePolicy', 'evidence.model', requireObject<Evidence>('evaluatePolicy', 'evidence', evidence).model)
  requireDate('evaluatePolicy', 'at', at)
  // The model's identity is what was computed from its files; a signature's claim never stands in.
  const modelDigest = evidence.model.rootDigest
  const reports: RequirementReport[] = []
  if (policy.expires.getTime() <= at.getTime()) {
    const mode = effectiveMode(policy)
    reports.push({
      id: 'policy-expiry',
      type: 'policy',
      result: mode === 'enforce' ? 'error' : 'warn',
      outcome: 'error',
      code: 'POLICY_EXPIRED',
      mode,
      reason: `policy ${policy.metadata.name} expired at ${policy.expires.toISOString()}; an expired policy is not trusted — review it and set a new spec.expires${mode === 'enforce' ? '' : ` (${mode} mode: reported, not blocking)`}`,
    })
  }
  for (const r of policy.requirements) {
    let raw: RuleOutcome
    try {
      raw = evaluateRequirement(r, evidence, at)
    } catch (err) {
      // Fail closed: a rule that could not run is an error, never a pass.
      raw = {outcome: 'error', code: 'EVALUATION_ERROR', reason: `could not evaluate: ${(err as Error).message}`}
    }
    reports.push(applyModeAndWaiver(policy, r, raw, modelDigest, at))
  }
  const count = (res: RequirementResult) => reports.filter((x) => x.result === res).length
  const summary = {total: reports.length, pass: count('pass'), fail: count('fail'), warn: count('warn'), waived: count('waived'), error: count('error')}
  return {
    decisionVersion: '1',
    decision: summary.fail + summary.error > 0 ? 'deny' : 'allow',
    policy: {
      name: policy.metadata.name,
      version: policy.metadata.version,
      mode: policy.mode,
      path: policy.source.path,
      sha256: policy.source.sha256,
      expires: policy.expires.toISOString(),
    },
    model: {path: evidence.model.path, digest: modelDigest ? {sha256: modelDigest} : null, excludedEvidence: evidence.model.excludedEvidence},
    evaluatedAt: at.toISOString(),
    requirements: reports,
    summary,
    evidenceProblems: evidence.problems,
  }
}
