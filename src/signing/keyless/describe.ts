/**
 * What a keyless bundle claims (unverified): for the report printed right after signing, and
 * for `--json` output. Never use this to make a trust decision — use verifyKeyless.
 */
import type {BundleJson} from '../types.js'
import {identityFromCertificate} from './certificate.js'

export interface KeylessBundleSummary {
  subjectAlternativeNames: string[]
  oidcIssuer?: string
  extensions: Record<string, string>
  tlog: {logIndex: string; integratedTime?: string; kind?: string}[]
  rfc3161Timestamps: number
}

export async function describeKeylessBundle(bundle: BundleJson): Promise<KeylessBundleSummary> {
  const [{bundleFromJSON}, {X509Certificate}] = await Promise.all([import('@sigstore/bundle'), import('@sigstore/core')])
  const b = bundleFromJSON(bundle)
  const vm = b.verificationMaterial
  const der =
    vm.content.$case === 'certificate'
      ? vm.content.certificate.rawBytes
      : vm.content.$case === 'x509CertificateChain'
        ? vm.content.x509CertificateChain.certificates[0].rawBytes
        : undefined
  const id = der ? identityFromCertificate(X509Certificate.parse(Buffer.from(der))) : undefined
  const {issuer: _issuer, ...extensions} = id?.extensions ?? {}
  return {
    subjectAlternativeNames: id?.subjectAlternativeNames ?? [],
    oidcIssuer: id?.issuer,
    extensions,
    tlog: vm.tlogEntries.map((e) => ({
      logIndex: e.logIndex,
      integratedTime: e.integratedTime && e.integratedTime !== '0' ? new Date(Number(e.integratedTime) * 1000).toISOString() : undefined,
      kind: e.kindVersion ? `${e.kindVersion.kind}/${e.kindVersion.version}` : undefined,
    })),
    rfc3161Timestamps: vm.timestampVerificationData?.rfc3161Timestamps.length ?? 0,
  }
}
