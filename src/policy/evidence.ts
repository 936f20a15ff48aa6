/**
 * The evidence set: facts established by verification before any rule runs. Requirement
 * evaluators see only this; anything that did not verify is absent (and explained in
 * `problems`), so a missing or forged attestation can only ever fail a requirement.
 */
import type {SerializationParams} from '../oms/types.js'
import type {ScanReport} from '../scan/types.js'
import type {SignerIdentity} from '../signing/types.js'

/** A signer whose envelope verified, and the policy identities it satisfies. */
export interface VerifiedSigner {
  /** The file the evidence came from. */
  source: string
  signer: SignerIdentity
  /** Distinct-signer key: thresholds count these, never signatures or identity names. */
  signerKey: string
  /** Names of policy identities this signer satisfies (verified cryptographically + matched). */
  identities: string[]
  /** Trusted signing time (transparency log integrated time or RFC 3161 timestamp), if any. */
  trustedTime?: Date
  /** A time the signed payload asserts (scan time, manifest creation) — signed, but not witnessed. */
  claimedTime?: Date
}

export interface ModelSignatureEvidence extends VerifiedSigner {
  rootDigest: string
  serialization: SerializationParams
  /** Signed resources (name, algorithm, digest). */
  resources: {name: string; algorithm: string; digest: string}[]
  /** Missing or changed files: the model is not what was signed. */
  contentProblems: string[]
  /** Local files the signature does not cover. */
  unsignedFiles: string[]
}

export interface ScanAttestationEvidence extends VerifiedSigner {
  /** The subject digest equals the model's OMS root digest recomputed from local files. */
  subjectMatches: boolean
  subjectDigest: string
  report: ScanReport
}

export interface DatasetRef {
  name?: string
  root: string
}

export interface ProvenanceEvidence extends VerifiedSigner {
  subjectMatches: boolean
  datasets: DatasetRef[]
}

export interface DatasetManifestEvidence extends VerifiedSigner {
  root: string
  name?: string
  version?: string
}

export interface OnnxFileFacts {
  file: string
  /** Set when the file could not be parsed. */
  error?: string
  /** (domain, op) pairs used by any node, including subgraphs and model-local functions; '' = default domain. */
  operators: {domain: string; op: string; count: number}[]
  externalData: string[]
}

export interface LocalFile {
  path: string
  size: number
  symlink: boolean
}

export interface Evidence {
  model: {
    path: string
    files: LocalFile[]
    totalBytes: number
    /** OMS root digest (files, sha256) of the local model, when computed. */
    rootDigest?: string
  }
  signatures: ModelSignatureEvidence[]
  scanAttestations: ScanAttestationEvidence[]
  provenance: ProvenanceEvidence[]
  datasetManifests: DatasetManifestEvidence[]
  /** Present when a requirement asked for an inline scan. */
  inlineScan?: ScanReport | {error: string}
  /** Present when an onnx requirement exists. */
  onnx?: OnnxFileFacts[]
  /** Evidence that was supplied but did not verify or does not apply, with why. */
  problems: {source: string; problem: string}[]
}
