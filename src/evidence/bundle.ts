/**
 * Reading one piece of signed evidence. One rule for unreadable evidence: a file that is missing,
 * is not a bundle, or carries verification material that cannot even be parsed (a certificate
 * that is not X.509) is an InputError (exit 3) — the same for a signature, an attestation and a
 * dataset manifest. Evidence that parses but does not verify is a problem, never a fact.
 */
import {X509Certificate} from 'node:crypto'

import {InputError} from '../errors.js'
import {parseBundle, readBundleFile} from '../signing/index.js'
import type {ParsedBundle} from '../signing/bundle.js'
import type {IdentityMatch, IdentityMismatch} from './trust.js'

/** Verifies a parsed bundle against whatever trust the caller has (policy identities, audit material). */
export type EnvelopeVerifier = (bundle: ParsedBundle, opts: {payloadType?: string; allowLegacyPae?: boolean}) => Promise<IdentityMatch | IdentityMismatch>

export function readEvidenceBundle(file: string): ParsedBundle {
  const parsed = parseBundle(readBundleFile(file))
  const m = parsed.material
  const certs = m.kind === 'x509CertificateChain' ? m.certificates : m.kind === 'certificate' ? [m.certificate] : []
  certs.forEach((der, i) => {
    try {
      new X509Certificate(der)
    } catch {
      throw new InputError('E_BUNDLE_MALFORMED', `${file}: certificate ${i + 1} of the bundle is not a valid X.509 certificate`)
    }
  })
  return parsed
}
