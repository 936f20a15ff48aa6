/**
 * Keyless verification: @sigstore/verify's Verifier with its default thresholds (>= 1 verified
 * tlog entry, >= 1 SCT, >= 1 trusted timestamp; the chain is validated at each verified time,
 * never at a time read from the certificate), then modelseal's identity policy on the leaf,
 * then Python-parity checks. Every failure names the check: exit 1; malformed input: exit 3.
 */
import {X509Certificate as NodeX509Certificate} from 'node:crypto'

import {type ErrorCode, InputError, ModelsealError, VerificationError} from '../../errors.js'
import type {KeylessVerifyOptions, SignerIdentity, VerifiedEnvelope} from '../types.js'
import {identityFromCertificate} from './certificate.js'
import {compilePolicy, enforcePolicy} from './policy.js'
import {loadTrustedRoot, type LoadedTrust} from './trust-root.js'

/** Bundles are a few KB; a tlog proof has at most ~64 hashes. Bound what we parse. */
const MAX_TLOG_ENTRIES = 8
const MAX_TIMESTAMPS = 8

export interface KeylessVerifyContext {
  /** An already loaded trusted root (lets a caller verify many bundles with one TUF refresh). */
  trust?: LoadedTrust
  tufCachePath?: string
  tufMirrorUrl?: string
  tufRootPath?: string
}

export async function verifyKeyless(
  bundle: unknown,
  opts: KeylessVerifyOptions & KeylessVerifyContext,
  // The generic verifyBundle options (payloadType is checked by the caller; `now` is ignored on
  // purpose: keyless chains are validated at the verified signing time, never at "now").
  _bundleOpts?: unknown,
): Promise<VerifiedEnvelope> {
  // Policy errors are usage errors: report them before any I/O.
  const policy = compilePolicy(opts)
  const parsed = await parseKeylessBundle(bundle)
  const trust = opts.trust ?? (await loadTrustedRoot(opts))

  const [{Verifier, toTrustMaterial, toSignedEntity}, {X509Certificate}] = await Promise.all([import('@sigstore/verify'), import('@sigstore/core')])
  let entity
  try {
    entity = toSignedEntity(parsed.bundle)
  } catch (err) {
    throw new InputError('E_SIGSTORE_BUNDLE_MALFORMED', `bundle is malformed: ${(err as Error).message}`)
  }
  // Default options on purpose (tlog, SCT and timestamp thresholds never lowered): docs/design-notes.md §8.
  const verifier = new Verifier(toTrustMaterial(trust.root))
  try {
    verifier.verify(entity)
  } catch (err) {
    throw mapVerifyError(err)
  }
  const leaf = X509Certificate.parse(Buffer.from(parsed.leafDer))
  checkRekorV1Verifier(parsed.bundle, parsed.leafDer)
  checkProofMatchesCheckpoint(parsed.bundle)

  const id = identityFromCertificate(leaf)
  enforcePolicy(policy, id)

  const timestamps: string[] = []
  for (const t of entity.timestamps) {
    if (t.$case === 'timestamp-authority') timestamps.push(t.timestamp.signingTime.toISOString())
  }
  const tlog: NonNullable<SignerIdentity['tlog']> = parsed.bundle.verificationMaterial.tlogEntries.map((e) => ({
    logIndex: e.logIndex,
    // Only an inclusion promise (Rekor v1 SET) makes integratedTime a signed, trusted time.
    integratedTime: e.inclusionPromise ? new Date(Number(e.integratedTime) * 1000).toISOString() : undefined,
    logId: e.logId ? Buffer.from(e.logId.keyId).toString('base64') : undefined,
  }))
  const signer: SignerIdentity = {
    method: 'sigstore',
    certificateSubject: subjectOf(parsed.leafDer),
    subjectAlternativeNames: id.subjectAlternativeNames,
    oidcIssuer: id.issuer,
    extensions: withoutIssuer(id.extensions),
    tlog,
    timestamps,
    certificate: parsed.leafDer.toString('base64'),
    trustSource: `${trust.source}:${trust.origin}`,
  }
  return {payloadType: parsed.payloadType, payload: parsed.payload, signer}
}

