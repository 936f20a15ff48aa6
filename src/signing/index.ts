/**
 * The one signing module: DSSE envelopes in Sigstore bundles, for model signatures and every
 * other signed artifact in modelseal. Key and certificate paths use node:crypto only (ECDSA
 * with the curve's hash, as model_signing); keyless dispatches to ./keyless, loaded lazily so
 * the key-only commands do not pay for sigstore-js at start-up.
 */
import {createPublicKey, type KeyObject, type X509Certificate} from 'node:crypto'

import {InputError, UsageError, VerificationError} from '../errors.js'
import {BUNDLE_MEDIA_TYPE, certificateBundle, keyBundle, parseBundle, type ParsedBundle} from './bundle.js'
import {assertLeafCanSign, certificateSummary, leafPublicKey, loadCertificates, parseCertificate, verifyCertificateChain} from './certificate.js'
import {checkDsseSignature, signPae} from './dsse.js'
import {keyHint, keyIdentity, loadPrivateKey, loadPublicKey, sameKey} from './keys.js'
import type {BundleJson, SignerSpec, VerifiedEnvelope, VerifierSpec, VerifyBundleOptions} from './types.js'
import {requireObject, requireOneOf} from '../util/args.js'

export type {BundleJson, SignerSpec, VerifiedEnvelope, VerifierSpec, VerifyBundleOptions} from './types.js'

/** A loaded key/certificate signer: keys are read and checked before any expensive hashing. */
export interface PreparedSigner {
  method: 'key' | 'certificate'
  /** OMS hint of the signing public key. */
  hint: string
  sign(payload: Buffer, payloadType: string): BundleJson
}

/** Loads and checks the signing material of a key or certificate signer. */
export function prepareSigner(spec: Extract<SignerSpec, {method: 'key' | 'certificate'}>, now: Date = new Date()): PreparedSigner {
  const priv = loadPrivateKey(spec.privateKeyPath, spec.password)
  const pub = createPublicKey(priv)
  const hint = keyHint(pub)
  if (spec.method === 'key') {
    return {method: 'key', hint, sign: (payload, type) => keyBundle(hint, payload, type, signPae(priv, type, payload))}
  }
  const leaf = loadCertificates([spec.signingCertificatePath])[0]
  if (!sameKey(leaf.publicKey, pub)) {
    throw new InputError('E_CERT_KEY_MISMATCH', `the signing certificate's public key does not match the private key`)
  }
  const validFrom = new Date(leaf.validFrom)
  const validTo = new Date(leaf.validTo)
  // A signature nobody can verify is worse than none: refuse to sign outside the validity period.
  if (!(now >= validFrom && now <= validTo)) {
    throw new InputError('E_SIGNING_CERT_VALIDITY', `signing certificate is valid only from ${validFrom.toISOString()} to ${validTo.toISOString()}`)
  }
  try {
    assertLeafCanSign(leaf)
  } catch (err) {
    throw new InputError('E_SIGNING_CERT_USAGE', (err as Error).message)
  }
  const chain = loadCertificatesOrEmpty(spec.certificateChainPaths)
  const ders = [leaf.raw, ...chain.map((c) => c.raw)]
  return {method: 'certificate', hint, sign: (payload, type) => certificateBundle(ders, payload, type, signPae(priv, type, payload))}
}

function loadCertificatesOrEmpty(paths: string[] | undefined): X509Certificate[] {
  return paths && paths.length > 0 ? loadCertificates(paths) : []
}

/** Signs `payload` as a DSSE envelope and returns the Sigstore bundle (v0.3). */
export async function signPayload(payload: Buffer, payloadType: string, spec: SignerSpec): Promise<BundleJson> {
  if (!(payload instanceof Uint8Array)) throw new UsageError('E_BAD_ARGUMENT', 'signPayload: payload must be a Buffer or Uint8Array')
  if (typeof payloadType !== 'string' || payloadType === '') throw new UsageError('E_BAD_ARGUMENT', 'signPayload: payloadType must be a non-empty string')
  requireOneOf('signPayload', 'spec.method', requireObject<SignerSpec>('signPayload', 'spec', spec).method, ['key', 'certificate', 'sigstore'] as const)
  if (spec.method === 'sigstore') {
    const {signKeyless} = await import('./keyless/index.js')
    return signKeyless(payload, payloadType, spec)
  }
  return prepareSigner(spec).sign(payload, payloadType)
}

/**
 * Verifies a bundle (object, JSON text or bytes) and returns the authenticated payload.
 * Throws InputError (exit 3) for malformed input, VerificationError (exit 1) when a check fails.
 */
