/**
 * `signedBy` semantics. anyOf + threshold counts DISTINCT signers (key fingerprint, certificate,
 * or keyless issuer+subject) that satisfy at least one listed identity — the same key presented
 * in two signatures, or named by two identities, counts once (TUF GHSA-pwqf-9h7j-7mv8).
 * allOf needs a distinct signer for every listed identity (a bipartite matching).
 */
import {formatDuration} from './matchers.js'
import type {VerifiedSigner} from './evidence.js'
import type {SignedBy} from './types.js'

/** Clock skew tolerated for evidence that claims to be from the near future. */
export const FUTURE_SKEW_MS = 5 * 60e3

export interface SignedByResult {
  ok: boolean
  /** Distinct signers that counted. */
  counted: VerifiedSigner[]
  needed: number
  have: number
  reason: string
}

/** Filters signers by freshness; returns the fresh ones and why the others did not count. */
export function freshSigners<T extends VerifiedSigner>(
  signers: T[],
  at: Date,
  maxAgeMs: number | undefined,
  opts: {allowClaimedTime: boolean},
): {fresh: T[]; rejected: string[]} {
  const fresh: T[] = []
  const rejected: string[] = []
  for (const s of signers) {
    const t = s.trustedTime ?? (opts.allowClaimedTime ? s.claimedTime : undefined)
    if (t && t.getTime() > at.getTime() + FUTURE_SKEW_MS) {
      rejected.push(`${s.source}: dated ${t.toISOString()}, after the evaluation time ${at.toISOString()}`)
      continue
    }
    if (maxAgeMs === undefined) {
      fresh.push(s)
      continue
    }
    if (!t) {
      rejected.push(`${s.source}: no trusted signing time (key signatures carry none), so maxAge ${formatDuration(maxAgeMs)} cannot be checked; sign keylessly or with a timestamp`)
      continue
    }
    const age = at.getTime() - t.getTime()
    if (age > maxAgeMs) {
      rejected.push(`${s.source}: ${t.toISOString()} is ${formatDuration(Math.floor(age / 60e3) * 60e3)} old, older than maxAge ${formatDuration(maxAgeMs)}`)
      continue
    }
    fresh.push(s)
  }
  return {fresh, rejected}
}

export function evaluateSignedBy(signedBy: SignedBy, signers: VerifiedSigner[]): SignedByResult {
  if ('anyOf' in signedBy) {
    const bySigner = new Map<string, VerifiedSigner>()
    for (const s of signers) {
      if (s.identities.some((i) => signedBy.anyOf.includes(i)) && !bySigner.has(s.signerKey)) bySigner.set(s.signerKey, s)
    }
    const counted = [...bySigner.values()]
    const needed = signedBy.threshold
    const ok = counted.length >= needed
    const who = counted.map(describeSigner).join(', ') || 'none'
    const reason = ok
      ? `${counted.length} distinct signer(s) of ${needed} required from [${signedBy.anyOf.join(', ')}]: ${who}`
      : `${counted.length} of ${needed} required distinct signers from [${signedBy.anyOf.join(', ')}] (found: ${who})`
    return {ok, counted, needed, have: counted.length, reason}
  }
  // allOf: match each identity to its own signer (augmenting paths; sizes are tiny).
  const ids = signedBy.allOf
  const distinct = new Map<string, VerifiedSigner>()
  for (const s of signers) {
    const prev = distinct.get(s.signerKey)
    if (prev) prev.identities = [...new Set([...prev.identities, ...s.identities])]
    else distinct.set(s.signerKey, {...s, identities: [...s.identities]})
  }
  const pool = [...distinct.values()]
  const owner = new Map<number, number>() // signer index → identity index
  const tryAssign = (idIdx: number, seen: Set<number>): boolean => {
    for (let si = 0; si < pool.length; si++) {
      if (seen.has(si) || !pool[si].identities.includes(ids[idIdx])) continue
      seen.add(si)
      const cur = owner.get(si)
      if (cur === undefined || tryAssign(cur, seen)) {
        owner.set(si, idIdx)
        return true
      }
    }
    return false
  }
  const missing: string[] = []
  ids.forEach((_, i) => {
    if (!tryAssign(i, new Set())) missing.push(ids[i])
  })
  const counted = [...owner.keys()].map((si) => pool[si])
  const ok = missing.length === 0
  const reason = ok
    ? `all of [${ids.join(', ')}] signed, each by a distinct signer: ${counted.map(describeSigner).join(', ')}`
    : `missing a distinct signature from: ${missing.join(', ')} (all of [${ids.join(', ')}] are required)`
  return {ok, counted, needed: ids.length, have: counted.length, reason}
}

export function describeSigner(s: VerifiedSigner): string {
  const sig = s.signer
  let who: string
  if (sig.method === 'key') who = `key sha256:${(sig.keyFingerprint ?? '?').slice(0, 16)}…`
  else if (sig.method === 'certificate') who = `certificate "${sig.certificateSubject ?? '?'}"`
  else who = `${sig.subjectAlternativeNames?.[0] ?? '?'} (issuer ${sig.oidcIssuer ?? '?'})`
  return s.identities.length ? `${who} as ${s.identities.join('/')}` : who
}

/** The distinct-signer key of a verified signer. */
export function signerKeyOf(sig: import('../signing/types.js').SignerIdentity): string {
  if (sig.method === 'key') return `key:${sig.keyFingerprint ?? ''}`
  if (sig.method === 'certificate') return `cert:${sig.keyFingerprint ?? sig.certificateSubject ?? ''}`
  return `keyless:${sig.oidcIssuer ?? ''}|${sig.subjectAlternativeNames?.[0] ?? ''}`
}
