/**
 * EC keys for the OMS `key` and `certificate` methods: loading (PEM with leading text, SEC1,
 * PKCS#8, encrypted PEM, DER, compressed points), the OMS key hint, the curve's hash, and
 * generation. Only P-256, P-384 and P-521 are accepted, as by model_signing and the OMS spec.
 */
import {createHash, createPrivateKey, createPublicKey, ECDH, generateKeyPairSync, type KeyObject} from 'node:crypto'

import {InputError, UsageError} from '../errors.js'
import {pemBlocks, readPemFile} from './pem.js'

export type Curve = 'p256' | 'p384' | 'p521'
export const CURVES: readonly Curve[] = ['p256', 'p384', 'p521']

const CURVE_INFO: Record<string, {curve: Curve; hash: 'sha256' | 'sha384' | 'sha512'; nodeName: string; keyDetails: string}> = {
  prime256v1: {curve: 'p256', hash: 'sha256', nodeName: 'prime256v1', keyDetails: 'PKIX_ECDSA_P256_SHA_256'},
  secp384r1: {curve: 'p384', hash: 'sha384', nodeName: 'secp384r1', keyDetails: 'PKIX_ECDSA_P384_SHA_384'},
  secp521r1: {curve: 'p521', hash: 'sha512', nodeName: 'secp521r1', keyDetails: 'PKIX_ECDSA_P521_SHA_512'},
}
const NODE_CURVE: Record<Curve, string> = {p256: 'prime256v1', p384: 'secp384r1', p521: 'secp521r1'}
/** Compressed point length → curve (Python's loader accepts these raw forms too). */
const COMPRESSED_LEN: Record<number, string> = {33: 'prime256v1', 49: 'secp384r1', 67: 'secp521r1'}

const PRIVATE_LABELS = new Set(['EC PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'])

function curveOf(key: KeyObject, what: string) {
  if (key.asymmetricKeyType !== 'ec') {
    throw new InputError('E_KEY_UNSUPPORTED', `${what} is a ${key.asymmetricKeyType ?? 'non-EC'} key; only EC P-256, P-384 and P-521 are supported`)
  }
  const info = CURVE_INFO[key.asymmetricKeyDetails?.namedCurve ?? '']
  if (!info) {
    throw new InputError(
      'E_KEY_UNSUPPORTED',
      `${what} uses curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'}; only P-256, P-384 and P-521 are supported`,
    )
  }
  return info
}

/** ECDSA digest for a key: by curve (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512), as model_signing. */
export function hashForKey(key: KeyObject): 'sha256' | 'sha384' | 'sha512' {
  return curveOf(key, 'key').hash
}

/** Sigstore `keyDetails` name of a key (for the pre-1.1 `rawBytes` form). */
export function keyDetailsFor(key: KeyObject): string {
  return curveOf(key, 'key').keyDetails
}

/** Throws unless `key` is an EC key on a supported curve. */
export function assertSupportedKey(key: KeyObject, what: string): void {
  curveOf(key, what)
}

/**
 * The key with its point uncompressed. OpenSSL keeps a key loaded from a compressed point
 * compressed when it exports it, so the same key would have two SPKI encodings (and two hints);
 * Python's `public_bytes` always writes the uncompressed point, and so do we.
 */
export function canonicalPublicKey(pub: KeyObject): KeyObject {
  if (pub.asymmetricKeyType !== 'ec') return pub
  // Read from the DER, not a JWK export: Node 20 can deadlock exporting a key as JWK when a
  // collection inside it finalizes the job that generated the key (both take the key's lock).
  const curve = pub.asymmetricKeyDetails?.namedCurve ?? ''
  const n = COORDINATE_BYTES[curve]
  const der = pub.export({type: 'spki', format: 'der'})
  // The SPKI ends with the point: 0x04 ‖ X ‖ Y uncompressed, 0x02/0x03 ‖ X compressed.
  if (n === undefined || der[der.length - 2 * n - 1] === 0x04) return pub
  const form = der[der.length - n - 1]
  if (form === 0x02 || form === 0x03) return fromCompressedPoint(der.subarray(der.length - n - 1), curve)
  // Any other encoding (the hybrid forms): let OpenSSL re-encode it, as before.
  return createPublicKey({key: pub.export({format: 'jwk'}), format: 'jwk'})
}

/** Bytes per coordinate of the supported curves' points. */
const COORDINATE_BYTES: Record<string, number> = {prime256v1: 32, secp384r1: 48, secp521r1: 66}

/** The SPKI PEM text with 64-column lines and trailing newline, as Python's `public_bytes`. */
export function spkiPem(pub: KeyObject): string {
  return canonicalPublicKey(pub).export({type: 'spki', format: 'pem'}) as string
}

