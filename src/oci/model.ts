/**
 * A model manifest ↔ the OMS manifest, by the rules of model_signing's Go port
 * (model-transparency-go, pkg/oci/manifest.go), so a signature made from a registry manifest by
 * either tool verifies in the other:
 *   - one resource per layer, named by its `org.opencontainers.image.title` annotation, else
 *     `layer_NNN.tar.gz` (NNN = the layer's index, 3 digits);
 *   - the resource digest is the layer digest (the file's SHA-256 for raw layers);
 *   - optionally the config blob first, as a resource named `config.json`;
 *   - serialization `files` / `sha256`, no symlinks, no ignore paths recorded.
 * Stricter than the Go port: titles must be safe relative paths and unique (a title such as
 * `../x` or a duplicate would let a pull write outside its directory or shadow a file).
 */
import {InputError, UsageError} from '../errors.js'
import {assertSafeResourceName, computeRootDigest, sortResources} from '../oms/resource-name.js'
import type {Manifest, ResourceDescriptor, SerializationParams} from '../oms/types.js'
import type {Descriptor, ImageIndex, ImageManifest} from './manifest.js'
import {ANNOTATION_TITLE} from './media-types.js'

export const CONFIG_RESOURCE_NAME = 'config.json'

export const OCI_SERIALIZATION: SerializationParams = {method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: []}

/** A layer and the file name it stands for. */
export interface ModelFile {
  name: string
  layer: Descriptor
}

export interface ManifestResourceOptions {
  /** Add the config blob as `config.json` (the Go port always does when signing a manifest). */
  includeConfig?: boolean
  /** Go-port ignore rule: exact name, basename, or a directory prefix. */
  ignorePaths?: string[]
  modelName: string
}

/** The go port's fallback name for a layer without a title. */
export function untitledLayerName(index: number): string {
  return `layer_${String(index).padStart(3, '0')}.tar.gz`
}

/**
 * The files a model manifest holds, named by title. Refuses unsafe titles (`..`, absolute,
 * backslash, NUL, empty components), duplicates, and a title that is also a directory of
 * another (`a` and `a/b`), before anything is downloaded.
 */
export function modelFiles(m: ImageManifest): ModelFile[] {
  const out: ModelFile[] = []
  const seen = new Set<string>()
  m.layers.forEach((layer, i) => {
    const title = layer.annotations?.[ANNOTATION_TITLE]
    const name = title === undefined || title === '' ? untitledLayerName(i) : title
    checkTitle(name, i)
    if (seen.has(name)) throw new InputError('E_OCI_DUPLICATE_TITLE', `layers[${i}]: title ${JSON.stringify(name)} appears more than once`)
    seen.add(name)
    out.push({name, layer})
  })
  for (const name of seen) {
    const parts = name.split('/')
    for (let k = 1; k < parts.length; k++) {
      const dir = parts.slice(0, k).join('/')
      if (seen.has(dir))
        throw new InputError('E_OCI_DUPLICATE_TITLE', `title ${JSON.stringify(dir)} is both a file and the directory of ${JSON.stringify(name)}`)
    }
  }
  return out
}

function checkTitle(name: string, i: number): void {
  if (name === '.') throw new InputError('E_OCI_UNSAFE_TITLE', `layers[${i}]: title "." is not a file name`)
  try {
    assertSafeResourceName(name)
  } catch (err) {
    throw new InputError('E_OCI_UNSAFE_TITLE', `layers[${i}]: ${(err as Error).message}`)
  }
  if (Buffer.byteLength(name) > 4096) throw new InputError('E_OCI_UNSAFE_TITLE', `layers[${i}]: title longer than 4096 bytes`)
}

function ignored(name: string, ignore: Set<string>): boolean {
  if (ignore.has(name) || ignore.has(name.slice(name.lastIndexOf('/') + 1))) return true
  for (const p of ignore) if (name.startsWith(`${p}/`)) return true
  return false
}

/** The OMS manifest a model manifest stands for (what is signed, and what a signature is checked against). */
export function manifestToOms(m: ImageManifest, opts: ManifestResourceOptions): Manifest {
  const ignore = new Set<string>()
  for (const p of opts.ignorePaths ?? []) {
    ignore.add(p)
    ignore.add(p.slice(p.lastIndexOf('/') + 1))
  }
  const resources: ResourceDescriptor[] = []
  if (opts.includeConfig && !ignore.has(CONFIG_RESOURCE_NAME)) resources.push(resourceOf(CONFIG_RESOURCE_NAME, m.config))
  for (const f of modelFiles(m)) {
    if (ignored(f.name, ignore)) continue
    if (opts.includeConfig && f.name === CONFIG_RESOURCE_NAME) {
      throw new InputError('E_OCI_DUPLICATE_TITLE', 'a layer is titled config.json, which the config blob also claims (sign without --oci-include-config)')
    }
    resources.push(resourceOf(f.name, f.layer))
  }
  if (resources.length === 0) throw new InputError('E_EMPTY_MODEL', 'the OCI manifest has no layers to sign (after ignored paths)')
  const sorted = sortResources(resources, 'files')
  return {modelName: opts.modelName, serialization: {...OCI_SERIALIZATION, ignorePaths: []}, resources: sorted, rootDigest: computeRootDigest(sorted)}
}

function resourceOf(name: string, d: Descriptor): ResourceDescriptor {
  const [algorithm, digest] = d.digest.split(':')
  return {name, algorithm, digest}
}

export interface PlatformChoice {
  /** `os/arch[/variant]`. */
  platform?: string
  /** A manifest digest listed in the index. */
  manifestDigest?: string
}

/** Picks one manifest of an index: by digest, by platform, the only entry, or the host's platform. */
export function chooseFromIndex(index: ImageIndex, choice: PlatformChoice): Descriptor {
  const entries = index.manifests
  if (choice.manifestDigest) {
    const d = entries.find((e) => e.digest === choice.manifestDigest)
    if (!d) throw new UsageError('E_OCI_NO_SUCH_MANIFEST', `the index does not list ${choice.manifestDigest}`)
    return d
  }
  const describe = () => entries.map((e) => `${e.digest}${e.platform ? ` (${platformString(e.platform)})` : ''}`).join(', ')
  if (choice.platform) {
    const matches = entries.filter((e) => e.platform && platformMatches(e.platform, choice.platform as string))
    if (matches.length !== 1) throw new UsageError('E_OCI_PLATFORM', `${matches.length} manifests match platform ${choice.platform}: ${describe()}`)
    return matches[0]
  }
  if (entries.length === 1) return entries[0]
  const host = `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`
  const matches = entries.filter((e) => e.platform && platformMatches(e.platform, host))
  if (matches.length === 1) return matches[0]
  throw new UsageError('E_OCI_PLATFORM', `the index lists ${entries.length} manifests; choose one with --platform or --manifest-digest: ${describe()}`)
}

function platformString(p: NonNullable<Descriptor['platform']>): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/')
}

function platformMatches(p: NonNullable<Descriptor['platform']>, want: string): boolean {
  const [os, arch, variant] = want.split('/')
  return p.os === os && p.architecture === arch && (variant === undefined || p.variant === variant)
}
