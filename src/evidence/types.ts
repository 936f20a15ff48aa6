/**
 * The evidence data model: what a signature, attestation or dataset manifest proved once it was
 * read, verified and classified. Rules (src/policy) and reports (src/audit) see only these facts;
 * anything that did not verify is absent and explained in `problems`.
 */
import type {SerializationParams} from '../oms/types.js'
import type {ScanReport} from '../scan/types.js'
import type {SignerIdentity} from '../signing/types.js'

/**
 * A string matcher: exact value, or a regular expression that must match the whole value
 * (src/util/identity-regex.ts); `unbounded` is an explicit permission for a pattern whose
 * language is open at that end (e.g. `refs/tags/.+`).
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
  /** Absolute path of the PEM public key. */
  path?: string
  /** Lowercase hex SHA-256 of the canonical SPKI PEM (what `modelseal keys` prints, the OMS hint). */
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

/** A signer whose envelope verified, and the trusted identities it satisfies. */
export interface VerifiedSigner {
  /** The file the evidence came from. */
  source: string
  signer: SignerIdentity
  /**
   * What makes two signers the same signer: `key:<sha256 of canonical SPKI>` for the key that
   * verified (key and certificate methods alike), `keyless:<issuer>|<subject>` for Fulcio
   * identities. Two signers that share any of these are one signer.
   */
  signerKeys: string[]
  /** Names of trusted identities this signer satisfies (verified cryptographically + matched). */
  identities: string[]
  /** Trusted signing time (transparency log integrated time or RFC 3161 timestamp), if any. */
  trustedTime?: Date
  /** A time the signed payload asserts (scan time, manifest creation) — signed, but not witnessed. */
  claimedTime?: Date
}

export interface ModelSignatureEvidence extends VerifiedSigner {
  /** The root digest the signature claims (shown to people; never used as the model's identity). */
  claimedRootDigest: string
  serialization: SerializationParams
  /** Signed resources (name, algorithm, digest). */
  resources: {name: string; algorithm: string; digest: string}[]
  /** Missing or changed files, or a model shape the signature does not allow. */
  contentProblems: string[]
  /** Files on disk the signature does not cover, whatever the signer chose to ignore. */
  unsignedFiles: string[]
  /** The part of unsignedFiles that the signer's ignore_paths (or the git defaults) hid. */
  signerIgnored: string[]
}

export interface ScanAttestationEvidence extends VerifiedSigner {
  /** The subject digest equals the model's digest recomputed with the attestation's serialization. */
  subjectMatches: boolean
  subjectDigest: string
  /** The serialization the attestation's digest was computed with (its ignorePaths leave files unbound). */
  serialization: SerializationParams
  /** The report, with file paths relative to the model (undefined paths could not be placed). */
  report: ScanReport
  /** false when the attestation's report paths cannot be tied to model files (older format). */
  pathsRelative: boolean
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

export interface EvidenceProblem {
  source: string
  problem: string
}

export interface Evidence {
  model: {
    path: string
    files: LocalFile[]
    totalBytes: number
    /**
     * The model's identity: OMS root digest (files, sha256) of every file actually on disk, in
     * OMS order, computed here — never taken from a signature or attestation.
     */
    rootDigest?: string
    /** Model-relative names of verified evidence files excluded from the model (policy permitting). */
    excludedEvidence: string[]
    /** Symlinks to directories (not followed, not hashed: what they hold is neither signed nor scanned). */
    linkedDirectories: string[]
  }
  signatures: ModelSignatureEvidence[]
  scanAttestations: ScanAttestationEvidence[]
  provenance: ProvenanceEvidence[]
  datasetManifests: DatasetManifestEvidence[]
  /** Present when a requirement asked for an inline scan (paths relative to the model). */
  inlineScan?: ScanReport | {error: string}
  /** Present when an onnx requirement exists. */
  onnx?: OnnxFileFacts[]
  /** Evidence that was supplied but did not verify or does not apply, with why. */
  problems: EvidenceProblem[]
}
