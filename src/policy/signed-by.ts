/**
 * `signedBy` semantics. anyOf + threshold counts DISTINCT signers that satisfy at least one
 * listed identity; allOf needs a distinct signer for every listed identity (a bipartite
 * matching). A signer is the public key that verified (canonical SPKI, whatever PEM, DER,
 * compressed point or certificate carried it) or a Fulcio identity; two signatures that share
 * either are one signer — the same key in two files, named by two identities, or once as a key
 * and once inside a certificate counts once (TUF GHSA-pwqf-9h7j-7mv8). The bundle's `hint` is
 * not signed and plays no part.
 */
import type {VerifiedSigner} from '../evidence/types.js'
import {formatDuration} from './matchers.js'
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
      rejected.push(
        `${s.source}: no trusted signing time (key signatures carry none), so maxAge ${formatDuration(maxAgeMs)} cannot be checked; sign keylessly or with a timestamp`,
      )
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

/** Groups signers that share any signer key (union-find); each group is one distinct signer. */
export function distinctSigners(signers: VerifiedSigner[]): VerifiedSigner[] {
  const parent = signers.map((_, i) => i)
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])))
  const byKey = new Map<string, number>()
  signers.forEach((s, i) => {
    for (const k of s.signerKeys) {
      const j = byKey.get(k)
      if (j === undefined) byKey.set(k, i)
      else parent[find(i)] = find(j)
    }
  })
  const groups = new Map<number, VerifiedSigner>()
  signers.forEach((s, i) => {
    const r = find(i)
    const g = groups.get(r)
    if (!g) groups.set(r, {...s, identities: [...s.identities], signerKeys: [...s.signerKeys]})
    else {
      g.identities = [...new Set([...g.identities, ...s.identities])]
      g.signerKeys = [...new Set([...g.signerKeys, ...s.signerKeys])]
    }
  })
  return [...groups.values()]
}

export function evaluateSignedBy(signedBy: SignedBy, signers: VerifiedSigner[]): SignedByResult {
  if ('anyOf' in signedBy) {
    const relevant = signers.filter((s) => s.identities.some((i) => signedBy.anyOf.includes(i)))
    const counted = distinctSigners(relevant)
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
  const pool = distinctSigners(signers)
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
