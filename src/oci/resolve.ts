/**
 * Reference → the one model manifest it names, digest-checked: a tag is resolved to a digest
 * first, an index is narrowed to one manifest (by --manifest-digest or platform), and every
 * later step (signing, verifying, pulling) works on that digest, never on the tag again.
 */
import {InputError, VerificationError} from '../errors.js'
import {RegistryClient, type FetchedManifest} from './client.js'
import {resolveCredentials, type CredentialOptions} from './credentials.js'
import type {Descriptor, ImageManifest} from './manifest.js'
import {chooseFromIndex, type PlatformChoice} from './model.js'
import {formatOciReference, parseOciReference, type OciReference} from './reference.js'

export interface RegistryOptions extends CredentialOptions, PlatformChoice {
  plainHttp?: boolean
  timeoutMs?: number
}

export interface ResolvedModel {
  client: RegistryClient
  ref: OciReference
  /** The model manifest's digest (after any index). */
  digest: string
  /** Descriptor of the model manifest, the `subject` of its signatures. */
  descriptor: Descriptor
  manifest: ImageManifest
  /** The index the manifest was chosen from, if the reference named one. */
  indexDigest?: string
  /** `oci://registry/repo@digest` of the model manifest. */
  pinned: string
}

export async function connect(reference: string, opts: RegistryOptions = {}): Promise<RegistryClient> {
  const ref = parseOciReference(reference)
  const credentials = await resolveCredentials(ref.registry, opts)
  return new RegistryClient(ref, {
    plainHttp: opts.plainHttp,
    credentials,
    timeoutMs: opts.timeoutMs ?? positiveIntFromEnv('MODELSEAL_OCI_TIMEOUT_MS'),
    uploadChunkBytes: positiveIntFromEnv('MODELSEAL_OCI_CHUNK_BYTES'),
  })
}

/** Tuning knobs (documented in docs/oci.md): idle timeout and upload chunk size. */
function positiveIntFromEnv(name: string): number | undefined {
  const v = Number(process.env[name])
  return Number.isSafeInteger(v) && v > 0 ? v : undefined
}

export async function resolveModel(reference: string, opts: RegistryOptions = {}): Promise<ResolvedModel> {
  const client = await connect(reference, opts)
  const ref = client.ref
  let fetched = (await client.getManifest(ref.digest ?? (ref.tag as string))) as FetchedManifest
  let indexDigest: string | undefined
  if (fetched.parsed.kind === 'index') {
    indexDigest = fetched.digest
    const chosen = chooseFromIndex(fetched.parsed, opts)
    fetched = (await client.getManifest(chosen.digest)) as FetchedManifest
    if (fetched.parsed.kind !== 'manifest')
      throw new InputError('E_OCI_MANIFEST_MALFORMED', `${chosen.digest} is an index inside an index; name the model manifest with --manifest-digest`)
  } else if (opts.manifestDigest && opts.manifestDigest !== fetched.digest) {
    throw new VerificationError('E_OCI_DIGEST_MISMATCH', `${formatOciReference(ref)} is the manifest ${fetched.digest}, not ${opts.manifestDigest}`)
  }
  const manifest = fetched.parsed
  const descriptor: Descriptor = {mediaType: fetched.contentType, digest: fetched.digest, size: fetched.bytes.length}
  if (manifest.artifactType) descriptor.artifactType = manifest.artifactType
  return {
    client,
    ref,
    digest: fetched.digest,
    descriptor,
    manifest,
    indexDigest,
    pinned: formatOciReference({registry: ref.registry, repository: ref.repository, digest: fetched.digest}),
  }
}
