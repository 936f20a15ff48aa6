/**
 * Which Fulcio, Rekor and TSA a keyless signature uses. Public-good by default (the services
 * sigstore-python's production signing config names, so `model_signing` gets the bundle it
 * expects: Rekor v1 dsse entry + RFC 3161 timestamp), staging with `useStaging`, a
 * ClientTrustConfig's signing config, and explicit URLs override any of them.
 */
import type {Service, SigningConfig} from '@sigstore/protobuf-specs'

import {InputError, UsageError} from '../../errors.js'
import {readClientTrustConfig} from './trust-files.js'

export interface SigningEndpoints {
  fulcioUrl: string
  rekorUrl: string
  /** 1 = Rekor v1 (`dsse` 0.0.1 entry), 2 = Rekor v2. */
  rekorApiVersion: 1 | 2
  /** No TSA means the signature's time comes from the Rekor v1 inclusion promise only. */
  tsaUrl?: string
  /** Where the endpoints came from, for the report. */
  source: 'public-good' | 'staging' | 'trust-config' | 'flags'
}

export const PUBLIC_GOOD = {
  fulcioUrl: 'https://fulcio.sigstore.dev',
  rekorUrl: 'https://rekor.sigstore.dev',
  tsaUrl: 'https://timestamp.sigstore.dev/api/v1/timestamp',
} as const

export const STAGING = {
  fulcioUrl: 'https://fulcio.sigstage.dev',
  rekorUrl: 'https://rekor.sigstage.dev',
  tsaUrl: 'https://timestamp.sigstage.dev/api/v1/timestamp',
} as const

const MAX_CA_API = 1
const MAX_TLOG_API = 2
const MAX_TSA_API = 1

export interface EndpointOptions {
  useStaging?: boolean
  trustConfigPath?: string
  fulcioUrl?: string
  rekorUrl?: string
  tsaUrl?: string
}

export async function resolveSigningEndpoints(o: EndpointOptions): Promise<SigningEndpoints> {
  if (o.useStaging && o.trustConfigPath) {
    throw new UsageError('E_SIGSTORE_CONFLICT', '--use-staging and --trust-config are mutually exclusive')
  }
  let base: SigningEndpoints
  if (o.trustConfigPath) {
    const {signingConfig} = await readClientTrustConfig(o.trustConfigPath)
    base = fromSigningConfig(signingConfig, o.trustConfigPath)
  } else if (o.useStaging) {
    base = {...STAGING, rekorApiVersion: 1, source: 'staging'}
  } else {
    base = {...PUBLIC_GOOD, rekorApiVersion: 1, source: 'public-good'}
  }
  const overridden = o.fulcioUrl !== undefined || o.rekorUrl !== undefined || o.tsaUrl !== undefined
  const out: SigningEndpoints = {
    ...base,
    fulcioUrl: checkUrl(o.fulcioUrl ?? base.fulcioUrl, '--fulcio-url'),
    rekorUrl: checkUrl(o.rekorUrl ?? base.rekorUrl, '--rekor-url'),
    // An explicit Rekor URL means the classic v1 API unless the config said otherwise for it.
    rekorApiVersion: o.rekorUrl !== undefined ? 1 : base.rekorApiVersion,
    tsaUrl: o.tsaUrl !== undefined ? checkUrl(o.tsaUrl, '--tsa-url') : base.tsaUrl,
    source: overridden ? 'flags' : base.source,
  }
  return out
}

function checkUrl(value: string, what: string): string {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    throw new UsageError('E_SIGSTORE_URL', `${what} is not a URL: ${value}`)
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new UsageError('E_SIGSTORE_URL', `${what} must be an http(s) URL: ${value}`)
  }
  // Trailing slashes would give `//api/v2/...` paths.
  return value.replace(/\/+$/, '')
}

/** Service selection as the Sigstore client spec describes it: newest valid, supported API. */
export function fromSigningConfig(sc: SigningConfig, where: string): SigningEndpoints {
  const now = new Date()
  const pick = (services: Service[], maxApi: number, what: string, required: boolean): Service | undefined => {
    const ok = services
      .filter((s) => s.majorApiVersion >= 1 && s.majorApiVersion <= maxApi)
      .filter((s) => (!s.validFor?.start || s.validFor.start <= now) && (!s.validFor?.end || s.validFor.end >= now))
      .sort((a, b) => (b.validFor?.start?.getTime() ?? 0) - (a.validFor?.start?.getTime() ?? 0))
    if (ok.length === 0 && required) {
      throw new InputError('E_SIGSTORE_TRUST_CONFIG', `trust config ${where} has no usable ${what} service`)
    }
    return ok[0]
  }
  const ca = pick(sc.caUrls, MAX_CA_API, 'certificate authority', true)!
  const tlog = pick(sc.rekorTlogUrls, MAX_TLOG_API, 'transparency log', true)!
  const tsa = pick(sc.tsaUrls, MAX_TSA_API, 'timestamp authority', false)
  return {
    fulcioUrl: ca.url.replace(/\/+$/, ''),
    rekorUrl: tlog.url.replace(/\/+$/, ''),
    rekorApiVersion: tlog.majorApiVersion === 2 ? 2 : 1,
    tsaUrl: tsa?.url,
    source: 'trust-config',
  }
}
