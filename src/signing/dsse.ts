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
 * Largest payload the legacy encoding is tried on. v0.2.0 signed OMS manifests only (about 150
 * bytes per file), so 16 MiB is ~100,000 files; anything larger is a current-format signature or
 * hostile, and must not make the fallback build a repr of many megabytes.
 */
export const MAX_LEGACY_PAYLOAD = 16 * 1024 * 1024

/**
 * The encoding model_signing v0.2.0 actually signed: an f-string that embedded Python's
 * `repr(bytes)` of the payload after a capital-V "DSSEV1". Verify-only.
 */
export function paeCompat(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEV1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `, 'utf8'), pythonBytesRepr(payload)])
}

/** Escape of each byte value for one quote character: what repr() writes for it. */
function reprTable(quote: number): Uint8Array[] {
  const hex = '0123456789abcdef'
  return Array.from({length: 256}, (_, c) => {
    if (c === 0x5c || c === quote) return Uint8Array.of(0x5c, c)
    if (c === 0x09) return Uint8Array.of(0x5c, 0x74)
    if (c === 0x0a) return Uint8Array.of(0x5c, 0x6e)
    if (c === 0x0d) return Uint8Array.of(0x5c, 0x72)
    if (c < 0x20 || c >= 0x7f) return Uint8Array.of(0x5c, 0x78, hex.charCodeAt(c >> 4), hex.charCodeAt(c & 15))
    return Uint8Array.of(c)
  })
}
const TABLES = new Map<number, Uint8Array[]>()

/** Python's `repr()` of a bytes object, as bytes: one pass, at most 4 output bytes per input byte. */
export function pythonBytesRepr(b: Buffer): Buffer {
  const quote = b.includes(0x27) && !b.includes(0x22) ? 0x22 : 0x27
  let table = TABLES.get(quote)
  if (!table) TABLES.set(quote, (table = reprTable(quote)))
  const out = Buffer.allocUnsafe(b.length * 4 + 3)
  let o = 0
  out[o++] = 0x62 // b
  out[o++] = quote
  for (let i = 0; i < b.length; i++) {
    const e = table[b[i]]
    for (let k = 0; k < e.length; k++) out[o++] = e[k]
  }
  out[o++] = quote
  return out.subarray(0, o)
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
export function checkDsseSignature(key: KeyObject, env: DsseEnvelope, opts: DsseCheckOptions = {}): 'dsse' | 'legacy-pae' | undefined {
  const hash = hashForKey(key)
  if (safeVerify(hash, pae(env.payloadType, env.payload), key, env.signature)) return 'dsse'
  if (opts.allowLegacyPae && env.payload.length <= MAX_LEGACY_PAYLOAD) {
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
