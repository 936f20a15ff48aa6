/**
 * Reads the Sigstore trust files a user may hand us: a trusted root (trusted_root.json) and a
 * ClientTrustConfig (trusted root + signing config, as `model_signing --trust-config` takes).
 * Both are bounded in size and fully validated before anything is trusted.
 */
import type {ClientTrustConfig, SigningConfig, TrustedRoot} from '@sigstore/protobuf-specs'

import {type ErrorCode, InputError} from '../../errors.js'
import {readBoundedFile} from '../../io/index.js'

/** The public-good trusted root is ~7 KB; anything near this is not a trust file. */
export const MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024

export const TRUSTED_ROOT_MEDIA_PREFIX = 'application/vnd.dev.sigstore.trustedroot'
export const CLIENT_TRUST_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json'
export const SIGNING_CONFIG_MEDIA_PREFIX = 'application/vnd.dev.sigstore.signingconfig'

export function readJsonFile(path: string, what: string, code: ErrorCode): unknown {
  const bytes = readBoundedFile(path, {maxBytes: MAX_TRUST_FILE_BYTES, what, code, followSymlinks: true})
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new InputError(code, `${what} ${path} is not JSON: ${(err as Error).message}`)
  }
}

/** Parses and sanity-checks a trusted root; `where` names its origin in messages. */
export async function parseTrustedRoot(json: unknown, where: string): Promise<TrustedRoot> {
  const {TrustedRoot} = await import('@sigstore/protobuf-specs')
  const bad = (why: string) => new InputError('E_SIGSTORE_TRUSTED_ROOT', `trusted root ${where} is malformed: ${why}`)
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('not a JSON object')
  const mediaType = (json as {mediaType?: unknown}).mediaType
  if (typeof mediaType !== 'string' || !mediaType.startsWith(TRUSTED_ROOT_MEDIA_PREFIX)) {
    throw bad(`mediaType is ${JSON.stringify(mediaType)}, expected ${TRUSTED_ROOT_MEDIA_PREFIX}…`)
  }
  let root: TrustedRoot
  try {
    root = TrustedRoot.fromJSON(json)
  } catch (err) {
    throw bad((err as Error).message)
  }
  if (root.certificateAuthorities.length === 0) throw bad('no certificate authorities')
  if (root.tlogs.length === 0) throw bad('no transparency logs')
  // toTrustMaterial parses every key and certificate; do it now so a bad entry is an input error.
  const {toTrustMaterial} = await import('@sigstore/verify')
  try {
    toTrustMaterial(root)
  } catch (err) {
    throw bad((err as Error).message)
  }
  return root
}

export interface ParsedTrustConfig {
  trustedRoot: TrustedRoot
  signingConfig: SigningConfig
}

export async function readClientTrustConfig(path: string): Promise<ParsedTrustConfig> {
  const json = readJsonFile(path, 'trust config', 'E_SIGSTORE_TRUST_CONFIG')
  const bad = (why: string) => new InputError('E_SIGSTORE_TRUST_CONFIG', `trust config ${path} is malformed: ${why}`)
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('not a JSON object')
  const obj = json as Record<string, unknown>
  if (obj.mediaType !== CLIENT_TRUST_CONFIG_MEDIA_TYPE) {
    throw bad(`mediaType is ${JSON.stringify(obj.mediaType)}, expected ${CLIENT_TRUST_CONFIG_MEDIA_TYPE}`)
  }
  const sc = obj.signingConfig as {mediaType?: unknown} | undefined
  if (!sc || typeof sc !== 'object' || typeof sc.mediaType !== 'string' || !sc.mediaType.startsWith(SIGNING_CONFIG_MEDIA_PREFIX)) {
    throw bad('signingConfig is missing or has the wrong mediaType')
  }
  const {ClientTrustConfig} = await import('@sigstore/protobuf-specs')
  let parsed: ClientTrustConfig
  try {
    parsed = ClientTrustConfig.fromJSON(json)
  } catch (err) {
    throw bad((err as Error).message)
  }
  if (!parsed.signingConfig) throw bad('no signingConfig')
  const trustedRoot = await parseTrustedRoot(obj.trustedRoot, `in ${path}`)
  return {trustedRoot, signingConfig: parsed.signingConfig}
}
