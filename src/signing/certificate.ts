/**
 * X.509 for the OMS `certificate` method: loading PEM chains, building the path from the leaf
 * to a trust anchor by signature (never by name: the reference vectors' leaf has subject ==
 * issuer == CN=intermediate-ca yet is signed by the intermediate), checking validity now and
 * the leaf's permission to sign.
 */
import {X509Certificate} from 'node:crypto'

import {InputError, VerificationError} from '../errors.js'
import {keyUsage} from './der.js'
import {assertSupportedKey} from './keys.js'
import {pemBlocks, readPemFile} from './pem.js'

/** Longest path considered (leaf + intermediates + anchor). */
export const MAX_CHAIN_DEPTH = 8
const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3'

export function parseCertificate(der: Buffer, what: string): X509Certificate {
  try {
    return new X509Certificate(der)
  } catch (err) {
    throw new InputError('E_CERT_MALFORMED', `${what} is not a valid X.509 certificate: ${(err as Error).message}`)
  }
}

/** Every certificate in the PEM files, in order (text outside the blocks is ignored). */
export function loadCertificates(paths: string[]): X509Certificate[] {
  const out: X509Certificate[] = []
  for (const p of paths) {
    const blocks = pemBlocks(readPemFile(p, 'certificate file')).filter((b) => b.label === 'CERTIFICATE')
    if (blocks.length === 0) throw new InputError('E_CERT_MALFORMED', `no PEM CERTIFICATE block in ${p}`)
    blocks.forEach((b, i) => out.push(parseCertificate(b.der ?? Buffer.alloc(0), `certificate ${i + 1} in ${p}`)))
  }
  return out
}

function issuedUncached(child: X509Certificate, issuer: X509Certificate): boolean {
  if (!issuer.ca) return false
  const ku = keyUsage(issuer.raw)
  if (ku && !ku.keyCertSign) return false
  try {
    return child.verify(issuer.publicKey)
  } catch {
    return false
  }
}

/** Memoised per (child, issuer) pair: the path search may ask many times, verifying is costly. */
function issuedCache() {
  const memo = new Map<X509Certificate, Map<X509Certificate, boolean>>()
  return (child: X509Certificate, issuer: X509Certificate): boolean => {
    let row = memo.get(child)
    if (!row) memo.set(child, (row = new Map()))
    let v = row.get(issuer)
    if (v === undefined) row.set(issuer, (v = issuedUncached(child, issuer)))
    return v
  }
}

function describe(c: X509Certificate): string {
  return c.subject.replace(/\n/g, ', ') || '(empty subject)'
}

function validityProblem(c: X509Certificate, role: string, now: Date): string | undefined {
  const from = new Date(c.validFrom)
  const to = new Date(c.validTo)
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return `${role} certificate ${describe(c)} has an unreadable validity period`
  if (now < from) return `${role} certificate ${describe(c)} is not valid before ${from.toISOString()}`
  if (now > to) return `${role} certificate ${describe(c)} expired at ${to.toISOString()}`
  return undefined
}

/**
 * The path leaf → … → anchor, every certificate within its validity at `now`.
 * `intermediates` come from the bundle (untrusted); `anchors` are what the user trusts.
 */
export function verifyCertificateChain(
  leaf: X509Certificate,
  intermediates: X509Certificate[],
  anchors: X509Certificate[],
  now: Date = new Date(),
): X509Certificate[] {
  if (anchors.length === 0) throw new InputError('E_CERT_NO_ANCHOR', 'no trusted certificates given (--certificate-chain)')
  const paths: X509Certificate[][] = []
  const issued = issuedCache()
  let budget = 10_000
  const walk = (path: X509Certificate[]) => {
    if ((paths.length > 0 && paths.some((p) => !pathProblem(p, now))) || --budget < 0) return
    const cur = path[path.length - 1]
    for (const a of anchors) if (issued(cur, a)) paths.push([...path, a])
    if (path.length + 1 >= MAX_CHAIN_DEPTH) return
    for (const i of intermediates) {
      if (path.some((p) => p.raw.equals(i.raw))) continue
      if (issued(cur, i)) walk([...path, i])
    }
  }
  // The signing certificate itself given as a trust anchor (typically a self-signed leaf) is
  // trusted as is, as OpenSSL does for a certificate in its trust store and as model_signing and
  // the OMS conformance suite expect. Byte equality: a look-alike with the same subject is not it.
  if (anchors.some((a) => a.raw.equals(leaf.raw))) paths.push([leaf])
  walk([leaf])
  if (paths.length === 0) {
    throw new VerificationError('E_CERT_CHAIN', `certificate chain of ${describe(leaf)} does not lead to a trusted certificate`)
  }
  const good = paths.find((p) => !pathProblem(p, now))
  if (!good) throw new VerificationError('E_CERT_VALIDITY', pathProblem(paths[0], now) as string)
  return good
}

function pathProblem(path: X509Certificate[], now: Date): string | undefined {
  for (let i = 0; i < path.length; i++) {
    const role = i === 0 ? 'signing' : i === path.length - 1 ? 'trusted' : 'intermediate'
    const p = validityProblem(path[i], role, now)
    if (p) return p
  }
  return undefined
}

/** model_signing's rule: KeyUsage digitalSignature, or else EKU codeSigning. */
export function assertLeafCanSign(leaf: X509Certificate): void {
  const ku = keyUsage(leaf.raw)
  if (ku?.digitalSignature) return
  if (leaf.keyUsage?.includes(EKU_CODE_SIGNING)) return
  throw new VerificationError(
    'E_CERT_USAGE',
    `signing certificate ${describe(leaf)} is not allowed to sign (needs KeyUsage digitalSignature or EKU codeSigning)`,
  )
}

export function leafPublicKey(leaf: X509Certificate) {
  const key = leaf.publicKey
  assertSupportedKey(key, 'signing certificate key')
  return key
}

export function certificateSummary(c: X509Certificate): {subject: string; issuer: string; sans: string[]; fingerprint256: string} {
  return {
    subject: describe(c),
    issuer: c.issuer.replace(/\n/g, ', '),
    sans: c.subjectAltName ? c.subjectAltName.split(', ') : [],
    fingerprint256: c.fingerprint256.replace(/:/g, '').toLowerCase(),
  }
}
