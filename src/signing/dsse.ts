/**
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse): the pre-authentication encoding,
 * model_signing v0.2.0's buggy variant (needed to verify its signatures), and the ECDSA step.
 */
import {sign as cryptoSign, verify as cryptoVerify, type KeyObject} from 'node:crypto'

import {hashForKey} from './keys.js'

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

export interface DsseEnvelope {
  payload: Buffer
  payloadType: string
  /** Raw (decoded) signature bytes, first signature of the envelope. */
  signature: Buffer
  /** `keyid` as found: string, null or absent (undefined). */
  keyid?: string | null
}

/** DSSEv1 PAE: "DSSEv1 <len(type)> <type> <len(payload)> <payload>", lengths in bytes. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8')
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload])
}

/**
 * The encoding model_signing v0.2.0 actually signed: an f-string that embedded Python's
 * `repr(bytes)` of the payload after a capital-V "DSSEV1". Verify-only.
 */
export function paeCompat(payloadType: string, payload: Buffer): Buffer {
  return Buffer.from(`DSSEV1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} ${pythonBytesRepr(payload)}`, 'utf8')
}

/** Python's `repr()` of a bytes object. */
export function pythonBytesRepr(b: Buffer): string {
  const quote = b.includes(0x27) && !b.includes(0x22) ? '"' : "'"
  const q = quote.charCodeAt(0)
  const parts: string[] = []
  for (const c of b) {
    if (c === 0x5c) parts.push('\\\\')
    else if (c === q) parts.push(`\\${quote}`)
    else if (c === 0x09) parts.push('\\t')
    else if (c === 0x0a) parts.push('\\n')
    else if (c === 0x0d) parts.push('\\r')
    else if (c < 0x20 || c >= 0x7f) parts.push(`\\x${c.toString(16).padStart(2, '0')}`)
    else parts.push(String.fromCharCode(c))
  }
  return `b${quote}${parts.join('')}${quote}`
}

/** DER ECDSA signature over the PAE with the curve's hash. */
export function signPae(key: KeyObject, payloadType: string, payload: Buffer): Buffer {
  return cryptoSign(hashForKey(key), pae(payloadType, payload), {key, dsaEncoding: 'der'})
}

export interface DsseCheckOptions {
  /** Also accept model_signing v0.2.0's encoding (OMS model signatures only). */
  allowLegacyPae?: boolean
  /** Hashes to try for the legacy encoding (certificate bundles hard-coded SHA-256 there). */
  legacyHashes?: string[]
}

/** Which encoding verified, or undefined when the signature does not verify. */
export function checkDsseSignature(
  key: KeyObject,
  env: DsseEnvelope,
  opts: DsseCheckOptions = {},
): 'dsse' | 'legacy-pae' | undefined {
  const hash = hashForKey(key)
  if (safeVerify(hash, pae(env.payloadType, env.payload), key, env.signature)) return 'dsse'
  if (opts.allowLegacyPae) {
    const msg = paeCompat(env.payloadType, env.payload)
    for (const h of new Set([hash, ...(opts.legacyHashes ?? [])])) {
      if (safeVerify(h, msg, key, env.signature)) return 'legacy-pae'
    }
  }
  return undefined
}

function safeVerify(hash: string, data: Buffer, key: KeyObject, sig: Buffer): boolean {
  try {
    return cryptoVerify(hash, data, {key, dsaEncoding: 'der'}, sig)
  } catch {
    // OpenSSL throws on undecodable DER signatures; that is simply "does not verify".
    return false
  }
}
