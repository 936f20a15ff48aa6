/**
 * The distribution API calls modelseal needs: resolve and fetch manifests (digest-checked),
 * push manifests and blobs (chunked, streamed from disk), download blobs (streamed, digest- and
 * size-checked as the bytes arrive), and discover/attach referrers — through the referrers API
 * where the registry has one, otherwise through the referrers tag schema (`sha256-<hex>`).
 */
import {createHash} from 'node:crypto'
import type {FileHandle} from 'node:fs/promises'

import {InputError, VerificationError} from '../errors.js'
import {type Descriptor, type ImageIndex, type ImageManifest, MAX_MANIFEST_BYTES, parseManifestOrIndex, referrersTag} from './manifest.js'
import {MANIFEST_ACCEPT, OCI_INDEX} from './media-types.js'
import type {OciReference} from './reference.js'
import {type BodyFactory, discard, errorSummary, readBounded, Transport, type TransportOptions} from './transport.js'

/** Bytes per PATCH of a chunked upload (each chunk is streamed from disk, never buffered). */
export const UPLOAD_CHUNK_BYTES = 256 * 1024 * 1024
/** Pages of referrers followed (Link: rel="next"), and referrers kept in all. */
export const MAX_REFERRER_PAGES = 16
export const MAX_REFERRERS = 1_000
const WRITE_BATCH_BYTES = 1 << 20

export interface FetchedManifest {
  digest: string
  bytes: Buffer
  contentType: string
  parsed: ImageManifest | ImageIndex
}

export interface ReferrersResult {
  referrers: Descriptor[]
  /** 'api' when the registry answered the referrers API, 'tag' for the tag-schema fallback. */
  via: 'api' | 'tag'
}

export class RegistryClient {
  readonly ref: OciReference
  private readonly t: Transport

  private readonly chunkBytes: number

  constructor(ref: OciReference, opts: TransportOptions & {uploadChunkBytes?: number} = {}) {
    this.ref = ref
    this.t = new Transport(ref.apiHost, opts)
    this.chunkBytes = opts.uploadChunkBytes ?? UPLOAD_CHUNK_BYTES
  }

  private get repo(): string {
    return this.ref.repository
  }

  private scope(push = false): string {
    return `repository:${this.repo}:${push ? 'pull,push' : 'pull'}`
  }

  private where(): string {
    return `${this.ref.registry}/${this.repo}`
  }

  /**
   * GET a manifest by tag or digest. The digest is computed from the bytes received: asking by
   * digest and receiving other bytes is a verification failure (exit 1), as is a tag answer whose
   * Docker-Content-Digest header disagrees with its bytes.
   */
  async getManifest(reference: string, opts: {allowMissing?: boolean} = {}): Promise<FetchedManifest | undefined> {
    const res = await this.t.request({method: 'GET', url: `/v2/${this.repo}/manifests/${reference}`, headers: {accept: MANIFEST_ACCEPT}, scope: this.scope()})
    if (res.status === 404 && opts.allowMissing) {
      await discard(res)
      return undefined
    }
    if (res.status !== 200)
      throw new InputError(res.status === 404 ? 'E_OCI_NOT_FOUND' : 'E_OCI_HTTP', `${this.where()}:${reference}: manifest ${await errorSummary(res)}`)
    const bytes = await readBounded(res, MAX_MANIFEST_BYTES, `manifest ${reference}`)
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    if (reference.includes(':') && reference !== digest) {
      throw new VerificationError('E_OCI_DIGEST_MISMATCH', `${this.where()}: asked for manifest ${reference}, received bytes with digest ${digest}`)
    }
    const header = res.headers.get('docker-content-digest')
    if (header?.startsWith('sha256:') && header !== digest) {
      throw new VerificationError('E_OCI_DIGEST_MISMATCH', `${this.where()}:${reference}: the registry says ${header} but the manifest bytes hash to ${digest}`)
    }
    const contentType = res.headers.get('content-type') ?? ''
    const parsed = parseManifestOrIndex(bytes, contentType, `manifest ${this.where()}@${digest}`)
    return {digest, bytes, contentType: parsed.mediaType, parsed}
  }

