/**
 * `policy lint`: schema problems plus the semantic mistakes that make a policy weaker than it
 * reads — expired policy or waivers, waivers without expiry, identities nobody uses, two
 * identities for one key (an error: one key is one signer), audit policies with enforce requirements.
 */
import {ModelsealError} from '../errors.js'
import type {SchemaIssue} from './checker.js'
import {resolveKeyIdentity} from '../evidence/keys.js'
import {inspectPolicy} from './load.js'
import type {Policy, SignedBy} from './types.js'

export const EXPIRY_WARNING_MS = 30 * 86400e3
export const LONG_WAIVER_MS = 90 * 86400e3

export interface LintReport {
  file: string
  ok: boolean
  policy?: {name: string; version?: string; mode: string; expires: string; sha256: string}
  errors: number
  warnings: number
  issues: SchemaIssue[]
}

export function lintPolicy(file: string, at: Date = new Date()): LintReport {
  const {policy, issues} = inspectPolicy(file)
  if (policy) issues.push(...semanticIssues(policy, at))
  const errors = issues.filter((i) => i.level === 'error').length
  return {
    file,
    ok: errors === 0,
    policy: policy && {
      name: policy.metadata.name,
      version: policy.metadata.version,
      mode: policy.mode,
      expires: policy.expires.toISOString(),
      sha256: policy.source.sha256,
    },
    errors,
    warnings: issues.length - errors,
    issues,
  }
}

function semanticIssues(p: Policy, at: Date): SchemaIssue[] {
  const out: SchemaIssue[] = []
  const add = (level: SchemaIssue['level'], code: string, key: string, message: string) => out.push({level, code, key, message})
  if (p.expires.getTime() <= at.getTime()) {
    add('error', 'POLICY_EXPIRED', 'spec.expires', `policy expired at ${p.expires.toISOString()}; review it and set a new expiry`)
  } else if (p.expires.getTime() - at.getTime() < EXPIRY_WARNING_MS) {
    add('warning', 'POLICY_EXPIRES_SOON', 'spec.expires', `policy expires at ${p.expires.toISOString()} (within 30 days)`)
  }
  p.waivers.forEach((w, i) => {
    const key = `spec.waivers[${i}]`
    if (w.expires.getTime() <= at.getTime())
      add('warning', 'WAIVER_EXPIRED', key, `waiver ${w.id} expired at ${w.expires.toISOString()} and no longer applies; remove it`)
    else if (w.expires.getTime() - at.getTime() > LONG_WAIVER_MS)
      add('warning', 'WAIVER_LONG', key, `waiver ${w.id} runs for more than 90 days; prefer short waivers that are renewed deliberately`)
    if (w.expires.getTime() > p.expires.getTime()) add('warning', 'WAIVER_OUTLIVES_POLICY', key, `waiver ${w.id} expires after the policy itself`)
  })
  const used = new Set<string>()
  const use = (s?: SignedBy) => s && ('anyOf' in s ? s.anyOf : s.allOf).forEach((n) => used.add(n))
  for (const r of p.requirements) {
    if ('signedBy' in r) use(r.signedBy)
    if (r.type === 'datasets') use(r.provenanceSignedBy)
    if (p.mode === 'audit' && r.mode && r.mode !== 'audit') {
      add('warning', 'MODE_IGNORED', `requirement ${r.id}`, `mode ${r.mode} has no blocking effect: the policy is in audit mode, which never blocks`)
    }
  }
  const byFingerprint = new Map<string, string>()
  let keyless = false
  for (const [name, id] of p.identities) {
    const key = `spec.trust.identities.${name}`
    if (!used.has(name)) add('warning', 'IDENTITY_UNUSED', key, `identity ${name} is not referenced by any requirement`)
    if (id.spec.kind === 'keyless') keyless = true
    if (id.spec.kind !== 'key') continue
    try {
      // Canonical key: a PEM and a compressed-point copy of one key are the same key.
      const fp = resolveKeyIdentity(id.spec, name).fingerprint
      const other = byFingerprint.get(fp)
      if (other)
        add(
          'error',
          'IDENTITY_DUPLICATE_KEY',
          key,
          `identity ${name} is the same key as ${other}: one key is one signer, so two identities for it make allOf and thresholds read stronger than they are; keep one`,
        )
      else byFingerprint.set(fp, name)
    } catch (err) {
      add('error', err instanceof ModelsealError ? err.code : 'E_POLICY_KEY', key, (err as Error).message)
    }
  }
  if (keyless && !p.trustedRoot) {
    add(
      'warning',
      'NO_TRUSTED_ROOT',
      'spec.trust',
      'keyless identities without spec.trust.trustedRoot use the Sigstore public-good root; pin a trusted_root.json for air-gapped or private deployments',
    )
  }
  return out
}
