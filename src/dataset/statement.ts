/**
 * The signed form of a dataset manifest: an in-toto Statement whose subject is the dataset root
 * (DigestSet key `dsm1-root`, plus `dirHash1` for sha256 manifests) and whose predicate is the
 * header. Signed and verified only through the one signing module (src/signing).
 */
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {InputError, UsageError, VerificationError} from '../errors.js'
import {readBundleFile, serializeBundle, signPayload, verifyBundle} from '../signing/index.js'
import type {BundleJson, SignerSpec, SignerIdentity, VerifierSpec} from '../signing/types.js'
import {loadManifest, validateHeader, type LoadedManifest} from './header.js'
import {parseBoundedJson} from './json-guard.js'
import {checkShards} from './reader.js'
import {DATASET_PREDICATE_TYPE, INTOTO_PAYLOAD_TYPE, INTOTO_STATEMENT_TYPE, ROOT_DIGEST_KEY, type DatasetHeader} from './types.js'

export const SIGNATURE_FILE = 'manifest.sigstore.json'

export interface DatasetStatement {
  _type: typeof INTOTO_STATEMENT_TYPE
  subject: {name: string; digest: Record<string, string>}[]
  predicateType: typeof DATASET_PREDICATE_TYPE
  predicate: DatasetHeader
}

/** `dataset://name@version` (or `dataset://name`), the subject name and provenance URI. */
export function datasetUri(h: DatasetHeader): string {
  return `dataset://${h.dataset.name}${h.dataset.version ? `@${h.dataset.version}` : ''}`
}

export function buildStatement(h: DatasetHeader): DatasetStatement {
  const digest: Record<string, string> = {[ROOT_DIGEST_KEY]: h.root}
  if (h.dirHash1) digest.dirHash1 = h.dirHash1
  return {_type: INTOTO_STATEMENT_TYPE, subject: [{name: datasetUri(h), digest}], predicateType: DATASET_PREDICATE_TYPE, predicate: h}
}

/** Checks a verified payload is a dataset statement whose subject is its header's root. */
export function parseStatement(payload: Buffer): DatasetHeader {
  const v = parseBoundedJson(payload.toString('utf8'), 'signed statement') as Record<string, unknown>
  if (typeof v !== 'object' || v === null || v._type !== INTOTO_STATEMENT_TYPE)
    throw new InputError('E_DATASET_STATEMENT', 'the signed payload is not an in-toto Statement v1')
  if (v.predicateType !== DATASET_PREDICATE_TYPE)
    throw new VerificationError('E_DATASET_PREDICATE_TYPE', `the signature is over a "${String(v.predicateType)}" statement, not a dataset manifest`)
  const header = validateHeader(v.predicate, 'signed header')
  const subj = v.subject
  if (!Array.isArray(subj) || subj.length !== 1) throw new InputError('E_DATASET_STATEMENT', 'the statement must have exactly one subject')
  const digest = (subj[0] as {digest?: Record<string, unknown>})?.digest
  if (digest?.[ROOT_DIGEST_KEY] !== header.root) throw new VerificationError('E_DATASET_SUBJECT', 'the statement subject is not the root of the signed header')
  if (header.dirHash1 !== undefined && digest.dirHash1 !== header.dirHash1)
    throw new VerificationError('E_DATASET_SUBJECT', 'the statement subject dirHash1 differs from the signed header')
  return header
}

/**
 * Signs a complete manifest. Its shards are checked against the header first (digests, order,
 * roots): a signature must never vouch for a manifest that does not hold together.
 */
export async function signManifest(
  manifest: string,
  signer: SignerSpec,
  out?: string,
): Promise<{signaturePath: string; header: DatasetHeader; bundle: BundleJson}> {
  const m = await loadManifest(manifest)
  if (m.header.partition)
    throw new UsageError(
      'E_DATASET_PARTIAL',
      `${manifest} is a partial manifest (partition ${m.header.partition.index}/${m.header.partition.count}); merge the partials first`,
    )
  await checkShards(m.dir, m.header)
  const payload = Buffer.from(JSON.stringify(buildStatement(m.header)), 'utf8')
  const bundle = await signPayload(payload, INTOTO_PAYLOAD_TYPE, signer)
  const signaturePath = out ?? path.join(m.dir, SIGNATURE_FILE)
  await writeFile(signaturePath, serializeBundle(bundle))
  return {signaturePath, header: m.header, bundle}
}

export interface VerifiedManifest {
  manifest: LoadedManifest
  /** The header that verification trusts: the signed one, or manifest.json under --unsigned. */
  header: DatasetHeader
  signer?: SignerIdentity
  warnings: string[]
}

/**
 * Verifies the signature over a manifest and returns the signed header. The unsigned copy in
 * manifest.json must say exactly the same, or somebody edited it after signing.
 */
export async function verifyManifestSignature(manifest: string, signature: string | undefined, verifier: VerifierSpec): Promise<VerifiedManifest> {
  const m = await loadManifest(manifest)
  const sigPath = signature ?? path.join(m.dir, SIGNATURE_FILE)
  const bundle = readBundleFile(sigPath)
  const env = await verifyBundle(bundle, verifier, {payloadType: INTOTO_PAYLOAD_TYPE})
  const header = parseStatement(env.payload)
  if (JSON.stringify(header) !== JSON.stringify(m.header)) {
    throw new VerificationError('E_DATASET_HEADER_MISMATCH', `${m.headerPath} differs from the signed header (edited after signing?)`)
  }
  const warnings = (env as {warnings?: string[]}).warnings ?? []
  return {manifest: m, header, signer: env.signer, warnings}
}