interface ParsedKeyless {
  bundle: import('@sigstore/bundle').Bundle
  leafDer: Buffer<ArrayBuffer>
  payload: Buffer
  payloadType: string
}

/**
 * Bundles made by `sign key` / `sign certificate` (model_signing's key and certificate methods)
 * are well-formed, just not keyless: say which verify method reads them, before the Sigstore
 * bundle parser calls them malformed (a v0.3 bundle with a certificate chain is not valid Sigstore).
 */
function refuseOtherMethods(json: Record<string, unknown>): void {
  const vm = json.verificationMaterial as Record<string, unknown> | undefined
  if (!vm || typeof vm !== 'object') return
  if (vm.publicKey !== undefined) {
    throw new VerificationError('E_SIGSTORE_NOT_KEYLESS', 'this bundle was signed with a public key, not keylessly: use `verify key`')
  }
  if (vm.x509CertificateChain !== undefined) {
    throw new VerificationError('E_SIGSTORE_NOT_KEYLESS', 'this bundle was signed with a certificate, not keylessly: use `verify certificate`')
  }
}

async function parseKeylessBundle(json: unknown): Promise<ParsedKeyless> {
  const bad = (why: string) => new InputError('E_SIGSTORE_BUNDLE_MALFORMED', `bundle is malformed: ${why}`)
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('not a JSON object')
  refuseOtherMethods(json as Record<string, unknown>)
  const {bundleFromJSON} = await import('@sigstore/bundle')
  let bundle
  try {
    bundle = bundleFromJSON(json)
  } catch (err) {
    throw bad((err as Error).message)
  }
  if (bundle.content.$case !== 'dsseEnvelope') throw bad('no DSSE envelope (message signatures are not OMS bundles)')
  const env = bundle.content.dsseEnvelope
  if (env.signatures.length !== 1) throw bad(`expected exactly one DSSE signature, found ${env.signatures.length}`)
  const vm = bundle.verificationMaterial
  if (vm.tlogEntries.length > MAX_TLOG_ENTRIES) throw bad(`more than ${MAX_TLOG_ENTRIES} tlog entries`)
  if ((vm.timestampVerificationData?.rfc3161Timestamps.length ?? 0) > MAX_TIMESTAMPS) {
    throw bad(`more than ${MAX_TIMESTAMPS} RFC 3161 timestamps`)
  }
  let leafDer: Buffer<ArrayBuffer>
  switch (vm.content.$case) {
    case 'certificate':
      leafDer = Buffer.from(vm.content.certificate.rawBytes) as Buffer<ArrayBuffer>
      break
    case 'x509CertificateChain':
      leafDer = Buffer.from(vm.content.x509CertificateChain.certificates[0].rawBytes) as Buffer<ArrayBuffer>
      break
    default:
      throw new VerificationError(
        'E_SIGSTORE_NOT_KEYLESS',
        'not a keyless (Sigstore) signature: the bundle carries a public key, not a Fulcio certificate; use `verify key`',
      )
  }
  const {X509Certificate} = await import('@sigstore/core')
  try {
    X509Certificate.parse(Buffer.from(leafDer))
  } catch (err) {
    throw bad(`signing certificate does not parse: ${(err as Error).message}`)
  }
  return {bundle, leafDer, payload: Buffer.from(env.payload), payloadType: env.payloadType}
}

/**
 * sigstore-js checks the Rekor dsse body's signature and payload hash but not its `verifier`;
 * sigstore-python also requires it to be our leaf certificate. Check it too, so a bundle this
 * tool accepts is one `model_signing` accepts.
 */
function checkRekorV1Verifier(bundle: import('@sigstore/bundle').Bundle, leafDer: Buffer): void {
  for (const e of bundle.verificationMaterial.tlogEntries) {
    if (e.kindVersion.kind !== 'dsse' || e.kindVersion.version !== '0.0.1') continue
    let verifiers: unknown
    try {
      const body = JSON.parse(Buffer.from(e.canonicalizedBody).toString('utf8')) as {
        spec?: {signatures?: {verifier?: unknown}[]}
      }
      verifiers = body.spec?.signatures?.map((s) => s.verifier)
    } catch {
      verifiers = undefined
    }
    const ok =
      Array.isArray(verifiers) &&
      verifiers.length === 1 &&
      typeof verifiers[0] === 'string' &&
      pemToDer(Buffer.from(verifiers[0], 'base64').toString('utf8'))?.equals(leafDer) === true
    if (!ok) {
      throw new VerificationError('E_SIGSTORE_TLOG_BODY', `transparency log entry check failed: log entry ${e.logIndex} was made for a different certificate`)
    }
  }
}

