/**
 * Verifying one signed envelope against the policy's identities, through the one signing
 * module (src/signing). An envelope becomes evidence only for the identities it verified
 * against cryptographically AND whose constraints modelseal matched on the verified facts.
 */
import {ModelsealError} from '../errors.js'
import {parseBundle, verifyBundle, type VerifiedEnvelope, type VerifierSpec} from '../signing/index.js'
import type {ParsedBundle} from '../signing/bundle.js'
import type {SignerIdentity} from '../signing/types.js'
import {fingerprintOfPem, keyIdentityFingerprint, MAX_KEY_BYTES} from './keys.js'
import {readBoundedFile} from '../io/index.js'
import {matches} from './matchers.js'
import {signerKeyOf} from './signed-by.js'
import type {KeylessIdentity, Policy} from './types.js'

/** Keys and trust material resolved once per evaluation. */
export interface TrustContext {
  policy: Policy
  at: Date
  /** Distinct public keys: path → fingerprint, and the key identities each satisfies. */
  keys: {path: string; fingerprint: string; identities: string[]}[]
}

export function buildTrustContext(policy: Policy, at: Date, extraKeyPaths: string[] = []): TrustContext {
  const byFp = new Map<string, {path?: string; identities: string[]}>()
  for (const [name, id] of policy.identities) {
    if (id.spec.kind !== 'key') continue
    const fp = keyIdentityFingerprint(id.spec, name)
    const e = byFp.get(fp) ?? {identities: []}
    e.path ??= id.spec.path
    e.identities.push(name)
    byFp.set(fp, e)
  }
  // --public-key supplies material for identities pinned by fingerprint only.
  for (const p of extraKeyPaths) {
    const fp = fingerprintOfPem(readBoundedFile(p, {maxBytes: MAX_KEY_BYTES, code: 'E_KEY_UNREADABLE', what: 'public key', followSymlinks: true}), p)
    const e = byFp.get(fp)
    if (e && !e.path) e.path = p
  }
  const keys: TrustContext['keys'] = []
  for (const [fingerprint, e] of byFp) if (e.path) keys.push({path: e.path, fingerprint, identities: e.identities})
  // Certificate chains must be readable: a policy naming a missing CA is broken, not "unmatched".
  for (const [name, id] of policy.identities) {
    if (id.spec.kind === 'certificate') for (const c of id.spec.chain) readBoundedFile(c, {maxBytes: 1024 * 1024, code: 'E_POLICY_CERT', what: `CA certificate of identity ${name}`, followSymlinks: true})
  }
  if (policy.trustedRoot) readBoundedFile(policy.trustedRoot, {maxBytes: 16 * 1024 * 1024, code: 'E_POLICY_TRUSTED_ROOT', what: 'trusted root', followSymlinks: true})
  return {policy, at, keys}
}

export interface IdentityMatch {
  envelope: VerifiedEnvelope
  signer: SignerIdentity
  signerKey: string
  identities: string[]
  /** A verifier spec that accepts this envelope (to re-check the model content with). */
  spec: VerifierSpec
  trustedTime?: Date
}

export interface IdentityMismatch {
  /** Why no identity accepted the envelope (one line per kind tried). */
  reasons: string[]
}

function keylessSpec(id: KeylessIdentity, policy: Policy): VerifierSpec {
  const extensions: Record<string, string> = {}
  const extensionRegexps: Record<string, string> = {}
  for (const [k, m] of Object.entries(id.extensions)) {
    if ('exact' in m) extensions[k] = m.exact
    else extensionRegexps[k] = m.regExp
  }
  return {
    method: 'sigstore',
    ...('exact' in id.subject ? {identity: id.subject.exact} : {identityRegexp: id.subject.regExp}),
    ...('exact' in id.issuer ? {issuer: id.issuer.exact} : {issuerRegexp: id.issuer.regExp}),
    extensions,
    extensionRegexps,
    trustedRootPath: policy.trustedRoot,
    // A gate never reaches for the network: the policy's root, or the one shipped with modelseal.
    offline: true,
  }
}

