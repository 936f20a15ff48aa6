/**
 * Attestations as evidence: read → verify → classify by predicate type. A scan attestation or a
 * provenance statement is about this model only when its subject digest equals the digest of the
 * files on disk, recomputed here; a scan report's file paths are kept model-relative so that a
 * rule can check what the scan covered, file by file.
 */
import {parseScanStatement, SCAN_PREDICATE_TYPE} from '../attest/scan-predicate.js'
import {parseStatement, parseTime, subjectDigests, type Statement} from '../attest/statement.js'
import {parseStatement as parseDatasetStatement} from '../dataset/statement.js'
import {DATASET_PREDICATE_TYPE, ROOT_DIGEST_KEY} from '../dataset/types.js'
import {InputError, ModelsealError} from '../errors.js'
import {PREDICATE_TYPE as OMS_PREDICATE_TYPE, PREDICATE_TYPE_COMPAT} from '../oms/statement.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import {type EnvelopeVerifier, readEvidenceBundle} from './bundle.js'
import {IDENTITY_PARAMS, type LocalModel} from './model.js'
import {isMatch, type IdentityMatch} from './trust.js'
import type {DatasetManifestEvidence, DatasetRef, ProvenanceEvidence, ScanAttestationEvidence, VerifiedSigner} from './types.js'

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1'
/** SLSA verification summary: modelseal's decision statements (read by audit, never evidence for rules). */
export const VSA_PREDICATE_TYPE = 'https://slsa.dev/verification_summary/v1'
export const MAX_DEPENDENCIES = 10_000

export interface VerifiedStatement {
  source: string
  match: IdentityMatch
  statement: Statement
}

/** Phase 1 (no model I/O): verify the envelope and parse the in-toto statement it carries. */
export async function verifyAttestation(file: string, verify: EnvelopeVerifier): Promise<VerifiedStatement | {problem: string}> {
  const parsed = readEvidenceBundle(file)
  const m = await verify(parsed, {payloadType: IN_TOTO_PAYLOAD_TYPE})
  if (!isMatch(m)) return {problem: `does not verify against any trusted identity: ${m.reasons.join('; ')}`}
  return {source: file, match: m, statement: parseStatement(m.envelope.payload, file)}
}

export const signerOf = (source: string, m: IdentityMatch): VerifiedSigner => ({
  source,
  signer: m.signer,
  signerKeys: m.signerKeys,
  identities: m.identities,
  trustedTime: m.trustedTime,
})

export type Classified =
  | {kind: 'scan'; evidence: ScanAttestationEvidence}
  | {kind: 'provenance'; evidence: ProvenanceEvidence}
  | {kind: 'dataset'; evidence: DatasetManifestEvidence}
  | {kind: 'decision'; statement: Statement}
  | {kind: 'other'; problem: string}

/** Phase 2: what the statement says, and whether it is about the model on disk. */
export async function classifyAttestation(v: VerifiedStatement, model: LocalModel): Promise<Classified> {
  const {statement: st, source, match} = v
  switch (st.predicateType) {
    case SCAN_PREDICATE_TYPE: {
      const scan = parseScanStatement(st, source)
      const local = await model.manifest(scan.serialization, scan.serialization.ignorePaths)
      const pathsRelative = scan.pathsRelative && scan.report.files.every((f) => isRelativeName(f.path))
      return {
        kind: 'scan',
        evidence: {
          ...signerOf(source, match),
          claimedTime: scan.scannedAt,
          subjectDigest: scan.subjectDigest,
          subjectMatches: local.rootDigest === scan.subjectDigest,
          serialization: scan.serialization,
          report: scan.report,
          pathsRelative,
        },
      }
    }
    case SLSA_PROVENANCE_V1: {
      const local = await model.manifest(IDENTITY_PARAMS)
      return {
        kind: 'provenance',
        evidence: {
          ...signerOf(source, match),
          subjectMatches: subjectDigests(st, 'sha256').includes(local.rootDigest),
          datasets: provenanceDatasets(st, source),
        },
      }
    }
    case DATASET_PREDICATE_TYPE: {
      const d = datasetFromStatement(source, match)
      return 'problem' in d ? {kind: 'other', problem: d.problem} : {kind: 'dataset', evidence: d}
    }
    case VSA_PREDICATE_TYPE:
      return {kind: 'decision', statement: st}
    case OMS_PREDICATE_TYPE:
    case PREDICATE_TYPE_COMPAT:
      return {kind: 'other', problem: 'this is a model signature; pass it with --signature'}
    default:
      return {kind: 'other', problem: `unsupported predicate type ${st.predicateType}; not used`}
  }
}

/** A report path a rule can place: model-relative, '/'-separated, no '..', not absolute. */
export function isRelativeName(p: string): boolean {
  return p !== '' && !p.startsWith('/') && !p.includes('\\') && !p.includes('\0') && !p.split('/').some((c) => c === '..' || c === '.' || c === '')
}

/** Training datasets named in SLSA provenance: resolvedDependencies with a dsm1-root digest. */
export function provenanceDatasets(st: Statement, file: string): DatasetRef[] {
  const bd = st.predicate.buildDefinition as {resolvedDependencies?: unknown} | undefined
  const deps = Array.isArray(bd?.resolvedDependencies) ? bd.resolvedDependencies : []
  if (deps.length > MAX_DEPENDENCIES) throw new InputError('E_ATTESTATION_MALFORMED', `${file}: more than ${MAX_DEPENDENCIES} resolvedDependencies`)
  const out: DatasetRef[] = []
  for (const d of deps) {
    const digest = (d as {digest?: Record<string, unknown>})?.digest
    const root = digest?.[ROOT_DIGEST_KEY]
    if (root === undefined) continue
    if (typeof root !== 'string' || !/^[0-9a-fA-F]{64}$/.test(root))
      throw new InputError('E_ATTESTATION_MALFORMED', `${file}: resolvedDependencies ${ROOT_DIGEST_KEY} is not 64 hex`)
    const uri = (d as {uri?: unknown; name?: unknown}).uri ?? (d as {name?: unknown}).name
    out.push({name: typeof uri === 'string' ? uri.slice(0, 512) : undefined, root: root.toLowerCase()})
  }
  return out
}

export function datasetFromStatement(source: string, m: IdentityMatch): DatasetManifestEvidence | {problem: string} {
  let header
  try {
    header = parseDatasetStatement(m.envelope.payload)
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    return {problem: `not a dataset manifest statement: ${err.message}`}
  }
  return {...signerOf(source, m), claimedTime: parseTime(header.created), root: header.root, name: header.dataset.name, version: header.dataset.version}
}
