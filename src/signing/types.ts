/**
 * The one signing module's contract. Every signed artifact in modelseal (model signatures,
 * dataset manifests, scan attestations, policy decisions) is a DSSE envelope in a Sigstore
 * bundle, produced by `signPayload` and checked by `verifyBundle` (src/signing/index.ts).
 */

/** A Sigstore bundle as JSON (v0.3 media type for everything modelseal writes). */
export type BundleJson = Record<string, unknown>

export type SignerSpec =
  | {method: 'key'; privateKeyPath: string; password?: string}
  | {
      method: 'certificate'
      privateKeyPath: string
      password?: string
      signingCertificatePath: string
      certificateChainPaths: string[]
    }
  | ({method: 'sigstore'} & KeylessSignOptions)

export interface KeylessSignOptions {
  identityToken?: string
  useStaging?: boolean
  trustConfigPath?: string
  fulcioUrl?: string
  rekorUrl?: string
  tsaUrl?: string
}

export type VerifierSpec =
  | {method: 'key'; publicKeyPath: string}
  | {method: 'certificate'; certificateChainPaths: string[]}
  | ({method: 'sigstore'} & KeylessVerifyOptions)

export interface KeylessVerifyOptions {
  identity?: string
  identityRegexp?: string
  issuer?: string
  issuerRegexp?: string
  /** Fulcio certificate extensions that must match exactly (e.g. sourceRepositoryURI). */
  extensions?: Record<string, string>
  trustedRootPath?: string
  offline?: boolean
  /** Fulcio extensions that must match a pattern (always anchored to the whole value). */
  extensionRegexps?: Record<string, string>
  /** ClientTrustConfig file: its trustedRoot is used (no network I/O). */
  trustConfigPath?: string
  /** Staging signatures: needs trustedRootPath or trustConfigPath (no staging root is shipped). */
  useStaging?: boolean
}

/** Who signed, as far as verification proved it. */
export interface SignerIdentity {
  method: 'key' | 'certificate' | 'sigstore'
  /** key: hex SHA-256 of the SPKI PEM (the OMS `hint`). */
  keyFingerprint?: string
  /**
   * key and certificate methods: hex SHA-256 of the canonical SPKI (uncompressed point) of the
   * public key that verified the signature — the signer's identity, unlike the bundle's hint.
   */
  keyIdentity?: string
  /** certificate / sigstore: leaf subject, SANs, issuer (OIDC issuer for sigstore). */
  certificateSubject?: string
  /** certificate: leaf issuer name and SHA-256 fingerprint of the leaf DER (hex). */
  certificateIssuer?: string
  certificateFingerprint?: string
  /** certificate: subjects of the verified path, leaf first, trust anchor last. */
  chain?: string[]
  subjectAlternativeNames?: string[]
  oidcIssuer?: string
  /** Fulcio extensions by name (sourceRepositoryURI, sourceRepositoryRef, buildSignerURI, ...). */
  extensions?: Record<string, string>
  /** Verified transparency-log / timestamp facts (sigstore). */
  tlog?: {logIndex: string; integratedTime?: string; logId?: string}[]
  timestamps?: string[]
  /** sigstore: the Fulcio leaf certificate (base64 DER). */
  certificate?: string
  /** sigstore: where the trusted root came from (`shipped:…`, `tuf:…`, `trusted-root-file:PATH`, …). */
  trustSource?: string
}

export interface VerifiedEnvelope {
  payloadType: string
  payload: Buffer
  signer: SignerIdentity
  /** Non-fatal remarks (e.g. a pre-1.1 key bundle without `hint`, a v0.2.0 legacy signature). */
  warnings?: string[]
}

export interface VerifyBundleOptions {
  /** Accept model_signing v0.2.0's legacy PAE encoding (OMS model signatures only). */
  allowLegacyPae?: boolean
  /** Require this payloadType (checked after the signature). */
  payloadType?: string
  /** Time at which certificates must be valid; default now. */
  now?: Date
}
