/**
 * Verifying a model in a registry by its manifest alone: discover the signature referrers,
 * authenticate each bundle with the given key / chain / identity until one holds, and check
 * its statement against the manifest's layers (names = titles, digests = layer digests). No
 * layer blob is downloaded.
 */
import {type ErrorCode, InputError, VerificationError} from '../errors.js'
import {compareResources} from '../oms/compare.js'
import {parseStatement, type SignedManifest} from '../oms/statement.js'
import {readBundleFile} from '../signing/bundle.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import {verifyBundle} from '../signing/index.js'
import type {SignerIdentity, VerifierSpec} from '../signing/types.js'
import {CONFIG_RESOURCE_NAME, manifestToOms, modelFiles} from './model.js'
import {SIGSTORE_BUNDLE_TYPE} from './media-types.js'
import {resolveModel, type RegistryOptions, type ResolvedModel} from './resolve.js'
import {ociModelName} from './sign.js'

/** Bundles larger than this are not signatures (the referrer is skipped with a problem line). */
export const MAX_SIGNATURE_BYTES = 16 * 1024 * 1024
/** Signature referrers tried before giving up. */
export const MAX_SIGNATURES_TRIED = 64

export interface VerifyOciOptions extends RegistryOptions {
  verifier: VerifierSpec
  /** Verify this local bundle instead of the registry's referrers. */
  signaturePath?: string
  /** Layers the signature does not list are not an error. */
  ignoreUnsignedFiles?: boolean
  ignorePaths?: string[]
}

/** `verify … oci://…` report (also its --json shape). */
export interface VerifyOciResult {
  verified: boolean
  method: VerifierSpec['method']
  reference: string
  manifestDigest: string | null
  /** Digest of the referrer manifest whose bundle verified (null for a local --signature). */
  signatureDigest: string | null
  /** How signatures were found: referrers API, referrers tag schema, or a local file. */
  signaturesVia: 'api' | 'tag' | 'file' | null
  signaturesFound: number
  rootDigest: string | null
  signer: SignerIdentity | null
  /** Whether the verified signature covers the config blob (as `config.json`). */
  coversConfig: boolean
  resources: number
  problems: string[]
  warnings: string[]
}

export interface VerifiedOciModel {
  report: VerifyOciResult
  resolved: ResolvedModel
  bundle: Buffer
  signed: SignedManifest
}

export async function verifyOciModel(reference: string, opts: VerifyOciOptions): Promise<VerifiedOciModel> {
  const resolved = await resolveModel(reference, opts)
  // Unsafe or duplicate titles are refused before anything else is fetched.
  modelFiles(resolved.manifest)
  const report: VerifyOciResult = {
    verified: false,
    method: opts.verifier.method,
    reference: resolved.pinned,
    manifestDigest: resolved.digest,
    signatureDigest: null,
    signaturesVia: null,
    signaturesFound: 0,
    rootDigest: null,
    signer: null,
    coversConfig: false,
    resources: 0,
    problems: [],
    warnings: [],
  }
  const candidates: {label: string; digest: string | null; load: () => Promise<Buffer>}[] = []
  if (opts.signaturePath) {
    const file = opts.signaturePath
    report.signaturesVia = 'file'
    candidates.push({label: file, digest: null, load: async () => readBundleFile(file)})
  } else {
    const {referrers, via} = await resolved.client.referrers(resolved.digest, SIGSTORE_BUNDLE_TYPE)
    report.signaturesVia = via
    report.signaturesFound = referrers.length
    for (const r of referrers.slice(0, MAX_SIGNATURES_TRIED)) {
      candidates.push({label: `signature ${r.digest}`, digest: r.digest, load: () => loadBundle(resolved, r.digest)})
    }
    if (referrers.length > MAX_SIGNATURES_TRIED)
      report.warnings.push(`${referrers.length} signatures attached; only the first ${MAX_SIGNATURES_TRIED} were tried`)
  }
  if (opts.signaturePath) report.signaturesFound = 1
  const fail = (code: ErrorCode): never => {
    throw new VerificationError(
      code,
      `verification failed: ${report.problems[0]}${report.problems.length > 1 ? ` (and ${report.problems.length - 1} more)` : ''}`,
      report,
    )
  }
  if (candidates.length === 0) {
    report.problems.push(
      `no signature is attached to ${resolved.pinned} (looked up via the referrers ${report.signaturesVia === 'api' ? 'API' : 'tag schema'})`,
    )
    fail('E_OCI_NO_SIGNATURE')
  }
  let firstLoadError: Error | undefined
  let checked = 0
  for (const c of candidates) {
    let bundle: Buffer
    try {
      bundle = await c.load()
    } catch (err) {
      if (err instanceof InputError || err instanceof VerificationError) {
        firstLoadError ??= err
        report.problems.push(`${c.label}: ${err.message}`)
        continue
      }
      throw err
    }
    checked++
    const outcome = await checkOne(bundle, resolved, opts)
    if ('problems' in outcome) {
      report.problems.push(...outcome.problems.map((p) => `${c.label}: ${p}`))
      continue
    }
    report.verified = true
    report.problems = []
    report.signatureDigest = c.digest
    report.signer = outcome.signer
    report.warnings.push(...outcome.warnings)
    report.rootDigest = outcome.signed.rootDigest
    report.resources = outcome.signed.resources.length
    report.coversConfig = outcome.coversConfig
    return {report, resolved, bundle, signed: outcome.signed}
  }
  // No signature could even be read (registry errors): that is the registry's failure, not the model's.
  if (checked === 0 && firstLoadError) throw firstLoadError
  return fail('E_MODEL_MISMATCH')
}

