/**
 * Keyless signing: an ephemeral P-256 key, a Fulcio certificate for the OIDC identity, the
 * DSSE signature logged in Rekor and timestamped by a TSA — written as a v0.3 Sigstore bundle
 * in the shape sigstore-python writes (what `model_signing verify sigstore` reads).
 */
import {InputError, ModelsealError, UsageError} from '../../errors.js'
import {redactSecrets} from '../../util/redact.js'
import {unreachable} from './network.js'
import type {BundleJson, KeylessSignOptions} from '../types.js'
import {resolveSigningEndpoints, type SigningEndpoints} from './endpoints.js'
import {resolveIdentityToken, type ResolvedToken} from './token.js'

/** Per-request timeout for Fulcio/Rekor/TSA. Rekor v2 can take longer to integrate. */
const SERVICE_TIMEOUT_MS = 20_000
const SERVICE_RETRIES = 2

export interface KeylessSignContext {
  /** Environment to read SIGSTORE_ID_TOKEN / ACTIONS_ID_TOKEN_* from (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Retries per service call (default 2); tests use 0. */
  retries?: number
  timeoutMs?: number
  /** Receives what was used, for reports. */
  onResolved?: (info: {endpoints: SigningEndpoints; token: Omit<ResolvedToken, 'token'>}) => void
}

export async function signKeyless(payload: Buffer, payloadType: string, opts: KeylessSignOptions & KeylessSignContext = {}): Promise<BundleJson> {
  if (!(payload instanceof Uint8Array) || payload.length === 0) {
    throw new InputError('E_SIGSTORE_PAYLOAD', 'nothing to sign: empty payload')
  }
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  const endpoints = await resolveSigningEndpoints(opts)
  if (endpoints.rekorApiVersion === 2 && !endpoints.tsaUrl) {
    // Rekor v2 entries carry no signed time; without a TSA the bundle could never verify.
    throw new UsageError('E_SIGSTORE_CONFLICT', 'Rekor v2 needs a timestamp authority: give --tsa-url')
  }
  const token = await resolveIdentityToken(opts.identityToken, opts.env ?? process.env)
  opts.onResolved?.({endpoints, token: {source: token.source, claims: token.claims}})

  const [{DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness}, {bundleToJSON}] = await Promise.all([
    import('@sigstore/sign'),
    import('@sigstore/bundle'),
  ])
  const fetchOpts = {timeout: opts.timeoutMs ?? SERVICE_TIMEOUT_MS, retry: {retries: opts.retries ?? SERVICE_RETRIES}}
  const signer = new FulcioSigner({
    fulcioBaseURL: endpoints.fulcioUrl,
    identityProvider: {getToken: async () => token.token},
    ...fetchOpts,
  })
  const witnesses = [
    new RekorWitness({
      rekorBaseURL: endpoints.rekorUrl,
      entryType: 'dsse',
      majorApiVersion: endpoints.rekorApiVersion,
      ...fetchOpts,
    }),
  ]
  if (endpoints.tsaUrl) witnesses.push(new TSAWitness({tsaBaseURL: endpoints.tsaUrl, ...fetchOpts}) as never)
  const builder = new DSSEBundleBuilder({signer, witnesses})
  let bundle
  try {
    bundle = await builder.create({data, type: payloadType})
  } catch (err) {
    throw serviceError(err, endpoints)
  }
  const json = bundleToJSON(bundle) as unknown as BundleJson
  return toPythonShape(json)
}

/** Which service a @sigstore/sign error code is about, and its URL. */
function serviceOf(code: string | undefined): [string, (ep: SigningEndpoints) => string | undefined] | undefined {
  if (code === 'CA_CREATE_SIGNING_CERTIFICATE_ERROR') return ['Fulcio', (ep) => ep.fulcioUrl]
  if (code === 'TLOG_CREATE_ENTRY_ERROR' || code === 'TLOG_FETCH_ENTRY_ERROR') return ['Rekor', (ep) => ep.rekorUrl]
  if (code === 'TSA_CREATE_TIMESTAMP_ERROR') return ['the timestamp authority', (ep) => ep.tsaUrl]
  return ['a Sigstore service', () => undefined]
}

/** sigstore-python writes no `keyid` on keyless signatures; keep the bundles byte-alike. */
function toPythonShape(json: BundleJson): BundleJson {
  const env = json.dsseEnvelope as {signatures?: {sig: string; keyid?: string}[]} | undefined
  for (const s of env?.signatures ?? []) if (s.keyid === '') delete s.keyid
  return json
}

function serviceError(err: unknown, ep: SigningEndpoints): ModelsealError {
  if (err instanceof ModelsealError) return err
  const e = err as {code?: string; message?: string}
  const msg = e.message ?? String(err)
  const service = serviceOf(e.code)
  const down = service && unreachable(service[0], service[1](ep), err)
  if (down) return down
  switch (e.code) {
    case 'CA_CREATE_SIGNING_CERTIFICATE_ERROR':
      return new InputError('E_SIGSTORE_FULCIO', `Fulcio (${ep.fulcioUrl}) refused to issue a certificate: ${msg}`)
    case 'IDENTITY_TOKEN_PARSE_ERROR':
    case 'IDENTITY_TOKEN_READ_ERROR': {
      // @sigstore/sign quotes the whole token in this message; only its cause is safe to show.
      const cause = (err as {cause?: {message?: string}}).cause?.message ?? 'not a usable OIDC token'
      return new InputError('E_SIGSTORE_TOKEN_MALFORMED', `identity token rejected: ${redactSecrets(cause)}`)
    }
    case 'TLOG_CREATE_ENTRY_ERROR':
    case 'TLOG_FETCH_ENTRY_ERROR':
      return new InputError('E_SIGSTORE_REKOR', `Rekor (${ep.rekorUrl}) did not log the signature: ${msg}`)
    case 'TSA_CREATE_TIMESTAMP_ERROR':
      return new InputError('E_SIGSTORE_TSA', `the timestamp authority (${ep.tsaUrl}) did not timestamp the signature: ${msg}`)
    default:
      return new InputError('E_SIGSTORE_SIGNING', `keyless signing failed: ${msg}`)
  }
}