  /** PUT a manifest under a tag or its digest; returns the digest and the registry's OCI-Subject header. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<{digest: string; subjectHeader: string | null}> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    const res = await this.t.request({
      method: 'PUT',
      url: `/v2/${this.repo}/manifests/${reference}`,
      headers: {'content-type': mediaType, 'content-length': String(bytes.length)},
      body: () => bytes,
      scope: this.scope(true),
    })
    if (res.status !== 201 && res.status !== 200)
      throw new InputError('E_OCI_PUSH', `${this.where()}: pushing manifest ${reference} failed: ${await errorSummary(res)}`)
    const subjectHeader = res.headers.get('oci-subject')
    await discard(res)
    const returned = res.headers.get('docker-content-digest')
    if (returned && returned !== digest)
      throw new VerificationError('E_OCI_DIGEST_MISMATCH', `${this.where()}: pushed manifest ${digest} but the registry stored ${returned}`)
    return {digest, subjectHeader}
  }

  async blobExists(digest: string): Promise<boolean> {
    const res = await this.t.request({method: 'HEAD', url: `/v2/${this.repo}/blobs/${digest}`, scope: this.scope(true)})
    await discard(res)
    return res.status === 200
  }

  /** Uploads bytes held in memory (configs, bundles: small). */
  async pushBlobBytes(bytes: Buffer): Promise<Descriptor & {uploaded: boolean}> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    if (await this.blobExists(digest)) return {mediaType: '', digest, size: bytes.length, uploaded: false}
    const location = await this.startUpload()
    await this.finishUpload(location, digest, () => bytes, bytes.length)
    return {mediaType: '', digest, size: bytes.length, uploaded: true}
  }

  /**
   * Uploads a file whose digest is already known: skipped when the registry has it, else a
   * chunked upload: POST, a PATCH per chunk but the last (streamed from disk, Content-Range),
   * then the closing PUT ?digest= carrying the last chunk.
   */
  async pushBlobFile(file: string, digest: string, size: number, onBytes?: (n: number) => void): Promise<boolean> {
    if (await this.blobExists(digest)) return false
    let location = await this.startUpload()
    if (size === 0) {
      await this.finishUpload(location, digest, () => Buffer.alloc(0), 0)
      return true
    }
    for (let start = 0; start < size; start += this.chunkBytes) {
      const end = Math.min(start + this.chunkBytes, size) // exclusive
      const last = end === size
      // The last (often only) chunk travels with the closing PUT: one request fewer per blob.
      const url = last ? withDigest(location, digest) : location
      const headers: Record<string, string> = {'content-type': 'application/octet-stream'}
      if (!last) headers['content-range'] = `${start}-${end - 1}`
      const r = await this.t.uploadRange({method: last ? 'PUT' : 'PATCH', url, headers, file, start, end, scope: this.scope(true)})
      const ok = last ? r.status === 201 || r.status === 204 || r.status === 200 : r.status === 202
      if (!ok) throw new InputError('E_OCI_PUSH', `${this.where()}: uploading ${file} failed at byte ${start}: ${r.summary}`)
      if (!last) location = this.resolveLocation(r.location, location)
      onBytes?.(end - start)
    }
    return true
  }

  private async startUpload(): Promise<string> {
    const res = await this.t.request({method: 'POST', url: `/v2/${this.repo}/blobs/uploads/`, headers: {'content-length': '0'}, scope: this.scope(true)})
    if (res.status !== 202) throw new InputError('E_OCI_PUSH', `${this.where()}: cannot start an upload: ${await errorSummary(res)}`)
    const location = this.nextLocation(res, `${this.t.base}/v2/${this.repo}/blobs/uploads/`)
    await discard(res)
    return location
  }

  private nextLocation(res: Response, current: string): string {
    return this.resolveLocation(res.headers.get('location'), current)
  }

  private resolveLocation(loc: string | null, current: string): string {
    if (!loc) throw new InputError('E_OCI_PUSH', `${this.where()}: upload response without a Location`)
    const url = new URL(loc, current.startsWith('/') ? this.t.base + current : current)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError('E_OCI_PUSH', `upload location with scheme ${url.protocol}`)
    return url.toString()
  }

  private async finishUpload(location: string, digest: string, body: BodyFactory | undefined, size: number): Promise<void> {
    const res = await this.t.request({
      method: 'PUT',
      url: withDigest(location, digest),
      headers: {'content-type': 'application/octet-stream', 'content-length': String(size)},
      body,
      scope: this.scope(true),
    })
    if (res.status !== 201 && res.status !== 204 && res.status !== 200) {
      throw new InputError('E_OCI_PUSH', `${this.where()}: completing upload of ${digest} failed: ${await errorSummary(res)}`)
    }
    await discard(res)
  }

  /**
   * Streams a blob into `out`, hashing as it arrives; more bytes than `expected.size`, fewer, or
   * a different digest is a verification failure (exit 1). Redirects (to a CDN) are followed,
   * but the bytes are checked all the same.
   */
  async downloadBlob(expected: Pick<Descriptor, 'digest' | 'size'>, out: FileHandle, onBytes?: (n: number) => void): Promise<void> {
    const {res, timedOut, timeoutMs} = await this.t.download(`/v2/${this.repo}/blobs/${expected.digest}`, this.scope())
    if (res.statusCode !== 200) {
      res.resume()
      throw new InputError(res.statusCode === 404 ? 'E_OCI_NOT_FOUND' : 'E_OCI_HTTP', `${this.where()}: blob ${expected.digest}: HTTP ${res.statusCode}`)
    }
    const declared = res.headers['content-length']
    if (declared !== undefined && Number(declared) !== expected.size) {
      res.destroy()
      throw new VerificationError('E_OCI_BLOB_MISMATCH', `blob ${expected.digest}: the registry sends ${declared} bytes, the manifest says ${expected.size}`)
    }
    const h = createHash('sha256')
    let n = 0
    // Network chunks are small (16-64 KiB); writes are batched to ~1 MiB (bounded memory).
    let pending: Buffer[] = []
    let pendingBytes = 0
    const flush = async () => {
      if (pendingBytes === 0) return
      await out.write(pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes))
      onBytes?.(pendingBytes)
      pending = []
      pendingBytes = 0
    }
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        n += chunk.length
        if (n > expected.size) {
          res.destroy()
          throw new VerificationError('E_OCI_BLOB_MISMATCH', `blob ${expected.digest}: more than the ${expected.size} bytes the manifest declares`)
        }
        h.update(chunk)
        pending.push(chunk)
        pendingBytes += chunk.length
        if (pendingBytes >= WRITE_BATCH_BYTES) await flush()
      }
    } catch (err) {
      if (err instanceof VerificationError) throw err
      if (timedOut()) throw new InputError('E_OCI_TIMEOUT', `the registry stopped sending ${expected.digest} for ${timeoutMs} ms`)
      if (err instanceof InputError) throw err
      throw new InputError('E_OCI_UNREACHABLE', `reading ${expected.digest} failed: ${(err as Error).message}`)
    }
    await flush()
    if (n !== expected.size)
      throw new VerificationError('E_OCI_BLOB_MISMATCH', `blob ${expected.digest}: received ${n} bytes, the manifest declares ${expected.size}`)
    const got = `sha256:${h.digest('hex')}`
    if (got !== expected.digest) throw new VerificationError('E_OCI_BLOB_MISMATCH', `blob ${expected.digest}: received bytes hash to ${got}`)
  }

  /** Small blobs (signature bundles): bounded, digest-checked. */
  async fetchBlobBytes(expected: Pick<Descriptor, 'digest' | 'size'>, max: number): Promise<Buffer> {
    if (expected.size > max) throw new InputError('E_OCI_TOO_LARGE', `blob ${expected.digest} is ${expected.size} bytes (limit ${max})`)
    const res = await this.t.request({method: 'GET', url: `/v2/${this.repo}/blobs/${expected.digest}`, scope: this.scope()})
    if (res.status !== 200)
      throw new InputError(res.status === 404 ? 'E_OCI_NOT_FOUND' : 'E_OCI_HTTP', `${this.where()}: blob ${expected.digest}: ${await errorSummary(res)}`)
    const bytes = await readBounded(res, expected.size, `blob ${expected.digest}`)
    const got = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    if (bytes.length !== expected.size || got !== expected.digest) {
      throw new VerificationError('E_OCI_BLOB_MISMATCH', `blob ${expected.digest}: received ${bytes.length} bytes hashing to ${got}`)
    }
    return bytes
  }

  /**
   * Referrers of `digest` with the given artifactType. The referrers API first (paginated by
   * Link headers, bounded); a 404 there means the registry has none, so the tag schema is read.
   */
  async referrers(digest: string, artifactType: string): Promise<ReferrersResult> {
    const first = `/v2/${this.repo}/referrers/${digest}?artifactType=${encodeURIComponent(artifactType)}`
    let url: string | undefined = first
    const out: Descriptor[] = []
    for (let page = 0; url; page++) {
      if (page >= MAX_REFERRER_PAGES)
        throw new InputError('E_OCI_TOO_MANY_REFERRERS', `${this.where()}: more than ${MAX_REFERRER_PAGES} pages of referrers for ${digest}`)
      const res = await this.t.request({method: 'GET', url, headers: {accept: OCI_INDEX}, scope: this.scope()})
      if (res.status === 404 && page === 0) {
        await discard(res)
        return {referrers: await this.referrersFromTag(digest, artifactType), via: 'tag'}
      }
      if (res.status !== 200) throw new InputError('E_OCI_HTTP', `${this.where()}: referrers of ${digest}: ${await errorSummary(res)}`)
      const bytes = await readBounded(res, MAX_MANIFEST_BYTES, `referrers of ${digest}`)
      const index = parseManifestOrIndex(bytes, OCI_INDEX, `referrers of ${digest}`)
      if (index.kind !== 'index') throw new InputError('E_OCI_MANIFEST_MALFORMED', `referrers of ${digest}: not an image index`)
      for (const d of index.manifests) {
        if (d.artifactType !== artifactType) continue // filtering is optional for the registry
        if (!out.some((o) => o.digest === d.digest)) out.push(d)
        if (out.length > MAX_REFERRERS) throw new InputError('E_OCI_TOO_MANY_REFERRERS', `${this.where()}: more than ${MAX_REFERRERS} referrers for ${digest}`)
      }
      url = nextLink(res.headers.get('link'), url.startsWith('/') ? this.t.base + url : url, this.t.base)
    }
    return {referrers: out, via: 'api'}
  }

  private async referrersFromTag(digest: string, artifactType: string): Promise<Descriptor[]> {
    const fetched = await this.getManifest(referrersTag(digest), {allowMissing: true})
    if (!fetched) return []
    if (fetched.parsed.kind !== 'index') throw new InputError('E_OCI_MANIFEST_MALFORMED', `${this.where()}:${referrersTag(digest)} is not an image index`)
    const out = fetched.parsed.manifests.filter((d) => d.artifactType === artifactType)
    if (out.length > MAX_REFERRERS) throw new InputError('E_OCI_TOO_MANY_REFERRERS', `${this.where()}: more than ${MAX_REFERRERS} referrers for ${digest}`)
    return out
  }

  /**
   * Makes a pushed referrer discoverable. A registry that processed `subject` says so with an
   * OCI-Subject header; otherwise the client maintains the `sha256-<hex>` index itself (the
   * distribution spec's fallback). Returns which way was used.
   */
  async attachReferrer(subjectDigest: string, referrer: Descriptor, subjectHeader: string | null): Promise<'api' | 'tag'> {
    if (subjectHeader === subjectDigest) return 'api'
    const tag = referrersTag(subjectDigest)
    const existing = await this.getManifest(tag, {allowMissing: true})
    let manifests: Descriptor[] = []
    let annotations: Record<string, string> | undefined
    if (existing) {
      if (existing.parsed.kind !== 'index')
        throw new InputError('E_OCI_MANIFEST_MALFORMED', `${this.where()}:${tag} exists and is not an image index; refusing to overwrite it`)
      manifests = existing.parsed.manifests.filter((d) => d.digest !== referrer.digest)
      annotations = existing.parsed.annotations
      if (manifests.length >= MAX_REFERRERS)
        throw new InputError('E_OCI_TOO_MANY_REFERRERS', `${this.where()}:${tag} already lists ${manifests.length} referrers`)
    }
    manifests.push(referrer)
    const index: Record<string, unknown> = {schemaVersion: 2, mediaType: OCI_INDEX, manifests}
    if (annotations) index.annotations = annotations
    await this.putManifest(tag, Buffer.from(JSON.stringify(index)), OCI_INDEX)
    return 'tag'
  }
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location)
  url.searchParams.set('digest', digest)
  return url.toString()
}

/** The rel="next" target of a Link header, resolved; only same-origin links are followed. */
function nextLink(header: string | null, current: string, base: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part)
    if (!m) continue
    const url = new URL(m[1], current)
    if (url.origin !== new URL(base).origin) throw new InputError('E_OCI_HTTP', `referrers pagination points to another origin (${url.origin})`)
    return url.toString()
  }
  return undefined
}
