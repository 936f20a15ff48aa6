/**
 * OCI image manifests and indexes as modelseal reads them: validated field by field (a
 * registry's answer is hostile input), bounded in entries, digests limited to sha256.
 */
import {InputError} from '../errors.js'
import {DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST} from './media-types.js'

/** Registries must accept manifests of at least 4 MiB (distribution spec); we read no more. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024
export const MAX_LAYERS = 10_000
export const MAX_INDEX_ENTRIES = 10_000
const MAX_ANNOTATIONS = 256
const MAX_ANNOTATION_BYTES = 64 * 1024

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
  annotations?: Record<string, string>
  platform?: {os?: string; architecture?: string; variant?: string}
}

export interface ImageManifest {
  kind: 'manifest'
  mediaType: string
  artifactType?: string
  config: Descriptor
  layers: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

export interface ImageIndex {
  kind: 'index'
  mediaType: string
  manifests: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

const SHA256_RE = /^sha256:[a-f0-9]{64}$/

const bad = (what: string, why: string) => new InputError('E_OCI_MANIFEST_MALFORMED', `${what}: ${why}`)

function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let v: unknown
  try {
    // JSON.parse is iterative in V8 for arrays/objects of this size; the 4 MiB cap bounds the rest.
    v = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw bad(what, `not JSON (${(err as Error).message})`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(what, 'not a JSON object')
  return v as Record<string, unknown>
}

function annotationsOf(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(what, 'annotations is not an object')
  const entries = Object.entries(v as Record<string, unknown>)
  if (entries.length > MAX_ANNOTATIONS) throw bad(what, `more than ${MAX_ANNOTATIONS} annotations`)
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [k, val] of entries) {
    if (typeof val !== 'string') throw bad(what, `annotation ${JSON.stringify(k)} is not a string`)
    if (val.length > MAX_ANNOTATION_BYTES) throw bad(what, `annotation ${JSON.stringify(k)} is too long`)
    out[k] = val
  }
  return out
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(what, 'descriptor is not an object')
  const d = v as Record<string, unknown>
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw bad(what, 'descriptor has no mediaType')
  if (typeof d.digest !== 'string') throw bad(what, 'descriptor has no digest')
  if (!SHA256_RE.test(d.digest)) {
    throw new InputError(
      'E_OCI_UNSUPPORTED_DIGEST',
      `${what}: digest ${JSON.stringify(d.digest.slice(0, 80))} is not sha256:<64 lowercase hex> (the only algorithm modelseal accepts)`,
    )
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw bad(what, 'descriptor size is not a non-negative integer')
  const out: Descriptor = {mediaType: d.mediaType, digest: d.digest, size: d.size}
  if (typeof d.artifactType === 'string') out.artifactType = d.artifactType
  const ann = annotationsOf(d.annotations, what)
  if (ann) out.annotations = ann
  if (typeof d.platform === 'object' && d.platform !== null) {
    const p = d.platform as Record<string, unknown>
    out.platform = {
      os: typeof p.os === 'string' ? p.os : undefined,
      architecture: typeof p.architecture === 'string' ? p.architecture : undefined,
      variant: typeof p.variant === 'string' ? p.variant : undefined,
    }
  }
  return out
}

/** Parses a manifest or an index; `contentType` is the response header (used when mediaType is absent). */
export function parseManifestOrIndex(bytes: Buffer, contentType: string | null, what: string): ImageManifest | ImageIndex {
  if (bytes.length > MAX_MANIFEST_BYTES) throw new InputError('E_OCI_TOO_LARGE', `${what} is ${bytes.length} bytes (limit ${MAX_MANIFEST_BYTES})`)
  const j = parseJsonObject(bytes, what)
  if (j.schemaVersion !== 2) throw bad(what, `schemaVersion must be 2 (got ${JSON.stringify(j.schemaVersion)})`)
  const header = (contentType ?? '').split(';')[0].trim()
  const mediaType = typeof j.mediaType === 'string' ? j.mediaType : header
  if (
    typeof j.mediaType === 'string' &&
    header &&
    [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].includes(header) &&
    header !== j.mediaType
  ) {
    throw bad(what, `served as ${header} but declares ${j.mediaType}`)
  }
  const isIndex = mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST || (mediaType === '' && Array.isArray(j.manifests) && j.layers === undefined)
  const subject = j.subject === undefined || j.subject === null ? undefined : parseDescriptor(j.subject, `${what} subject`)
  const annotations = annotationsOf(j.annotations, what)
  if (isIndex) {
    if (!Array.isArray(j.manifests)) throw bad(what, 'index has no manifests list')
    if (j.manifests.length > MAX_INDEX_ENTRIES)
      throw new InputError('E_OCI_TOO_LARGE', `${what} lists ${j.manifests.length} manifests (limit ${MAX_INDEX_ENTRIES})`)
    const manifests = j.manifests.map((m, i) => parseDescriptor(m, `${what} manifests[${i}]`))
    return {kind: 'index', mediaType: mediaType || OCI_INDEX, manifests, subject, annotations}
  }
  if (mediaType !== '' && mediaType !== OCI_MANIFEST && mediaType !== DOCKER_MANIFEST)
    throw bad(what, `unsupported manifest media type ${JSON.stringify(mediaType)}`)
  if (!Array.isArray(j.layers)) throw bad(what, 'manifest has no layers list')
  if (j.layers.length > MAX_LAYERS) throw new InputError('E_OCI_TOO_LARGE', `${what} has ${j.layers.length} layers (limit ${MAX_LAYERS})`)
  const config = parseDescriptor(j.config, `${what} config`)
  const layers = j.layers.map((l, i) => parseDescriptor(l, `${what} layers[${i}]`))
  const out: ImageManifest = {kind: 'manifest', mediaType: mediaType || OCI_MANIFEST, config, layers, subject, annotations}
  if (typeof j.artifactType === 'string') out.artifactType = j.artifactType
  return out
}

/** `sha256-<hex>`: the referrers tag schema's tag for a subject digest. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-').slice(0, 128)
}
