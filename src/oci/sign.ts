/**
 * Signing a model in a registry without pulling it: resolve the manifest, build the OMS
 * statement from its layer digests, sign, and push the Sigstore bundle as an OCI 1.1 referrer
 * of the manifest (artifactType = the bundle media type, as cosign stores bundles).
 */
import {createHash} from 'node:crypto'

import {writeAtomically} from '../io/write.js'
import {PREDICATE_TYPE, statementPayload} from '../oms/statement.js'
import type {Manifest} from '../oms/types.js'
import {serializeBundle} from '../signing/bundle.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import {prepareSigner, signPayload} from '../signing/index.js'
import type {BundleJson, SignerSpec} from '../signing/types.js'
import type {Descriptor} from './manifest.js'
import {
  ANNOTATION_BUNDLE_CONTENT,
  ANNOTATION_BUNDLE_PREDICATE,
  ANNOTATION_CREATED,
  EMPTY_DIGEST,
  EMPTY_JSON,
  OCI_EMPTY,
  OCI_MANIFEST,
  SIGSTORE_BUNDLE_TYPE,
} from './media-types.js'
import {manifestToOms} from './model.js'
import {resolveModel, type RegistryOptions, type ResolvedModel} from './resolve.js'

export interface SignOciOptions extends RegistryOptions {
  signer: SignerSpec
  /** Also sign the config blob, as `config.json` (what the Go port does). */
  includeConfig?: boolean
  ignorePaths?: string[]
  /** Also write the bundle here. */
  signaturePath?: string
  /** Sign but do not push (the bundle goes only to signaturePath). */
  noPush?: boolean
}

export interface SignOciResult {
  reference: string
  manifestDigest: string
  manifest: Manifest
  bundle: BundleJson
  /** The referrer manifest holding the bundle (absent with noPush). */
  signatureDigest?: string
  /** How the referrer was made discoverable. */
  attachedVia?: 'api' | 'tag'
  signaturePath?: string
  keyHint?: string
}

/** The OMS subject name for a registry model: the manifest's name annotation, else the repository's last component. */
export function ociModelName(r: Pick<ResolvedModel, 'manifest' | 'ref'>): string {
  const a = r.manifest.annotations
  return a?.['org.opencontainers.image.name'] || a?.['org.opencontainers.image.base.name'] || r.ref.repository.slice(r.ref.repository.lastIndexOf('/') + 1)
}

export async function signOciModel(reference: string, opts: SignOciOptions): Promise<SignOciResult> {
  // Keys are loaded and checked before any network I/O, so a bad key fails fast.
  const prepared = opts.signer.method === 'sigstore' ? undefined : prepareSigner(opts.signer)
  const resolved = await resolveModel(reference, opts)
  const manifest = manifestToOms(resolved.manifest, {includeConfig: opts.includeConfig, ignorePaths: opts.ignorePaths, modelName: ociModelName(resolved)})
  const payload = statementPayload(manifest)
  const bundle = prepared ? prepared.sign(payload, IN_TOTO_PAYLOAD_TYPE) : await signPayload(payload, IN_TOTO_PAYLOAD_TYPE, opts.signer)
  const text = serializeBundle(bundle)
  const result: SignOciResult = {reference: resolved.pinned, manifestDigest: resolved.digest, manifest, bundle, keyHint: prepared?.hint}
  if (opts.signaturePath) {
    writeAtomically(opts.signaturePath, text)
    result.signaturePath = opts.signaturePath
  }
  if (!opts.noPush) {
    const pushed = await pushSignature(resolved, Buffer.from(text))
    result.signatureDigest = pushed.digest
    result.attachedVia = pushed.via
  }
  return result
}

/** Pushes a bundle as a referrer of the resolved manifest. */
export async function pushSignature(resolved: ResolvedModel, bundleBytes: Buffer): Promise<{digest: string; via: 'api' | 'tag'}> {
  const {client} = resolved
  await client.pushBlobBytes(EMPTY_JSON)
  const blob = await client.pushBlobBytes(bundleBytes)
  const subject: Descriptor = {mediaType: resolved.descriptor.mediaType, digest: resolved.digest, size: resolved.descriptor.size}
  const annotations = {
    [ANNOTATION_BUNDLE_CONTENT]: 'dsse-envelope',
    [ANNOTATION_BUNDLE_PREDICATE]: PREDICATE_TYPE,
    [ANNOTATION_CREATED]: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  }
  const referrer = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: SIGSTORE_BUNDLE_TYPE,
    config: {mediaType: OCI_EMPTY, digest: EMPTY_DIGEST, size: EMPTY_JSON.length},
    layers: [{mediaType: SIGSTORE_BUNDLE_TYPE, digest: blob.digest, size: blob.size}],
    subject,
    annotations,
  }
  const bytes = Buffer.from(JSON.stringify(referrer))
  const {digest, subjectHeader} = await client.putManifest(`sha256:${sha256hex(bytes)}`, bytes, OCI_MANIFEST)
  const via = await client.attachReferrer(
    resolved.digest,
    {mediaType: OCI_MANIFEST, digest, size: bytes.length, artifactType: SIGSTORE_BUNDLE_TYPE, annotations},
    subjectHeader,
  )
  return {digest, via}
}

function sha256hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}