/**
 * sigstore-js checks the Merkle proof against the *signed* checkpoint and ignores the proof's own
 * rootHash/treeSize; sigstore-python requires them to agree. Require it too (parity, and no
 * unsigned field in an accepted bundle that says something else than the signed one).
 */
function checkProofMatchesCheckpoint(bundle: import('@sigstore/bundle').Bundle): void {
  for (const e of bundle.verificationMaterial.tlogEntries) {
    const proof = e.inclusionProof
    if (!proof?.checkpoint) continue
    const lines = proof.checkpoint.envelope.split('\n')
    const size = lines[1]
    const root = lines[2] === undefined ? undefined : Buffer.from(lines[2], 'base64')
    if (size !== String(proof.treeSize) || !root || !root.equals(Buffer.from(proof.rootHash))) {
      throw new VerificationError(
        'E_SIGSTORE_TLOG_INCLUSION',
        `transparency log inclusion proof check failed: entry ${e.logIndex}'s proof (tree size, root hash) differs from its signed checkpoint`,
      )
    }
  }
}

function pemToDer(pem: string): Buffer | undefined {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem)
  return m ? Buffer.from(m[1].replace(/\s+/g, ''), 'base64') : undefined
}

function subjectOf(der: Buffer): string | undefined {
  try {
    // node:crypto renders the subject DN; Fulcio leaves usually have an empty one.
    return new NodeX509Certificate(der).subject || undefined
  } catch {
    return undefined
  }
}

function withoutIssuer(ext: Record<string, string>): Record<string, string> {
  const {issuer: _issuer, ...rest} = ext
  return rest
}

const CHECK_NAMES: Record<string, [code: ErrorCode, check: string]> = {
  TIMESTAMP_ERROR: ['E_SIGSTORE_TIMESTAMP', 'trusted time check failed'],
  CERTIFICATE_ERROR: ['E_SIGSTORE_CERTIFICATE', 'certificate chain check failed'],
  TLOG_ERROR: ['E_SIGSTORE_TLOG', 'transparency log check failed'],
  TLOG_INCLUSION_PROOF_ERROR: ['E_SIGSTORE_TLOG_INCLUSION', 'transparency log inclusion proof check failed'],
  TLOG_INCLUSION_PROMISE_ERROR: ['E_SIGSTORE_TLOG_INCLUSION', 'transparency log inclusion promise check failed'],
  TLOG_MISSING_INCLUSION_ERROR: ['E_SIGSTORE_TLOG_INCLUSION', 'transparency log inclusion check failed'],
  TLOG_BODY_ERROR: ['E_SIGSTORE_TLOG_BODY', 'transparency log entry check failed (the log entry does not match the bundle)'],
  SIGNATURE_ERROR: ['E_SIGSTORE_SIGNATURE', 'signature check failed'],
  PUBLIC_KEY_ERROR: ['E_SIGSTORE_NOT_KEYLESS', 'signing key check failed'],
}

function mapVerifyError(err: unknown): ModelsealError {
  if (err instanceof ModelsealError) return err
  const e = err as {code?: string; message?: string; cause?: {message?: string}}
  const why = [e.message, e.cause?.message].filter(Boolean).join(': ')
  const known = e.code ? CHECK_NAMES[e.code] : undefined
  if (known) {
    let [code, check] = known
    if (code === 'E_SIGSTORE_CERTIFICATE' && /\bSCT/.test(why)) {
      ;[code, check] = ['E_SIGSTORE_SCT', 'certificate transparency (SCT) check failed']
    }
    return new VerificationError(code, `${check}: ${why}`)
  }
  // Anything else (a parse error deep in a proof, ...) is still a failed verification: fail closed.
  return new VerificationError('E_SIGSTORE_VERIFY', `keyless verification failed: ${why || String(err)}`)
}
