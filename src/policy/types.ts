/**
 * The policy data model (what a validated policy file becomes) and the decision it produces.
 * The JSON field names of PolicyDecision are a stable public contract (docs/policy.md):
 * add fields freely, never rename these.
 */
import type {Category, Severity} from '../scan/types.js'

export const POLICY_API_VERSION = 'modelseal.dev/v1alpha1'
export const POLICY_KIND = 'ModelPolicy'

export type Mode = 'enforce' | 'warn' | 'audit'

/**
 * A string matcher: exact value, or a regular expression that must match the whole value
 * (src/util/identity-regex.ts); `unbounded` is the policy's explicit permission for a pattern
 * whose language is open at that end (e.g. `refs/tags/.+`).
 */
export type StringMatcher = {exact: string} | {regExp: string; unbounded?: 'start' | 'end' | 'both'}

export interface KeylessIdentity {
  kind: 'keyless'
  issuer: StringMatcher
  subject: StringMatcher
  /** Fulcio certificate extensions by name (sourceRepositoryURI, sourceRepositoryRef, ...). */
  extensions: Record<string, StringMatcher>
}

export interface KeyIdentity {
  kind: 'key'
  /** Absolute path of the PEM public key (resolved against the policy file's directory). */
  path?: string
  /** Lowercase hex SHA-256 of the SPKI PEM (the OMS key `hint`). */
  fingerprint?: string
}

export interface CertificateIdentity {
  kind: 'certificate'
  /** Absolute paths of the trusted CA certificate(s). */
  chain: string[]
  /** Optional constraint on the leaf subject DN (e.g. "CN=release,O=Acme"). */
  subject?: StringMatcher
}

export type IdentitySpec = KeylessIdentity | KeyIdentity | CertificateIdentity

export interface NamedIdentity {
  name: string
  spec: IdentitySpec
}

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
  allowedAlgorithms?: string[]
  allowedSerializations?: string[]
  unsignedFiles: 'forbid' | 'allow'
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

export type Requirement =
  | SignatureRequirement
  | IntegrityRequirement
  | ScanRequirement
  | OnnxRequirement
  | DatasetsRequirement
  | LimitsRequirement

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
  model: {path: string; digest: {sha256: string} | null}
  evaluatedAt: string
  requirements: RequirementReport[]
  summary: {total: number; pass: number; fail: number; warn: number; waived: number; error: number}
  /** Evidence supplied but not usable (unverifiable signatures, attestations for another model...). */
  evidenceProblems: {source: string; problem: string}[]
}
