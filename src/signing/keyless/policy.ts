/**
 * The identity policy for keyless verification. Matching is exact by default; regular
 * expressions are always anchored to the whole value (`acme` never matches `acme-evil`).
 *
 * We do not hand the policy to @sigstore/verify: it turns a *string* SAN into an unanchored
 * RegExp (`"a.b"` would match `"xa-b-evil"`) and looks at one SAN only.
 */
import {UsageError, VerificationError} from '../../errors.js'
import {checkPattern, fullMatch, MAX_PATTERN_LENGTH} from '../../util/identity-regex.js'
import type {CertificateIdentity} from './certificate.js'
import {EXTENSION_NAMES} from './certificate.js'

export interface IdentityPolicy {
  identity?: string
  identityRegexp?: string
  issuer?: string
  issuerRegexp?: string
  /** Extension name → exact value. */
  extensions?: Record<string, string>
  /** Extension name → pattern (anchored). */
  extensionRegexps?: Record<string, string>
}

/** A whole-value pattern (src/util/identity-regex.ts: parsed alone, RE2 subset, linear-time match). */
export interface WholeMatch {
  source: string
  test(value: string): boolean
}

export interface CompiledPolicy {
  identity: {exact?: string; regexp?: WholeMatch}
  issuer: {exact?: string; regexp?: WholeMatch}
  extensions: {name: string; exact?: string; regexp?: WholeMatch}[]
}

/**
 * A user pattern that must match the whole value. It is parsed on its own — wrapping it as
 * `^(?:A)|(B)$` would let `A)|(B` escape the anchors — and matched in linear time. Unlike a
 * policy, the command line may leave an edge open (`refs/tags/.*`), as cosign allows.
 */
export function anchored(pattern: string, what: string): WholeMatch {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new UsageError('E_SIGSTORE_BAD_REGEXP', `${what} pattern is longer than ${MAX_PATTERN_LENGTH} characters`)
  }
  const bad = checkPattern(pattern, 'both').find((p) => p.level === 'error')
  if (bad) throw new UsageError('E_SIGSTORE_BAD_REGEXP', `${what} is not a usable regular expression: ${bad.message}`)
  return {source: pattern, test: (value: string) => fullMatch(pattern, value)}
}

export function compilePolicy(p: IdentityPolicy): CompiledPolicy {
  if (p.identity !== undefined && p.identityRegexp !== undefined) {
    throw new UsageError('E_SIGSTORE_POLICY', 'give either --identity or --identity-regexp, not both')
  }
  if (p.issuer !== undefined && p.issuerRegexp !== undefined) {
    throw new UsageError('E_SIGSTORE_POLICY', 'give either --identity-provider or --identity-provider-regexp, not both')
  }
  // A keyless signature proves nothing until we say whom we expect: anyone can get a certificate.
  if (p.identity === undefined && p.identityRegexp === undefined) {
    throw new UsageError('E_SIGSTORE_POLICY', 'an expected signer is required: --identity or --identity-regexp')
  }
  if (p.issuer === undefined && p.issuerRegexp === undefined) {
    throw new UsageError('E_SIGSTORE_POLICY', 'an expected OIDC issuer is required: --identity-provider or --identity-provider-regexp')
  }
  const extensions: CompiledPolicy['extensions'] = []
  for (const [name, value] of Object.entries(p.extensions ?? {})) {
    checkExtensionName(name)
    extensions.push({name, exact: value})
  }
  for (const [name, pattern] of Object.entries(p.extensionRegexps ?? {})) {
    checkExtensionName(name)
    extensions.push({name, regexp: anchored(pattern, `certificate extension ${name}`)})
  }
  return {
    identity: {
      exact: p.identity,
      regexp: p.identityRegexp === undefined ? undefined : anchored(p.identityRegexp, '--identity-regexp'),
    },
    issuer: {
      exact: p.issuer,
      regexp: p.issuerRegexp === undefined ? undefined : anchored(p.issuerRegexp, '--identity-provider-regexp'),
    },
    extensions,
  }
}

function checkExtensionName(name: string): void {
  if (!EXTENSION_NAMES.includes(name)) {
    throw new UsageError('E_SIGSTORE_POLICY', `unknown certificate extension '${name}' (known: ${EXTENSION_NAMES.join(', ')})`)
  }
}

function matches(value: string | undefined, m: {exact?: string; regexp?: WholeMatch}): boolean {
  if (value === undefined) return false
  if (m.exact !== undefined) return value === m.exact
  return m.regexp?.test(value) ?? false
}

function describe(m: {exact?: string; regexp?: WholeMatch}): string {
  return m.exact !== undefined ? JSON.stringify(m.exact) : `/${m.regexp?.source}/`
}

/** Throws a VerificationError naming the first policy check that failed. */
export function enforcePolicy(policy: CompiledPolicy, id: CertificateIdentity): void {
  // sigstore-js reads the v2 issuer extension, model_signing the legacy one: both must agree.
  if (id.legacyIssuer !== undefined && id.issuer !== undefined && id.legacyIssuer !== id.issuer) {
    throw new VerificationError(
      'E_SIGSTORE_ISSUER',
      `identity provider check failed: the certificate's issuer extensions disagree (${JSON.stringify(id.legacyIssuer)} vs ${JSON.stringify(id.issuer)})`,
    )
  }
  if (!matches(id.issuer, policy.issuer)) {
    throw new VerificationError(
      'E_SIGSTORE_ISSUER',
      `identity provider check failed: expected ${describe(policy.issuer)}, certificate has ${JSON.stringify(id.issuer ?? null)}`,
    )
  }
  if (!id.subjectAlternativeNames.some((san) => matches(san, policy.identity))) {
    throw new VerificationError(
      'E_SIGSTORE_IDENTITY',
      `identity check failed: expected ${describe(policy.identity)}, certificate has ${JSON.stringify(id.subjectAlternativeNames)}`,
    )
  }
  for (const ext of policy.extensions) {
    const actual = id.extensions[ext.name]
    if (!matches(actual, ext)) {
      throw new VerificationError(
        'E_SIGSTORE_EXTENSION',
        `certificate extension check failed: ${ext.name} expected ${describe(ext)}, certificate has ${JSON.stringify(actual ?? null)}`,
      )
    }
  }
}
