/**
 * Reads the signer's identity out of a Fulcio leaf certificate: subject alternative names, the
 * OIDC issuer and the Fulcio extensions CI identities are checked against
 * (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
 *
 * Only call this on a certificate that @sigstore/verify has already chained to a trusted CA:
 * the values are facts about the signer only once the chain and the signature are verified.
 */
import type {X509Certificate} from '@sigstore/core'

/** Fulcio extensions by the names modelseal uses in flags, policies and JSON output. */
export const FULCIO_EXTENSIONS = {
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerURI: '1.3.6.1.4.1.57264.1.9',
  buildSignerDigest: '1.3.6.1.4.1.57264.1.10',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryURI: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  sourceRepositoryIdentifier: '1.3.6.1.4.1.57264.1.15',
  sourceRepositoryOwnerURI: '1.3.6.1.4.1.57264.1.16',
  sourceRepositoryOwnerIdentifier: '1.3.6.1.4.1.57264.1.17',
  buildConfigURI: '1.3.6.1.4.1.57264.1.18',
  buildConfigDigest: '1.3.6.1.4.1.57264.1.19',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
  runInvocationURI: '1.3.6.1.4.1.57264.1.21',
  sourceRepositoryVisibilityAtSigning: '1.3.6.1.4.1.57264.1.22',
  deploymentEnvironment: '1.3.6.1.4.1.57264.1.23',
} as const

/** Deprecated v1 extensions: raw (not DER-wrapped) strings; still in every Fulcio certificate. */
export const FULCIO_LEGACY_EXTENSIONS = {
  issuer: '1.3.6.1.4.1.57264.1.1',
  githubWorkflowTrigger: '1.3.6.1.4.1.57264.1.2',
  githubWorkflowSha: '1.3.6.1.4.1.57264.1.3',
  githubWorkflowName: '1.3.6.1.4.1.57264.1.4',
  githubWorkflowRepository: '1.3.6.1.4.1.57264.1.5',
  githubWorkflowRef: '1.3.6.1.4.1.57264.1.6',
} as const

export type FulcioExtensionName = keyof typeof FULCIO_EXTENSIONS | keyof typeof FULCIO_LEGACY_EXTENSIONS
export const EXTENSION_NAMES: readonly string[] = [...Object.keys(FULCIO_EXTENSIONS), ...Object.keys(FULCIO_LEGACY_EXTENSIONS).filter((k) => k !== 'issuer')]

const OTHERNAME_SAN_OID = '1.3.6.1.4.1.57264.1.7'
/** Longest extension value we accept; Fulcio values are URIs and digests. */
const MAX_EXTENSION_VALUE = 4096

export interface CertificateIdentity {
  /** Every identity SAN (URI, email, Fulcio otherName), as model_signing compares them. */
  subjectAlternativeNames: string[]
  /** OIDC issuer: the v2 extension when present, else the legacy one. */
  issuer?: string
  /** The legacy (v1, raw) issuer extension, which model_signing compares; kept to cross-check. */
  legacyIssuer?: string
  extensions: Record<string, string>
}

export function identityFromCertificate(cert: X509Certificate): CertificateIdentity {
  const sans: string[] = []
  const san = cert.extSubjectAltName
  if (san) {
    for (const v of [san.uri, san.rfc822Name, safe(() => san.otherName(OTHERNAME_SAN_OID))]) {
      if (typeof v === 'string' && v.length > 0 && !sans.includes(v)) sans.push(v)
    }
  }
  const extensions: Record<string, string> = {}
  for (const [name, oid] of Object.entries(FULCIO_LEGACY_EXTENSIONS)) {
    const raw = cert.extension(oid)?.value
    if (raw && raw.length <= MAX_EXTENSION_VALUE) extensions[name] = raw.toString('utf8')
  }
  for (const [name, oid] of Object.entries(FULCIO_EXTENSIONS)) {
    const raw = cert.extension(oid)?.value
    const v = raw ? derString(raw) : undefined
    if (v !== undefined) extensions[name] = v
  }
  const legacyIssuer = cert.extension(FULCIO_LEGACY_EXTENSIONS.issuer)?.value.toString('utf8')
  // The v2 issuer wins; the legacy one is the fallback for certificates issued before 2023.
  const issuer = extensions.issuer
  return {subjectAlternativeNames: sans, issuer, legacyIssuer, extensions}
}

/** Decodes a DER UTF8String / IA5String / PrintableString; undefined for anything else. */
function derString(buf: Buffer): string | undefined {
  if (buf.length < 2 || buf.length > MAX_EXTENSION_VALUE) return undefined
  const tag = buf[0]
  if (tag !== 0x0c && tag !== 0x16 && tag !== 0x13) return undefined
  let len = buf[1]
  let off = 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n < 1 || n > 2 || buf.length < 2 + n) return undefined
    len = 0
    for (let i = 0; i < n; i++) len = (len << 8) | buf[2 + i]
    off = 2 + n
  }
  if (off + len !== buf.length) return undefined
  return buf.subarray(off).toString('utf8')
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch {
    return undefined
  }
}
