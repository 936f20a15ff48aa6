/**
 * Pushing a model directory (or one file) as a ModelPack artifact: one raw layer per file,
 * titled with its relative path (ORAS style), a ModelPack config blob, and the manifest under
 * the reference's tag. Files are enumerated and hashed the way `sign` does (same ignore rules,
 * symlinks refused), so the layer digests are the OMS file digests and a signature of the
 * pushed manifest also verifies the directory. Uploads stream from disk in chunks.
 */
import {statSync} from 'node:fs'
import path from 'node:path'

import {InputError, UsageError} from '../errors.js'
import {serializeModel} from '../oms/serialize.js'
import type {Descriptor} from './manifest.js'
import {
  ANNOTATION_MEDIATYPE_UNTESTED,
  ANNOTATION_MODEL_FILEPATH,
  ANNOTATION_TITLE,
  layerMediaType,
  MODEL_ARTIFACT_TYPE,
  MODEL_CONFIG,
  OCI_MANIFEST,
} from './media-types.js'
import {connect, type RegistryOptions} from './resolve.js'
import {formatOciReference} from './reference.js'

export interface PushOptions extends RegistryOptions {
  ignorePaths?: string[]
  ignoreGitPaths?: boolean
  /** Manifest annotations (e.g. org.opencontainers.image.version). */
  annotations?: Record<string, string>
  onProgress?: (bytes: number) => void
  progress?: boolean
}

export interface PushResult {
  reference: string
  digest: string
  /** `oci://registry/repo@sha256:…`. */
  pinned: string
  layers: {title: string; digest: string; size: number; mediaType: string; uploaded: boolean}[]
  bytes: number
  uploadedBytes: number
}

export async function pushModel(modelPath: string, reference: string, opts: PushOptions = {}): Promise<PushResult> {
  const client = await connect(reference, opts)
  if (client.ref.digest) throw new UsageError('E_OCI_REFERENCE', 'push needs a tag, not a digest (the digest is the result)')
  const root = path.resolve(modelPath)
  let isFile: boolean
  try {
    isFile = statSync(root).isFile()
  } catch (err) {
    throw new InputError('E_IO', `cannot read ${modelPath}: ${(err as Error).message}`)
  }
  const {manifest: oms} = await serializeModel(root, {
    method: 'files',
    hashType: 'sha256',
    ignorePaths: opts.ignorePaths ?? [],
    ignoreGitPaths: opts.ignoreGitPaths ?? true,
    allowSymlinks: false,
    progress: opts.progress,
  })
  if (oms.resources.length === 0) throw new InputError('E_EMPTY_MODEL', `model ${modelPath} has no files to push`)
  const layers: PushResult['layers'] = []
  const descriptors: Descriptor[] = []
  let bytes = 0
  let uploadedBytes = 0
  for (const r of oms.resources) {
    const title = r.name === '.' ? path.basename(root) : r.name
    const file = r.name === '.' ? root : path.join(root, ...r.name.split('/'))
    const size = statSync(file).size
    const digest = `sha256:${r.digest}`
    const uploaded = await client.pushBlobFile(file, digest, size, opts.onProgress)
    if (!uploaded) opts.onProgress?.(size)
    const {mediaType, untested} = layerMediaType(title)
    const annotations: Record<string, string> = {[ANNOTATION_TITLE]: title, [ANNOTATION_MODEL_FILEPATH]: title}
    if (untested) annotations[ANNOTATION_MEDIATYPE_UNTESTED] = 'true'
    descriptors.push({mediaType, digest, size, annotations})
    layers.push({title, digest, size, mediaType, uploaded})
    bytes += size
    if (uploaded) uploadedBytes += size
  }
  // ModelPack config: the descriptor and the layer digests (raw layers: diffIds = digests).
  // No timestamps, so pushing the same files twice gives the same manifest digest.
  const config = Buffer.from(
    JSON.stringify({
      descriptor: {name: isFile ? path.basename(root) : oms.modelName},
      modelfs: {type: 'layers', diffIds: descriptors.map((d) => d.digest)},
      config: {},
    }),
  )
  const configBlob = await client.pushBlobBytes(config)
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: MODEL_ARTIFACT_TYPE,
    config: {mediaType: MODEL_CONFIG, digest: configBlob.digest, size: configBlob.size},
    layers: descriptors,
  }
  if (opts.annotations && Object.keys(opts.annotations).length > 0) manifest.annotations = opts.annotations
  const text = Buffer.from(JSON.stringify(manifest))
  const {digest} = await client.putManifest(client.ref.tag as string, text, OCI_MANIFEST)
  const ref = client.ref
  return {
    reference: formatOciReference({registry: ref.registry, repository: ref.repository, tag: ref.tag}),
    digest,
    pinned: formatOciReference({registry: ref.registry, repository: ref.repository, digest}),
    layers,
    bytes,
    uploadedBytes,
  }
}
