/**
 * Sigstore bundle JSON for DSSE envelopes: bounded parsing of what we are given, and the exact
 * shape model_signing writes for the `key` and `certificate` methods. We do not use
 * @sigstore/bundle here: its v0.3 validation rejects `x509CertificateChain`, which is what
 * certificate bundles carry, and loading it would cost start-up time on the key-only paths.
 */
import {type ErrorCode, InputError} from '../errors.js'
import {MAX_JSON_DEPTH, parseBoundedJson as parseJson, readBoundedFile} from '../io/index.js'
import type {BundleJson} from './types.js'
import type {DsseEnvelope} from './dsse.js'

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'
/** A model's bundle lists one line per file; 64 MiB is far beyond any real one. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024
export {MAX_JSON_DEPTH}
/** A certificate chain longer than this is not a chain anyone issues. */
export const MAX_CHAIN_CERTS = 16

export type BundleMaterial =
  | {kind: 'publicKey'; hint?: string; rawBytes?: Buffer; keyDetails?: string}
  | {kind: 'x509CertificateChain'; certificates: Buffer[]}
  | {kind: 'certificate'; certificate: Buffer}

export interface ParsedBundle {
  mediaType: string
  material: BundleMaterial
  envelope: DsseEnvelope
  /** The JSON as parsed (for verifiers, such as keyless, that need the whole thing). */
  json: Record<string, unknown>
}

/** Reads a bundle file, bounded in size. */
export function readBundleFile(path: string): Buffer {
  return readBoundedFile(path, {maxBytes: MAX_BUNDLE_BYTES, what: 'signature', code: 'E_IO', tooLargeCode: 'E_BUNDLE_TOO_LARGE', followSymlinks: true})
}

/** JSON.parse with the bundle size bound and a nesting bound; any failure is an InputError with `code`. */
export function parseBoundedJson(text: Buffer | string, what: string, code: ErrorCode = 'E_BUNDLE_MALFORMED'): unknown {
  return parseJson(text, what, {code, maxBytes: MAX_BUNDLE_BYTES, tooLargeCode: 'E_BUNDLE_TOO_LARGE'})
}

const B64_RE = /^(?:[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2})$/

export function decodeBase64(v: unknown, field: string): Buffer {
  if (typeof v !== 'string' || !B64_RE.test(v)) throw new InputError('E_BUNDLE_MALFORMED', `bundle field ${field} is not base64`)
  return Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64')
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new InputError('E_BUNDLE_MALFORMED', `bundle ${v === undefined ? 'has no' : 'field is not an object:'} ${field}`)
  }
  return v as Record<string, unknown>
}

const PARSED = new WeakSet<object>()

