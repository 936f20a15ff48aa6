/**
 * An in-process registry for fault injection: enough of the distribution API (manifests,
 * blobs, chunked uploads, the referrers API, bearer token auth) for the client, with hooks that
 * let a test lie about digests and sizes, redirect, stall or page forever. It complements the
 * real registry (registry.ts); no behaviour is tested against this fake alone.
 */
import {createHash, randomUUID} from 'node:crypto'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

export type Hook = (req: http.IncomingMessage, res: http.ServerResponse, m: {repo: string; kind: string; ref: string}) => boolean | Promise<boolean>

export interface FakeRegistry {
  host: string
  /** Serve GET /v2/<repo>/referrers/<digest> (else 404, like distribution 2.8). */
  referrersApi: boolean
  /** Require `Authorization: Bearer <token>`; tokens come from /token with basic user:password. */
  bearer?: {user: string; password: string}
  /** Runs before the default handler; return true when it answered. */
  hook?: Hook
  blobs: Map<string, Buffer>
  manifests: Map<string, {bytes: Buffer; mediaType: string}>
  requests: {method: string; url: string; authorization?: string}[]
  putBlob(bytes: Buffer | string): string
  putManifest(repo: string, tag: string | undefined, manifest: unknown, mediaType?: string): string
  close(): Promise<void>
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const uploads = new Map<string, Buffer[]>()
  const token = `tok-${randomUUID()}`
  const reg: FakeRegistry = {
    host: '',
    referrersApi: false,
    blobs: new Map(),
    manifests: new Map(),
    requests: [],
    putBlob(bytes) {
      const b = Buffer.from(bytes)
      const d = sha256(b)
      reg.blobs.set(d, b)
      return d
    },
    putManifest(repo, tag, manifest, mediaType = 'application/vnd.oci.image.manifest.v1+json') {
      const bytes = Buffer.isBuffer(manifest) ? manifest : Buffer.from(JSON.stringify(manifest))
      const d = sha256(bytes)
      reg.manifests.set(`${repo}@${d}`, {bytes, mediaType})
      if (tag) reg.manifests.set(`${repo}:${tag}`, {bytes, mediaType})
      return d
    },
    close: () => new Promise((r) => server.close(() => r())),
  }
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> => {
    reg.requests.push({method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization})
    const url = new URL(req.url ?? '/', `http://${reg.host}`)
    const body = await readBody(req)
    if (url.pathname === '/token') {
      const want = `Basic ${Buffer.from(`${reg.bearer?.user}:${reg.bearer?.password}`).toString('base64')}`
      if (req.headers.authorization !== want) return send(res, 401, '{"errors":[{"code":"UNAUTHORIZED"}]}')
      return send(res, 200, JSON.stringify({token}), {'content-type': 'application/json'})
    }
    if (reg.bearer && req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
        'www-authenticate': `Bearer realm="http://${reg.host}/token",service="fake",scope="repository:x:pull"`,
      })
    }
    if (url.pathname === '/v2/') return send(res, 200, '{}')
    const up = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname)
    const m = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname)
    const info = up ? {repo: up[1], kind: 'uploads', ref: up[2]} : m ? {repo: m[1], kind: m[2], ref: m[3]} : {repo: '', kind: '', ref: ''}
    if (reg.hook && (await reg.hook(req, res, info))) return
    if (up) {
      const [, repo, id] = up
      if (req.method === 'POST') {
        const nid = randomUUID()
        uploads.set(nid, [])
        return send(res, 202, '', {location: `/v2/${repo}/blobs/uploads/${nid}`})
      }
      const parts = uploads.get(id)
      if (!parts) return send(res, 404, '{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]}')
      parts.push(body)
      if (req.method === 'PATCH') return send(res, 202, '', {location: `/v2/${repo}/blobs/uploads/${id}`})
      if (req.method === 'PUT') {
        const all = Buffer.concat(parts)
        const d = url.searchParams.get('digest')
        if (d !== sha256(all)) return send(res, 400, '{"errors":[{"code":"DIGEST_INVALID"}]}')
        reg.blobs.set(d, all)
        uploads.delete(id)
        return send(res, 201, '', {location: `/v2/${repo}/blobs/${d}`, 'docker-content-digest': d})
      }
    }
    if (!m) return send(res, 404, '{}')
    const [, repo, kind, ref] = m
    if (kind === 'blobs') {
      const b = reg.blobs.get(ref)
      if (!b) return send(res, 404, '{"errors":[{"code":"BLOB_UNKNOWN"}]}')
      return send(res, 200, req.method === 'HEAD' ? '' : b, {'content-length': String(b.length), 'docker-content-digest': ref})
    }
    if (kind === 'manifests') {
      const key = ref.includes(':') ? `${repo}@${ref}` : `${repo}:${ref}`
      if (req.method === 'PUT') {
        const d = reg.putManifest(repo, ref.includes(':') ? undefined : ref, body, String(req.headers['content-type']))
        const headers: Record<string, string> = {'docker-content-digest': d, location: `/v2/${repo}/manifests/${d}`}
        const subject = (JSON.parse(body.toString()) as {subject?: {digest?: string}}).subject?.digest
        if (reg.referrersApi && subject) headers['oci-subject'] = subject
        return send(res, 201, '', headers)
      }
      const e = reg.manifests.get(key)
      if (!e) return send(res, 404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
      return send(res, 200, req.method === 'HEAD' ? '' : e.bytes, {
        'content-type': e.mediaType,
        'docker-content-digest': sha256(e.bytes),
        'content-length': String(e.bytes.length),
      })
    }
    if (kind === 'referrers') {
      if (!reg.referrersApi) return send(res, 404, '404 page not found')
      const manifests = []
      for (const [k, e] of reg.manifests) {
        if (!k.startsWith(`${repo}@`)) continue
        const j = JSON.parse(e.bytes.toString()) as {subject?: {digest: string}; artifactType?: string; annotations?: unknown}
        if (j.subject?.digest !== ref) continue
        manifests.push({
          mediaType: e.mediaType,
          digest: k.slice(repo.length + 1),
          size: e.bytes.length,
          artifactType: j.artifactType,
          annotations: j.annotations,
        })
      }
      return send(res, 200, JSON.stringify({schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests}), {
        'content-type': 'application/vnd.oci.image.index.v1+json',
      })
    }
    return send(res, 404, '{}')
  }
  const server = http.createServer((req, res) => void handle(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  reg.host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return reg
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (d: Buffer) => parts.push(d))
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

export function send(res: http.ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): true {
  res.writeHead(status, {'docker-distribution-api-version': 'registry/2.0', ...headers})
  res.end(body)
  return true
}