/** Re-checks a keyless identity on the verified certificate facts (defence in depth). */
function keylessMatches(id: KeylessIdentity, s: SignerIdentity): boolean {
  if (!matches(id.issuer, s.oidcIssuer)) return false
  if (!(s.subjectAlternativeNames ?? []).some((san) => matches(id.subject, san))) return false
  return Object.entries(id.extensions).every(([k, m]) => matches(m, s.extensions?.[k]))
}

export function trustedTimeOf(s: SignerIdentity): Date | undefined {
  const times = [...(s.tlog ?? []).map((t) => t.integratedTime), ...(s.timestamps ?? [])]
    .filter((t): t is string => typeof t === 'string')
    .map((t) => new Date(t))
    .filter((d) => !Number.isNaN(d.getTime()))
  return times.length ? new Date(Math.min(...times.map((d) => d.getTime()))) : undefined
}

/**
 * Tries every policy identity that fits the bundle's verification material. Malformed bundles
 * throw InputError (exit 3) before any identity is tried.
 */
export async function verifyAgainstPolicy(bundle: Buffer | ParsedBundle, ctx: TrustContext, payloadType?: string): Promise<IdentityMatch | IdentityMismatch> {
  const parsed = Buffer.isBuffer(bundle) ? parseBundle(bundle) : bundle
  const kind = parsed.material.kind
  const reasons: string[] = []
  const found: IdentityMatch[] = []
  const attempt = async (spec: VerifierSpec, label: string): Promise<VerifiedEnvelope | undefined> => {
    try {
      return await verifyBundle(parsed, spec, {payloadType, allowLegacyPae: true, now: ctx.at})
    } catch (err) {
      if (!(err instanceof ModelsealError)) throw err
      reasons.push(`${label}: ${err.message}`)
      return undefined
    }
  }
  if (kind === 'publicKey') {
    for (const k of ctx.keys) {
      const env = await attempt({method: 'key', publicKeyPath: k.path}, `key ${k.identities.join('/')}`)
      if (env) found.push({envelope: env, signer: env.signer, signerKey: signerKeyOf(env.signer), identities: [...k.identities], spec: {method: 'key', publicKeyPath: k.path}})
    }
    if (ctx.keys.length === 0) reasons.push('signed with a key, but the policy names no key identity with key material (path, or --public-key for a fingerprint)')
  }
  for (const [name, id] of ctx.policy.identities) {
    if (id.spec.kind === 'certificate' && kind === 'x509CertificateChain') {
      const spec: VerifierSpec = {method: 'certificate', certificateChainPaths: id.spec.chain}
      const env = await attempt(spec, `certificate ${name}`)
      if (!env) continue
      if (id.spec.subject && !matches(id.spec.subject, env.signer.certificateSubject)) {
        reasons.push(`certificate ${name}: chain verifies but subject "${env.signer.certificateSubject ?? ''}" does not match`)
        continue
      }
      found.push({envelope: env, signer: env.signer, signerKey: signerKeyOf(env.signer), identities: [name], spec})
    } else if (id.spec.kind === 'keyless' && kind !== 'publicKey') {
      const spec = keylessSpec(id.spec, ctx.policy)
      const env = await attempt(spec, `keyless ${name}`)
      if (!env) continue
      if (!keylessMatches(id.spec, env.signer)) {
        reasons.push(`keyless ${name}: identity ${env.signer.subjectAlternativeNames?.[0] ?? '?'} (issuer ${env.signer.oidcIssuer ?? '?'}) does not match`)
        continue
      }
      found.push({envelope: env, signer: env.signer, signerKey: signerKeyOf(env.signer), identities: [name], spec})
    }
  }
  if (found.length === 0) return {reasons: reasons.length ? reasons : [`no policy identity can verify a bundle signed with ${kind}`]}
  // Several identities may accept the same envelope (same key named twice, overlapping regexes):
  // one envelope has one signer, so merge them under that signer.
  const first = found[0]
  const identities = [...new Set(found.flatMap((f) => f.identities))]
  return {...first, identities, trustedTime: trustedTimeOf(first.signer)}
}

export function isMatch(r: IdentityMatch | IdentityMismatch): r is IdentityMatch {
  return 'envelope' in r
}