/**
 * The identity of a signing key: hex SHA-256 of its canonical SPKI DER (uncompressed point).
 * One key has exactly one identity however it was written down (PEM, DER, compressed point,
 * inside a certificate), which is what counting distinct signers needs.
 */
export function keyIdentity(pub: KeyObject): string {
  return createHash('sha256')
    .update(canonicalPublicKey(pub).export({type: 'spki', format: 'der'}))
    .digest('hex')
}

/** OMS `publicKey.hint`: hex SHA-256 of the SPKI PEM text (not of the DER, not of the file). */
export function keyHint(pub: KeyObject): string {
  return createHash('sha256').update(spkiPem(pub)).digest('hex')
}

export function loadPrivateKey(path: string, password?: string): KeyObject {
  const data = readPemFile(path, 'private key')
  const block = pemBlocks(data).find((b) => PRIVATE_LABELS.has(b.label))
  if (!block) throw new InputError('E_KEY_MALFORMED', `no PEM private key block in ${path}`)
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.text)
  if (encrypted && (password === undefined || password === '')) {
    throw new UsageError('E_KEY_PASSWORD_REQUIRED', `private key ${path} is encrypted: pass --password`)
  }
  let key: KeyObject
  try {
    key = createPrivateKey({key: block.text, format: 'pem', passphrase: encrypted ? password : undefined})
  } catch (err) {
    if (encrypted) throw new InputError('E_KEY_DECRYPT', `cannot decrypt private key ${path}: wrong password or corrupt key`)
    throw new InputError('E_KEY_MALFORMED', `cannot parse private key ${path}: ${(err as Error).message}`)
  }
  assertSupportedKey(key, `private key ${path}`)
  return key
}

/** Loads a public key: PEM (SPKI, leading text allowed), DER SPKI or a compressed EC point. */
export function loadPublicKey(path: string): KeyObject {
  const data = readPemFile(path, 'public key')
  let key: KeyObject | undefined
  const blocks = pemBlocks(data)
  const pem = blocks.find((b) => b.label === 'PUBLIC KEY')
  try {
    if (pem) {
      key = createPublicKey({key: pem.text, format: 'pem'})
    } else if (blocks.some((b) => b.label === 'CERTIFICATE')) {
      throw new InputError('E_KEY_MALFORMED', `${path} holds a certificate, not a public key (use verify certificate)`)
    } else if (blocks.some((b) => PRIVATE_LABELS.has(b.label))) {
      throw new InputError('E_KEY_MALFORMED', `${path} holds a private key; pass the public key`)
    } else if (COMPRESSED_LEN[data.length] && (data[0] === 2 || data[0] === 3)) {
      key = fromCompressedPoint(data, COMPRESSED_LEN[data.length])
    } else {
      key = createPublicKey({key: data, format: 'der', type: 'spki'})
    }
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError('E_KEY_MALFORMED', `cannot parse public key ${path}: ${(err as Error).message}`)
  }
  assertSupportedKey(key, `public key ${path}`)
  return key
}

function fromCompressedPoint(point: Buffer, curve: string): KeyObject {
  const raw = ECDH.convertKey(point, curve, undefined, undefined, 'uncompressed') as Buffer
  const n = (raw.length - 1) / 2
  const crv = {prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521'}[curve]
  return createPublicKey({
    key: {kty: 'EC', crv, x: raw.subarray(1, 1 + n).toString('base64url'), y: raw.subarray(1 + n).toString('base64url')},
    format: 'jwk',
  })
}

export interface GeneratedKeyPair {
  privateKeyPem: string
  publicKeyPem: string
  hint: string
  curve: Curve
}

/** A new EC key pair; the private key is PKCS#8, AES-256-CBC encrypted when a password is given. */
export function generateKeyPair(curve: Curve = 'p256', password?: string): GeneratedKeyPair {
  if (!CURVES.includes(curve)) throw new UsageError('E_BAD_CURVE', `unknown curve "${curve}" (expected p256, p384 or p521)`)
  const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: NODE_CURVE[curve]})
  const privateKeyPem = (
    password
      ? privateKey.export({type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: password})
      : privateKey.export({type: 'pkcs8', format: 'pem'})
  ) as string
  return {privateKeyPem, publicKeyPem: spkiPem(publicKey), hint: keyHint(publicKey), curve}
}

/** True when two public keys are the same key (compared as SPKI DER). */
export function sameKey(a: KeyObject, b: KeyObject): boolean {
  return keyIdentity(a) === keyIdentity(b)
}