/** Validates the parts of a bundle a DSSE verifier relies on; unknown fields are ignored. */
export function parseBundle(input: unknown): ParsedBundle {
  if (typeof input === 'object' && input !== null && PARSED.has(input)) return input as ParsedBundle
  const raw = Buffer.isBuffer(input) || typeof input === 'string' ? parseBoundedJson(input, 'signature bundle') : input
  const json = obj(raw, 'bundle')
  const mediaType = json.mediaType
  if (typeof mediaType !== 'string') throw new InputError('E_BUNDLE_MALFORMED', 'bundle has no mediaType')
  const vm = obj(json.verificationMaterial, 'verificationMaterial')
  const kinds = (['publicKey', 'x509CertificateChain', 'certificate'] as const).filter((k) => vm[k] !== undefined && vm[k] !== null)
  if (kinds.length !== 1) {
    throw new InputError(
      'E_BUNDLE_MALFORMED',
      `verificationMaterial must hold exactly one of publicKey, x509CertificateChain, certificate (found ${kinds.length})`,
    )
  }
  if (vm.tlogEntries !== undefined && vm.tlogEntries !== null && !Array.isArray(vm.tlogEntries)) {
    throw new InputError('E_BUNDLE_MALFORMED', 'verificationMaterial.tlogEntries is not a list')
  }
  let material: BundleMaterial
  if (kinds[0] === 'publicKey') {
    const pk = obj(vm.publicKey, 'verificationMaterial.publicKey')
    if (pk.hint !== undefined && pk.hint !== null && typeof pk.hint !== 'string') throw new InputError('E_BUNDLE_MALFORMED', 'publicKey.hint is not a string')
    material = {
      kind: 'publicKey',
      hint: typeof pk.hint === 'string' && pk.hint !== '' ? pk.hint : undefined,
      rawBytes: pk.rawBytes === undefined || pk.rawBytes === null ? undefined : decodeBase64(pk.rawBytes, 'publicKey.rawBytes'),
      keyDetails: typeof pk.keyDetails === 'string' ? pk.keyDetails : undefined,
    }
  } else if (kinds[0] === 'x509CertificateChain') {
    const chain = obj(vm.x509CertificateChain, 'x509CertificateChain')
    const list = chain.certificates
    if (!Array.isArray(list) || list.length === 0) throw new InputError('E_BUNDLE_MALFORMED', 'x509CertificateChain.certificates is empty')
    if (list.length > MAX_CHAIN_CERTS) throw new InputError('E_BUNDLE_MALFORMED', `certificate chain has more than ${MAX_CHAIN_CERTS} certificates`)
    material = {
      kind: 'x509CertificateChain',
      certificates: list.map((c, i) => decodeBase64(obj(c, `certificates[${i}]`).rawBytes, `certificates[${i}].rawBytes`)),
    }
  } else {
    material = {kind: 'certificate', certificate: decodeBase64(obj(vm.certificate, 'certificate').rawBytes, 'certificate.rawBytes')}
  }
  if (json.messageSignature !== undefined && json.dsseEnvelope === undefined) {
    throw new InputError('E_BUNDLE_MALFORMED', 'bundle holds a messageSignature, not a DSSE envelope')
  }
  const env = obj(json.dsseEnvelope, 'dsseEnvelope')
  if (typeof env.payloadType !== 'string') throw new InputError('E_BUNDLE_MALFORMED', 'dsseEnvelope.payloadType is missing')
  const sigs = env.signatures
  if (!Array.isArray(sigs) || sigs.length === 0) throw new InputError('E_BUNDLE_MALFORMED', 'dsseEnvelope has no signatures')
  const sig0 = obj(sigs[0], 'dsseEnvelope.signatures[0]')
  if (sig0.keyid !== undefined && sig0.keyid !== null && typeof sig0.keyid !== 'string')
    throw new InputError('E_BUNDLE_MALFORMED', 'signature keyid is not a string')
  const envelope: DsseEnvelope = {
    payload: decodeBase64(env.payload, 'dsseEnvelope.payload'),
    payloadType: env.payloadType,
    signature: decodeBase64(sig0.sig, 'dsseEnvelope.signatures[0].sig'),
    keyid: sig0.keyid as string | null | undefined,
  }
  if (envelope.signature.length === 0) throw new InputError('E_BUNDLE_MALFORMED', 'dsseEnvelope signature is empty')
  const parsed: ParsedBundle = {mediaType, material, envelope, json}
  PARSED.add(parsed)
  return parsed
}

function envelopeJson(payload: Buffer, payloadType: string, sig: Buffer) {
  return {payload: payload.toString('base64'), payloadType, signatures: [{sig: sig.toString('base64'), keyid: ''}]}
}

/** The key-method bundle exactly as model_signing ≥ 1.1 writes it (key order included). */
export function keyBundle(hint: string, payload: Buffer, payloadType: string, sig: Buffer): BundleJson {
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: {publicKey: {hint}, tlogEntries: []},
    dsseEnvelope: envelopeJson(payload, payloadType, sig),
  }
}

/** The certificate-method bundle: leaf first, then the given chain in file order. */
export function certificateBundle(chainDer: Buffer[], payload: Buffer, payloadType: string, sig: Buffer): BundleJson {
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: {x509CertificateChain: {certificates: chainDer.map((d) => ({rawBytes: d.toString('base64')}))}, tlogEntries: []},
    dsseEnvelope: envelopeJson(payload, payloadType, sig),
  }
}

/** Compact JSON without a trailing newline, as model_signing writes bundles. */
export function serializeBundle(bundle: BundleJson): string {
  return JSON.stringify(bundle)
}
