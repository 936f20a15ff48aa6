/**
 * Model signatures as evidence: read → verify (who signed) → compare with the model on disk
 * (what is signed). The comparison uses the model's own manifest — every file on disk, hashed
 * with the signature's parameters — so a file the signer chose to ignore is an unsigned file,
 * and the signature's claimed root digest never stands for the model.
 */
import {InputError, VerificationError} from '../errors.js'
import {compareResources} from '../oms/compare.js'
import {IgnoreMatcher} from '../oms/ignore.js'
import {parseResourceName} from '../oms/resource-name.js'
import {parseStatement, type SignedManifest} from '../oms/statement.js'
import type {Manifest} from '../oms/types.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import {type EnvelopeVerifier, readEvidenceBundle} from './bundle.js'
import type {LocalModel} from './model.js'
import {isMatch, type IdentityMatch} from './trust.js'
import type {ModelSignatureEvidence} from './types.js'

const MODEL_SHAPE_ERRORS = new Set(['E_SYMLINK', 'E_NOT_FILE_OR_DIR'])

export interface VerifiedModelSignature {
  source: string
  match: IdentityMatch
  signed: SignedManifest
}

/** Phase 1 (no model I/O): the bundle verifies against a trusted identity and holds an OMS statement. */
export async function verifyModelSignature(file: string, verify: EnvelopeVerifier): Promise<VerifiedModelSignature | {problem: string}> {
  const parsed = readEvidenceBundle(file)
  const m = await verify(parsed, {payloadType: IN_TOTO_PAYLOAD_TYPE, allowLegacyPae: true})
  if (!isMatch(m)) return {problem: `does not verify against any trusted identity: ${m.reasons.join('; ')}`}
  try {
    return {source: file, match: m, signed: parseStatement(m.envelope.payload)}
  } catch (err) {
    if (err instanceof VerificationError) return {problem: `not a model signature: ${err.message}`}
    throw err
  }
}

/** The file a resource name stands for (shard names reduced to their file). */
function fileOf(name: string, method: 'files' | 'shards'): string {
  return parseResourceName(name, method).path
}

/** Phase 2: compare what the signature covers with every file of the model. */
export async function compareWithModel(v: VerifiedModelSignature, model: LocalModel): Promise<ModelSignatureEvidence> {
  const {signed, match} = v
  const s = signed.serialization
  const label = (n: string) => (n === '.' ? (model.files[0]?.path ?? n) : n)
  const out: ModelSignatureEvidence = {
    source: v.source,
    signer: match.signer,
    signerKeys: match.signerKeys,
    identities: match.identities,
    trustedTime: match.trustedTime,
    claimedRootDigest: signed.rootDigest,
    serialization: s,
    resources: signed.resources,
    contentProblems: [],
    unsignedFiles: [],
    signerIgnored: [],
  }
  if (signed.resources.length === 0) {
    out.contentProblems.push('the signature covers no files')
    return out
  }
  let local: Manifest
  try {
    local = await model.manifest({method: s.method, hashType: s.hashType, shardSize: s.shardSize, allowSymlinks: s.allowSymlinks})
  } catch (err) {
    // A symlink or special file where the signature allows none: not what was signed.
    if (err instanceof InputError && MODEL_SHAPE_ERRORS.has(err.code)) {
      out.contentProblems.push(err.message)
      return out
    }
    throw err
  }
  out.contentProblems = compareResources(signed.resources, local.resources, {method: s.method, ignoreUnsignedFiles: true, singleFileLabel: label('.')})
  // Unsigned = on disk (the listing, not the hashed resources) and not signed. Shards mode has
  // no resource for an empty file, signed or not (the OMS rule), so those cannot count against it.
  const signedFiles = new Set(signed.resources.map((r) => label(fileOf(r.name, s.method))))
  const unsigned = model.files
    .filter((f) => !signedFiles.has(f.path) && !(s.method === 'shards' && f.size === 0))
    .map((f) => f.path)
    .sort()
  const ignoredBySigner = new IgnoreMatcher(s.ignorePaths)
  out.unsignedFiles = unsigned
  out.signerIgnored = model.isFile ? [] : unsigned.filter((f) => ignoredBySigner.ignores(f))
  return out
}