export async function verifyBundle(bundle: unknown, spec: VerifierSpec, opts: VerifyBundleOptions = {}): Promise<VerifiedEnvelope> {
  requireOneOf('verifyBundle', 'spec.method', requireObject<VerifierSpec>('verifyBundle', 'spec', spec).method, ['key', 'certificate', 'sigstore'] as const)
  let result: VerifiedEnvelope
  if (spec.method === 'sigstore') {
    const parsed = parseBundle(bundle)
    const {verifyKeyless} = await import('./keyless/index.js')
    result = await verifyKeyless(parsed.json, spec, opts)
  } else {
    const parsed = parseBundle(bundle)
    if (parsed.mediaType !== BUNDLE_MEDIA_TYPE) {
      throw new InputError('E_BUNDLE_MEDIA_TYPE', `unsupported bundle media type "${parsed.mediaType}" (expected ${BUNDLE_MEDIA_TYPE})`)
    }
    result = spec.method === 'key' ? verifyWithKey(parsed, spec.publicKeyPath, opts) : verifyWithChain(parsed, spec.certificateChainPaths, opts)
  }
  if (opts.payloadType !== undefined && result.payloadType !== opts.payloadType) {
    throw new VerificationError('E_PAYLOAD_TYPE', `payload type is "${result.payloadType}", expected "${opts.payloadType}"`)
  }
  return result
}

function wrongMethod(parsed: ParsedBundle, expected: string): VerificationError {
  const has = {
    publicKey: 'a public key (verify key)',
    x509CertificateChain: 'a certificate chain (verify certificate)',
    certificate: 'a Sigstore certificate (verify sigstore)',
  }[parsed.material.kind]
  return new VerificationError('E_BUNDLE_METHOD', `the bundle was signed with ${has}, not ${expected}`)
}

function verifyWithKey(parsed: ParsedBundle, publicKeyPath: string, opts: VerifyBundleOptions): VerifiedEnvelope {
  const pub = loadPublicKey(publicKeyPath)
  const m = parsed.material
  if (m.kind !== 'publicKey') throw wrongMethod(parsed, 'a public key')
  const hint = keyHint(pub)
  const warnings: string[] = []
  if (m.hint !== undefined) {
    if (m.hint.toLowerCase() !== hint) {
      throw new VerificationError('E_KEY_MISMATCH', 'key mismatch: the bundle names a different public key (hint differs)')
    }
  } else {
    const embedded = m.rawBytes ? tryKey(m.rawBytes) : undefined
    if (embedded && !sameKey(embedded, pub)) {
      throw new VerificationError('E_KEY_MISMATCH', 'key mismatch: the bundle carries a different public key (rawBytes)')
    }
    warnings.push('the bundle uses the pre-1.1 verification material (no key hint); re-sign to upgrade')
  }
  return checkSignature(parsed, pub, opts, {method: 'key', keyFingerprint: hint, keyIdentity: keyIdentity(pub)}, warnings, [])
}

function tryKey(raw: Buffer): KeyObject | undefined {
  try {
    return createPublicKey(raw.toString('utf8').includes('-----BEGIN') ? {key: raw.toString('utf8'), format: 'pem'} : {key: raw, format: 'der', type: 'spki'})
  } catch {
    return undefined
  }
}

function verifyWithChain(parsed: ParsedBundle, chainPaths: string[], opts: VerifyBundleOptions): VerifiedEnvelope {
  const m = parsed.material
  if (m.kind !== 'x509CertificateChain') throw wrongMethod(parsed, 'a certificate chain')
  const anchors = loadCertificatesOrEmpty(chainPaths)
  const [leafDer, ...restDer] = m.certificates
  const leaf = parseCertificate(leafDer, 'the bundle signing certificate')
  const intermediates = restDer.map((d, i) => parseCertificate(d, `bundle certificate ${i + 2}`))
  const path = verifyCertificateChain(leaf, intermediates, anchors, opts.now ?? new Date())
  assertLeafCanSign(leaf)
  const pub = leafPublicKey(leaf)
  const s = certificateSummary(leaf)
  return checkSignature(
    parsed,
    pub,
    opts,
    {
      method: 'certificate',
      keyFingerprint: keyHint(pub),
      keyIdentity: keyIdentity(pub),
      certificateSubject: s.subject,
      certificateIssuer: s.issuer,
      certificateFingerprint: s.fingerprint256,
      subjectAlternativeNames: s.sans,
      chain: path.map((c) => certificateSummary(c).subject),
    },
    [],
    // v0.2-era certificate signatures used SHA-256 whatever the curve.
    ['sha256'],
  )
}

function checkSignature(
  parsed: ParsedBundle,
  pub: KeyObject,
  opts: VerifyBundleOptions,
  signer: VerifiedEnvelope['signer'],
  warnings: string[],
  legacyHashes: string[],
): VerifiedEnvelope {
  const how = checkDsseSignature(pub, parsed.envelope, {allowLegacyPae: opts.allowLegacyPae, legacyHashes})
  if (!how) {
    throw new VerificationError(
      'E_SIGNATURE_INVALID',
      `signature check failed: the DSSE signature does not verify with the ${signer.method === 'key' ? 'given public key' : 'signing certificate'}`,
    )
  }
  if (how === 'legacy-pae') warnings.push('signature uses the model_signing v0.2.0 legacy encoding; re-sign to upgrade')
  return {payloadType: parsed.envelope.payloadType, payload: parsed.envelope.payload, signer, warnings}
}

export {generateKeyPair, keyHint, keyIdentity, loadPrivateKey, loadPublicKey, type Curve, type GeneratedKeyPair} from './keys.js'
export {BUNDLE_MEDIA_TYPE, parseBundle, readBundleFile, serializeBundle} from './bundle.js'
export {IN_TOTO_PAYLOAD_TYPE} from './dsse.js'
