/**
 * Verifying one signed envelope against a set of trusted identities, through the one signing
 * module (src/signing). An envelope becomes evidence only for the identities it verified against
 * cryptographically AND whose constraints matched the verified facts. The signer is who the
 * verified key (or Fulcio identity) says, never the bundle's unsigned `hint`.
 */
import {ModelsealError} from '../errors.js'
import {parseBundle, verifyBundle, type VerifiedEnvelope, type VerifierSpec} from '../signing/index.js'
import type {ParsedBundle} from '../signing/bundle.js'
import type {SignerIdentity} from '../signing/types.js'
import {fullMatch, MAX_MATCH_INPUT} from '../util/identity-regex.js'
import {readBoundedFile} from '../io/index.js'
import {loadKey, resolveKeyIdentity} from './keys.js'
import type {KeylessIdentity, NamedIdentity, StringMatcher} from './types.js'

export interface TrustSpec {
  identities: Map<string, NamedIdentity>
  /** Sigstore trusted_root.json for keyless identities (default: the root shipped with modelseal). */
  trustedRoot?: string
  at: Date
  /** Key material for key identities pinned by fingerprint only. */
  publicKeys?: string[]
}

/** Keys and trust material resolved once per evaluation. */
export interface TrustContext extends TrustSpec {
  /** Distinct public keys (by canonical identity) and the key identities each satisfies. */
  keys: {path: string; identity: string; names: string[]}[]
}

export function buildTrustContext(spec: TrustSpec): TrustContext {
  const byFingerprint = new Map<string, {path?: string; identity?: string; names: string[]}>()
  for (const [name, id] of spec.identities) {
    if (id.spec.kind !== 'key') continue
    const r = resolveKeyIdentity(id.spec, name)
    const e = byFingerprint.get(r.fingerprint) ?? {names: []}
    e.path ??= r.key?.path
    e.identity ??= r.key?.identity
    e.names.push(name)
    byFingerprint.set(r.fingerprint, e)
  }
  // --public-key supplies material for identities pinned by fingerprint only.
  for (const p of spec.publicKeys ?? []) {
    const k = loadKey(p, `public key ${p}`)
    const e = byFingerprint.get(k.fingerprint)
    if (e && !e.path) {
      e.path = k.path
      e.identity = k.identity
    }
  }
  const keys: TrustContext['keys'] = []
  for (const e of byFingerprint.values()) if (e.path && e.identity) keys.push({path: e.path, identity: e.identity, names: e.names})
  // Certificate chains must be readable: a policy naming a missing CA is broken, not "unmatched".
  for (const [name, id] of spec.identities) {
    if (id.spec.kind === 'certificate')
      for (const c of id.spec.chain)
        readBoundedFile(c, {maxBytes: 1024 * 1024, code: 'E_POLICY_CERT', what: `CA certificate of identity ${name}`, followSymlinks: true})
  }
  if (spec.trustedRoot)
    readBoundedFile(spec.trustedRoot, {maxBytes: 16 * 1024 * 1024, code: 'E_POLICY_TRUSTED_ROOT', what: 'trusted root', followSymlinks: true})
  return {...spec, keys}
}

export interface IdentityMatch {
  envelope: VerifiedEnvelope
  signer: SignerIdentity
  signerKeys: string[]
  identities: string[]
  trustedTime?: Date
}

export interface IdentityMismatch {
  /** Why no identity accepted the envelope (one line per identity tried). */
  reasons: string[]
}

export function isMatch(r: IdentityMatch | IdentityMismatch): r is IdentityMatch {
  return 'envelope' in r
}

export function matches(m: StringMatcher, value: string | undefined): boolean {
  if (value === undefined || value.length > MAX_MATCH_INPUT) return false
  if ('exact' in m) return m.exact === value
  return fullMatch(m.regExp, value)
}

/** The distinct-signer keys of a verified signer (see VerifiedSigner.signerKeys). */
export function signerKeysOf(s: SignerIdentity): string[] {
  const out: string[] = []
  if (s.keyIdentity) out.push(`key:${s.keyIdentity}`)
  if (s.method === 'sigstore') out.push(`keyless:${s.oidcIssuer ?? ''}|${s.subjectAlternativeNames?.[0] ?? ''}`)
  // A verified signer without any of these would be uncountable: give it a key that cannot collide.
  if (out.length === 0) out.push(`unknown:${s.method}:${s.keyFingerprint ?? s.certificateFingerprint ?? ''}`)
  return out
}

