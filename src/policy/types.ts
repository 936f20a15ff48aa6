/**
 * The policy data model (what a validated policy file becomes) and the decision it produces.
 * The JSON field names of PolicyDecision are a stable public contract (docs/policy.md):
 * add fields freely, never rename these.
 */
import type {Category, Severity} from '../scan/types.js'

export const POLICY_API_VERSION = 'modelseal.dev/v1alpha1'
export const POLICY_KIND = 'ModelPolicy'

export type Mode = 'enforce' | 'warn' | 'audit'

export type {CertificateIdentity, IdentitySpec, KeyIdentity, KeylessIdentity, NamedIdentity, StringMatcher} from '../evidence/types.js'
import type {NamedIdentity} from '../evidence/types.js'

/** `anyOf` + threshold (k-of-n over distinct signers) or `allOf` (every named identity). */
export type SignedBy = {anyOf: string[]; threshold: number} | {allOf: string[]}

export type RequirementType = 'signature' | 'integrity' | 'scan' | 'onnx' | 'datasets' | 'limits'

interface RequirementBase {
  id: string
  type: RequirementType
  description?: string
  /** Overrides spec.mode for this requirement. */
  mode?: Mode
}

export interface SignatureRequirement extends RequirementBase {
  type: 'signature'
  signedBy: SignedBy
  /** Milliseconds; signatures need a trusted time (transparency log / timestamp) to satisfy it. */
  maxAgeMs?: number
}

export interface IntegrityRequirement extends RequirementBase {
  type: 'integrity'
  /**
   * Whose signatures may prove integrity; default: every identity that a signature requirement
   * accepts (a scanner's or data team's key must not vouch for the model's files).
   */
  signedBy?: SignedBy
  allowedAlgorithms?: string[]
  allowedSerializations?: string[]
  /** forbid: every file on disk that the signature does not cover fails, whatever the signer ignored. */
  unsignedFiles: 'forbid' | 'allow'
  /** The only escape under forbid: model-relative globs of files that may be unsigned. */
  allowUnsigned: string[]
  symlinks: 'forbid' | 'allow'
}

/** Maximum severity allowed per category ('none' = no finding at all). */
export type SeverityCeiling = Severity | 'none'

export interface ScanRequirement extends RequirementBase {
  type: 'scan'
  /** attestation: a signed scan attestation is required; inline: scan now; either: attestation if one verifies, else inline. */
  source: 'attestation' | 'inline' | 'either'
  maxSeverity: {default: SeverityCeiling; categories: Partial<Record<Category, SeverityCeiling>>}
  signedBy?: SignedBy
  maxAgeMs?: number
  /**
   * Model-relative globs of files the scan may have skipped (status skipped, with a reason).
   * Every other file of the model must appear in the report as scanned.
   */
  skippable: string[]
}

export interface OnnxRequirement extends RequirementBase {
  type: 'onnx'
  /** '' or 'ai.onnx' is the default domain. */
  allowedDomains?: string[]
  forbiddenOperators: {domain: string; op: string}[]
  externalData: 'allow' | 'forbid'
}

export interface DatasetsRequirement extends RequirementBase {
  type: 'datasets'
  signedBy: SignedBy
  /** Where the model's training datasets are declared. */
  source: 'provenance' | 'explicit'
  /** explicit: dataset roots (lowercase hex) the model was trained on. */
  datasets: {name?: string; root: string}[]
  /** provenance: who must have signed the provenance statement naming the datasets. */
  provenanceSignedBy?: SignedBy
  maxAgeMs?: number
  /** At least this many datasets must be declared (default 1) — an empty list is not "covered". */
  minDatasets: number
}

export interface LimitsRequirement extends RequirementBase {
  type: 'limits'
  maxTotalBytes?: number
  maxFileBytes?: number
  maxFiles?: number
}

export type Requirement = SignatureRequirement | IntegrityRequirement | ScanRequirement | OnnxRequirement | DatasetsRequirement | LimitsRequirement

export interface Waiver {
  id: string
  requirements: string[]
  expires: Date
  justification: string
  approvedBy: string[]
  ticket?: string
  /** Optional scope: only this model root digest (lowercase hex). */
  modelDigest?: string
}

export interface Policy {
  apiVersion: string
  kind: string
  metadata: {name: string; version?: string; owner?: string; description?: string}
  mode: Mode
  expires: Date
  /** Absolute path of the Sigstore trusted_root.json for keyless identities, if any. */
  trustedRoot?: string
  /**
   * Verified evidence files inside the model directory (exact files only) are left out of the
   * model's files. Default false: everything on disk is part of the model.
   */
  excludeVerifiedEvidence: boolean
  identities: Map<string, NamedIdentity>
  requirements: Requirement[]
  waivers: Waiver[]
  /** Where the policy came from and its digest (bound into decision statements). */
  source: {path: string; sha256: string}
}

export type RequirementResult = 'pass' | 'fail' | 'warn' | 'waived' | 'error'
/** The raw evaluation, before waivers and modes. */
export type Outcome = 'pass' | 'fail' | 'error'

export interface RequirementReport {
  id: string
  type: RequirementType | 'policy'
  result: RequirementResult
  /** Something a person can act on: what was expected, what was found, what to do. */
  reason: string
  /** Stable reason code (SIGNATURE_MISSING, THRESHOLD_NOT_MET, ...). */
  code: string
  outcome: Outcome
  mode: Mode
  waiver?: {id: string; expires: string; approvedBy: string[]; justification: string}
  /** Facts that supported the result (verified signers, findings, files ...). */
  evidence?: Record<string, unknown>
}

export type DecisionValue = 'allow' | 'deny'

export interface PolicyDecision {
  decisionVersion: '1'
  decision: DecisionValue
  policy: {name: string; version?: string; mode: Mode; path: string; sha256: string; expires: string}
  /**
   * digest: the model's identity, computed from every file on disk (never taken from evidence).
   * excludedEvidence: verified evidence files inside the model left out (excludeVerifiedEvidence).
   */
  model: {path: string; digest: {sha256: string} | null; excludedEvidence: string[]}
  evaluatedAt: string
  requirements: RequirementReport[]
  summary: {total: number; pass: number; fail: number; warn: number; waived: number; error: number}
  /** Evidence supplied but not usable (unverifiable signatures, attestations for another model...). */
  evidenceProblems: {source: string; problem: string}[]
}