async function loadBundle(resolved: ResolvedModel, referrerDigest: string): Promise<Buffer> {
  const m = await resolved.client.getManifest(referrerDigest)
  if (m?.parsed.kind !== 'manifest') throw new InputError('E_OCI_MANIFEST_MALFORMED', 'the referrer is not an image manifest')
  const layer = m.parsed.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_TYPE)
  if (!layer) throw new InputError('E_OCI_MANIFEST_MALFORMED', `the referrer holds no ${SIGSTORE_BUNDLE_TYPE} layer`)
  return resolved.client.fetchBlobBytes(layer, MAX_SIGNATURE_BYTES)
}

type Outcome = {signed: SignedManifest; signer: SignerIdentity; warnings: string[]; coversConfig: boolean} | {problems: string[]}

async function checkOne(bundle: Buffer, resolved: ResolvedModel, opts: VerifyOciOptions): Promise<Outcome> {
  let signed: SignedManifest
  let signer: SignerIdentity
  let warnings: string[]
  try {
    const env = await verifyBundle(bundle, opts.verifier, {allowLegacyPae: true})
    if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) return {problems: [`payload type is "${env.payloadType}", expected ${IN_TOTO_PAYLOAD_TYPE}`]}
    signed = parseStatement(env.payload)
    signer = env.signer
    warnings = env.warnings ?? []
  } catch (err) {
    if (err instanceof VerificationError || err instanceof InputError) return {problems: [err.message]}
    throw err
  }
  if (signed.resources.length === 0) return {problems: ['the signature covers no files']}
  if (signed.serialization.method !== 'files' || signed.serialization.hashType !== 'sha256') {
    return {
      problems: [
        `the signature was made with ${signed.serialization.method}/${signed.serialization.hashType}; a registry manifest can only match files/sha256 (verify the pulled directory instead)`,
      ],
    }
  }
  // The Go port signs the config blob as `config.json`; a signature that lists it is checked
  // against the config digest, one that does not is checked against the layers alone.
  const coversConfig = signed.resources.some((r) => r.name === CONFIG_RESOURCE_NAME) && !hasLayerTitled(resolved, CONFIG_RESOURCE_NAME)
  const actual = manifestToOms(resolved.manifest, {includeConfig: coversConfig, ignorePaths: opts.ignorePaths, modelName: ociModelName(resolved)})
  const problems = compareResources(signed.resources, actual.resources, {method: 'files', ignoreUnsignedFiles: opts.ignoreUnsignedFiles})
  if (problems.length > 0) return {problems}
  return {signed, signer, warnings, coversConfig}
}

function hasLayerTitled(resolved: ResolvedModel, name: string): boolean {
  return resolved.manifest.layers.some((l) => l.annotations?.['org.opencontainers.image.title'] === name)
}
