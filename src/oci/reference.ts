/**
 * `oci://REGISTRY/REPOSITORY[:TAG][@DIGEST]` references, parsed with the grammar of the
 * distribution project's reference package (what docker, ORAS and cosign accept), so a string
 * that would name a different repository elsewhere is refused here instead of reinterpreted.
 */
import {UsageError} from '../errors.js'

export const OCI_SCHEME = 'oci://'

export interface OciReference {
  /** host[:port] as typed (docker.io is mapped to its API host in `apiHost`). */
  registry: string
  /** Host the HTTP API is served on (registry-1.docker.io for docker.io). */
  apiHost: string
  repository: string
  tag?: string
  /** `sha256:<hex>` (or sha512) when the reference pins a manifest. */
  digest?: string
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const REPOSITORY_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const TAG_RE = /^[\w][\w.-]{0,127}$/
const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/
/** DNS name or IPv4, or a bracketed IPv6 literal, with an optional port. */
const HOST_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/
/** Longest reference the distribution project accepts for a repository name. */
const MAX_NAME = 255

export function isOciReference(s: string): boolean {
  return typeof s === 'string' && s.startsWith(OCI_SCHEME)
}

/** Parses `oci://…`; throws UsageError (exit 2) with the reason. */
export function parseOciReference(input: string): OciReference {
  const bad = (why: string) => new UsageError('E_OCI_REFERENCE', `invalid OCI reference ${JSON.stringify(input)}: ${why}`)
  if (!isOciReference(input)) throw bad(`expected ${OCI_SCHEME}REGISTRY/REPOSITORY[:TAG][@DIGEST]`)
  let rest = input.slice(OCI_SCHEME.length)
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST_RE.test(digest)) throw bad('the digest must be sha256:<64 hex> or sha512:<128 hex>, lowercase')
  }
  const slash = rest.indexOf('/')
  if (slash <= 0) throw bad('no registry host (oci://HOST/REPOSITORY)')
  const registry = rest.slice(0, slash)
  let path = rest.slice(slash + 1)
  if (!HOST_RE.test(registry)) throw bad(`"${registry}" is not a host[:port]`)
  let tag: string | undefined
  const lastSlash = path.lastIndexOf('/')
  const colon = path.indexOf(':', lastSlash + 1)
  if (colon >= 0) {
    tag = path.slice(colon + 1)
    path = path.slice(0, colon)
    if (!TAG_RE.test(tag)) throw bad(`"${tag}" is not a valid tag`)
  }
  let repository = path
  const lower = registry.toLowerCase()
  const isDockerHub = lower === 'docker.io' || lower === 'index.docker.io' || lower === 'registry-1.docker.io'
  if (isDockerHub && !repository.includes('/')) repository = `library/${repository}`
  if (!REPOSITORY_RE.test(repository)) throw bad(`"${repository}" is not a valid repository name (lowercase, [a-z0-9._-] components separated by /)`)
  if (registry.length + 1 + repository.length > MAX_NAME) throw bad(`name longer than ${MAX_NAME} characters`)
  if (!tag && !digest) tag = 'latest'
  return {registry, apiHost: isDockerHub ? 'registry-1.docker.io' : registry, repository, tag, digest}
}

/** Canonical text form, `oci://` included. */
export function formatOciReference(r: Pick<OciReference, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  return `${OCI_SCHEME}${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`
}

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s)
}