export function trustedTimeOf(s: SignerIdentity): Date | undefined {
  const times = [...(s.tlog ?? []).map((t) => t.integratedTime), ...(s.timestamps ?? [])]
    .filter((t): t is string => typeof t === 'string')
    .map((t) => new Date(t))
    .filter((d) => !Number.isNaN(d.getTime()))
  return times.length ? new Date(Math.min(...times.map((d) => d.getTime()))) : undefined
}

function keylessSpec(id: KeylessIdentity, ctx: TrustContext): VerifierSpec {
  // Only exact values go to the signing module; patterns are matched below with the linear-time
  // matcher (its JS RegExp would backtrack on a hostile certificate).
  const extensions: Record<string, string> = {}
  for (const [k, m] of Object.entries(id.extensions)) if ('exact' in m) extensions[k] = m.exact
  return {
    method: 'sigstore',
    ...('exact' in id.subject ? {identity: id.subject.exact} : {identityRegexp: '[\\s\\S]+'}),
    ...('exact' in id.issuer ? {issuer: id.issuer.exact} : {issuerRegexp: '[\\s\\S]+'}),
    extensions,
    trustedRootPath: ctx.trustedRoot,
    // A gate never reaches for the network: the policy's root, or the one shipped with modelseal.
    offline: true,
  }
}

function keylessMatches(id: KeylessIdentity, s: SignerIdentity): boolean {
  if (!matches(id.issuer, s.oidcIssuer)) return false
  if (!(s.subjectAlternativeNames ?? []).some((san) => matches(id.subject, san))) return false
  return Object.entries(id.extensions).every(([k, m]) => matches(m, s.extensions?.[k]))
}

/**
 * Tries every trusted identity that fits the bundle's verification material. Malformed bundles
 * throw InputError (exit 3) before any identity is tried.
 */
export async function verifyAgainstIdentities(
  bundle: Buffer | ParsedBundle,
  ctx: TrustContext,
  opts: {payloadType?: string; allowLegacyPae?: boolean} = {},
): Promise<IdentityMatch | IdentityMismatch> {
  const parsed = Buffer.isBuffer(bundle) ? parseBundle(bundle) : bundle
  const kind = parsed.material.kind
  const reasons: string[] = []
  const found: {env: VerifiedEnvelope; names: string[]}[] = []
  const attempt = async (spec: VerifierSpec, label: string): Promise<VerifiedEnvelope | undefined> => {
    try {
      return await verifyBundle(parsed, spec, {payloadType: opts.payloadType, allowLegacyPae: opts.allowLegacyPae === true, now: ctx.at})
    } catch (err) {
      if (!(err instanceof ModelsealError)) throw err
      reasons.push(`${label}: ${err.message}`)
      return undefined
    }
  }
  if (kind === 'publicKey') {
    for (const k of ctx.keys) {
      const env = await attempt({method: 'key', publicKeyPath: k.path}, `key ${k.names.join('/')}`)
      if (env) found.push({env, names: [...k.names]})
    }
    if (ctx.keys.length === 0) reasons.push('signed with a key, but no trusted key identity has key material (path, or --public-key for a fingerprint)')
  }
  for (const [name, id] of ctx.identities) {
    if (id.spec.kind === 'certificate' && kind === 'x509CertificateChain') {
      const env = await attempt({method: 'certificate', certificateChainPaths: id.spec.chain}, `certificate ${name}`)
      if (!env) continue
      if (id.spec.subject && !matches(id.spec.subject, env.signer.certificateSubject)) {
        reasons.push(`certificate ${name}: chain verifies but subject "${env.signer.certificateSubject ?? ''}" does not match`)
        continue
      }
      found.push({env, names: [name]})
    } else if (id.spec.kind === 'keyless' && kind !== 'publicKey') {
      const env = await attempt(keylessSpec(id.spec, ctx), `keyless ${name}`)
      if (!env) continue
      if (!keylessMatches(id.spec, env.signer)) {
        reasons.push(`keyless ${name}: identity ${env.signer.subjectAlternativeNames?.[0] ?? '?'} (issuer ${env.signer.oidcIssuer ?? '?'}) does not match`)
        continue
      }
      found.push({env, names: [name]})
    }
  }
  if (found.length === 0) return {reasons: reasons.length ? reasons : [`no trusted identity can verify a bundle signed with ${kind}`]}
  // Several identities may accept the same envelope (overlapping patterns, a key and a CA):
  // one envelope has one signer, so they merge under that signer.
  const first = found[0].env
  return {
    envelope: first,
    signer: first.signer,
    signerKeys: [...new Set(found.flatMap((f) => signerKeysOf(f.env.signer)))],
    identities: [...new Set(found.flatMap((f) => f.names))],
    trustedTime: trustedTimeOf(first.signer),
  }
}
