/**
 * The policy schema: turns parsed YAML into a typed Policy, reporting every problem with its
 * line and key. Unknown keys are errors, because a typo such as `threshhold:` must never
 * silently relax a requirement.
 */
import path from 'node:path'

import {EXTENSION_NAMES} from '../signing/keyless/certificate.js'
import {Checker, type Path} from './checker.js'
import {MODES, regexOk, UNBOUNDED_SIDES, type SchemaContext} from './schema-fields.js'
import {parseRequirement} from './schema-requirements.js'
import {
  POLICY_API_VERSION,
  POLICY_KIND,
  type IdentitySpec,
  type Mode,
  type NamedIdentity,
  type Policy,
  type Requirement,
  type StringMatcher,
  type Waiver,
} from './types.js'
import type {YamlSource} from './yaml-source.js'

export const MAX_REQUIREMENTS = 200
export const MAX_IDENTITIES = 200

/** Fulcio certificate extensions a keyless identity may constrain (names as in SignerIdentity.extensions). */
export const FULCIO_EXTENSIONS: readonly string[] = EXTENSION_NAMES

export function validatePolicy(src: YamlSource, sha256: string): {policy?: Policy; checker: Checker} {
  const c = new Checker(src)
  const baseDir = path.dirname(path.resolve(src.file))
  const root = c.object(src.data, [], ['apiVersion', 'kind', 'metadata', 'spec'])
  if (!root) return {checker: c}
  const apiVersion = c.string(c.required(root, 'apiVersion', []), ['apiVersion'])
  if (apiVersion !== undefined && apiVersion !== POLICY_API_VERSION) {
    c.error(['apiVersion'], `unsupported apiVersion "${apiVersion}"; this modelseal reads ${POLICY_API_VERSION}`)
  }
  const kind = c.string(c.required(root, 'kind', []), ['kind'])
  if (kind !== undefined && kind !== POLICY_KIND) c.error(['kind'], `kind must be ${POLICY_KIND}, got "${kind}"`)

  const md = c.object(c.required(root, 'metadata', []), ['metadata'], ['name', 'version', 'owner', 'description'])
  const metadata = {name: '', version: undefined as string | undefined, owner: undefined as string | undefined, description: undefined as string | undefined}
  if (md) {
    metadata.name = c.string(c.required(md, 'name', ['metadata']), ['metadata', 'name']) ?? ''
    for (const k of ['version', 'owner', 'description'] as const) if (md[k] !== undefined) metadata[k] = c.text(md[k], ['metadata', k])
  }

  const spec = c.object(c.required(root, 'spec', []), ['spec'], ['mode', 'expires', 'trust', 'excludeVerifiedEvidence', 'requirements', 'waivers'])
  if (!spec) return {checker: c}
  const mode: Mode = spec.mode === undefined ? 'enforce' : (c.oneOf(spec.mode, ['spec', 'mode'], MODES) ?? 'enforce')
  const expires = c.time(c.required(spec, 'expires', ['spec']), ['spec', 'expires'])
  let excludeVerifiedEvidence = false
  if (spec.excludeVerifiedEvidence !== undefined) {
    if (typeof spec.excludeVerifiedEvidence === 'boolean') excludeVerifiedEvidence = spec.excludeVerifiedEvidence
    else c.error(['spec', 'excludeVerifiedEvidence'], 'must be true or false')
  }

  const ctx: SchemaContext = {c, baseDir, identityNames: new Set()}
  let trustedRoot: string | undefined
  const identities = new Map<string, NamedIdentity>()
  if (spec.trust !== undefined) {
    const trust = c.object(spec.trust, ['spec', 'trust'], ['trustedRoot', 'identities'])
    if (trust?.trustedRoot !== undefined) {
      const p = c.string(trust.trustedRoot, ['spec', 'trust', 'trustedRoot'])
      if (p) trustedRoot = path.resolve(baseDir, p)
    }
    if (trust?.identities !== undefined) {
      const ids = c.mapping(trust.identities, ['spec', 'trust', 'identities'])
      const names = Object.keys(ids ?? {})
      if (names.length > MAX_IDENTITIES) c.error(['spec', 'trust', 'identities'], `more than ${MAX_IDENTITIES} identities`)
      for (const name of names.slice(0, MAX_IDENTITIES)) {
        const p = ['spec', 'trust', 'identities', name]
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) c.error(p, `identity name "${name}" must be letters, digits, ".", "_" or "-"`)
        ctx.identityNames.add(name)
        const spec = parseIdentity(ctx, ids![name], p)
        if (spec) identities.set(name, {name, spec})
      }
    }
  }

  const requirements: Requirement[] = []
  const reqList = c.list(c.required(spec, 'requirements', ['spec']), ['spec', 'requirements'], {nonEmpty: true})
  const seen = new Set<string>()
  if (reqList && reqList.length > MAX_REQUIREMENTS) c.error(['spec', 'requirements'], `more than ${MAX_REQUIREMENTS} requirements`)
  reqList?.slice(0, MAX_REQUIREMENTS).forEach((r, i) => {
    const req = parseRequirement(ctx, r, ['spec', 'requirements', i])
    if (!req) return
    if (seen.has(req.id)) c.error(['spec', 'requirements', i, 'id'], `duplicate requirement id "${req.id}"`)
    seen.add(req.id)
    requirements.push(req)
  })

  // Integrity is proven by the model's signers: by default the identities the signature
  // requirements accept, never any identity the policy happens to trust (a scanner key).
  const signerIds = [...new Set(requirements.flatMap((r) => (r.type === 'signature' ? ('anyOf' in r.signedBy ? r.signedBy.anyOf : r.signedBy.allOf) : [])))]
  requirements.forEach((r, i) => {
    if (r.type !== 'integrity' || r.signedBy) return
    if (signerIds.length) r.signedBy = {anyOf: signerIds, threshold: 1}
    else
      c.report(
        'error',
        'MISSING_KEY',
        ['spec', 'requirements', i],
        'missing "signedBy": with no signature requirement, say whose model signatures prove integrity',
      )
  })

  const waivers: Waiver[] = []
  if (spec.waivers !== undefined) {
    const wl = c.list(spec.waivers, ['spec', 'waivers'])
    const wseen = new Set<string>()
    wl?.forEach((w, i) => {
      const waiver = parseWaiver(ctx, w, ['spec', 'waivers', i], seen)
      if (!waiver) return
      if (wseen.has(waiver.id)) c.error(['spec', 'waivers', i, 'id'], `duplicate waiver id "${waiver.id}"`)
      wseen.add(waiver.id)
      waivers.push(waiver)
    })
  }

  if (!c.ok || !apiVersion || !kind || !expires) return {checker: c}
  return {
    checker: c,
    policy: {
      apiVersion,
      kind,
      metadata,
      mode,
      expires,
      trustedRoot,
      excludeVerifiedEvidence,
      identities,
      requirements,
      waivers,
      source: {path: path.resolve(src.file), sha256},
    },
  }
}

function parseIdentity(ctx: SchemaContext, v: unknown, p: Path): IdentitySpec | undefined {
  const {c} = ctx
  const o = c.object(v, p, ['keyless', 'key', 'certificate'])
  if (!o) return undefined
  const kinds = Object.keys(o)
  if (kinds.length !== 1) {
    c.error(p, 'an identity is exactly one of keyless, key or certificate')
    return undefined
  }
  if (o.keyless !== undefined) {
    const kp = [...p, 'keyless']
    const k = c.object(o.keyless, kp, ['issuer', 'issuerRegExp', 'subject', 'subjectRegExp', 'extensions'])
    if (!k) return undefined
    // Issuer AND subject are mandatory: a subject alone can be minted by any OIDC provider Fulcio trusts.
    const issuer = matcher(ctx, k, kp, 'issuer', 'issuerRegExp', true)
    const subject = matcher(ctx, k, kp, 'subject', 'subjectRegExp', true)
    const extensions: Record<string, StringMatcher> = {}
    if (k.extensions !== undefined) {
      const ep = [...kp, 'extensions']
      const e = c.object(k.extensions, ep, FULCIO_EXTENSIONS)
      for (const [name, val] of Object.entries(e ?? {})) {
        if (!FULCIO_EXTENSIONS.includes(name)) continue
        if (typeof val === 'string') extensions[name] = {exact: val}
        else {
          const m = regexMatcher(ctx, val, [...ep, name], ['regExp', 'unbounded'])
          if (m) extensions[name] = m
        }
      }
    }
    return issuer && subject ? {kind: 'keyless', issuer, subject, extensions} : undefined
  }
  if (o.key !== undefined) {
    const kp = [...p, 'key']
    const k = c.object(o.key, kp, ['path', 'fingerprint'])
    if (!k) return undefined
    const keyPath = k.path === undefined ? undefined : c.string(k.path, [...kp, 'path'])
    let fingerprint: string | undefined
    if (k.fingerprint !== undefined) {
      const f = c.string(k.fingerprint, [...kp, 'fingerprint'])
      const m = f && /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(f)
      if (f && !m) c.error([...kp, 'fingerprint'], 'must be sha256:<64 hex> (the SHA-256 of the public key PEM, as `modelseal keys` prints it)')
      fingerprint = m ? m[1].toLowerCase() : undefined
    }
    if (keyPath === undefined && fingerprint === undefined) {
      c.error(kp, 'a key identity needs "path" (a PEM public key) and/or "fingerprint"')
      return undefined
    }
    return {kind: 'key', path: keyPath ? path.resolve(ctx.baseDir, keyPath) : undefined, fingerprint}
  }
  const cp = [...p, 'certificate']
  const k = c.object(o.certificate, cp, ['chain', 'subject', 'subjectRegExp'])
  if (!k) return undefined
  const raw = c.required(k, 'chain', cp)
  const chain = typeof raw === 'string' ? [c.string(raw, [...cp, 'chain'])] : c.stringList(raw, [...cp, 'chain'], {nonEmpty: true})
  const subject = k.subject !== undefined || k.subjectRegExp !== undefined ? matcher(ctx, k, cp, 'subject', 'subjectRegExp', false) : undefined
  if (!chain || chain.some((x) => x === undefined)) return undefined
  return {kind: 'certificate', chain: (chain as string[]).map((x) => path.resolve(ctx.baseDir, x)), subject}
}

function matcher(ctx: SchemaContext, o: Record<string, unknown>, p: Path, exactKey: string, reKey: string, required: boolean): StringMatcher | undefined {
  const {c} = ctx
  const hasExact = o[exactKey] !== undefined
  const hasRe = o[reKey] !== undefined
  if (hasExact && hasRe) {
    c.error([...p, reKey], `use either ${exactKey} or ${reKey}, not both`)
    return undefined
  }
  if (!hasExact && !hasRe) {
    if (required) c.report('error', 'MISSING_KEY', p, `missing required key "${exactKey}" (or "${reKey}")`)
    return undefined
  }
  if (hasExact) {
    const s = c.string(o[exactKey], [...p, exactKey])
    return s === undefined ? undefined : {exact: s}
  }
  return regexMatcher(ctx, o[reKey], [...p, reKey])
}

/**
 * A pattern, as a string or as {regExp, unbounded}: `unbounded: end` (start, both) is the
 * explicit permission for a pattern whose language is open at that end.
 */
function regexMatcher(ctx: SchemaContext, v: unknown, p: Path, keys: readonly string[] = ['regExp', 'unbounded']): StringMatcher | undefined {
  const {c} = ctx
  if (typeof v === 'string') {
    const re = c.string(v, p)
    return re !== undefined && regexOk(ctx, re, p) ? {regExp: re} : undefined
  }
  const o = c.object(v, p, keys)
  if (!o) return undefined
  const re = c.string(c.required(o, 'regExp', p), [...p, 'regExp'])
  const unbounded = o.unbounded === undefined ? undefined : c.oneOf(o.unbounded, [...p, 'unbounded'], UNBOUNDED_SIDES)
  if (re === undefined || (o.unbounded !== undefined && !unbounded)) return undefined
  return regexOk(ctx, re, [...p, 'regExp'], unbounded) ? {regExp: re, unbounded} : undefined
}

function parseWaiver(ctx: SchemaContext, v: unknown, p: Path, reqIds: Set<string>): Waiver | undefined {
  const {c} = ctx
  const o = c.object(v, p, ['id', 'requirement', 'requirements', 'expires', 'justification', 'approvedBy', 'ticket', 'modelDigest'])
  if (!o) return undefined
  const id = c.string(c.required(o, 'id', p), [...p, 'id'])
  let requirements: string[] | undefined
  if ((o.requirement === undefined) === (o.requirements === undefined)) {
    c.report('error', 'MISSING_KEY', p, 'a waiver names the requirement it relaxes: "requirement: <id>" (or "requirements: [ids]")')
  } else if (o.requirement !== undefined) {
    const r = c.string(o.requirement, [...p, 'requirement'])
    requirements = r === undefined ? undefined : [r]
  } else requirements = c.stringList(o.requirements, [...p, 'requirements'], {nonEmpty: true})
  requirements?.forEach((r) => {
    if (r === '*') c.error([...p, 'requirement'], 'a waiver must name requirement ids; "*" is not allowed')
    else if (!reqIds.has(r)) c.error([...p, o.requirement !== undefined ? 'requirement' : 'requirements'], `waiver relaxes unknown requirement "${r}"`)
  })
  // A waiver without an expiry is a permanent hole in the policy: refused.
  const expiresRaw = o.expires
  if (expiresRaw === undefined || expiresRaw === null)
    c.report('error', 'WAIVER_NO_EXPIRY', [...p], `waiver ${id ?? ''} has no "expires"; every waiver must expire`)
  const expires = expiresRaw === undefined || expiresRaw === null ? undefined : c.time(expiresRaw, [...p, 'expires'])
  const justification = c.string(c.required(o, 'justification', p), [...p, 'justification'])
  const ap = c.required(o, 'approvedBy', p)
  const approvedBy =
    typeof ap === 'string'
      ? [c.string(ap, [...p, 'approvedBy'])!].filter(Boolean)
      : ap === undefined
        ? undefined
        : c.stringList(ap, [...p, 'approvedBy'], {nonEmpty: true})
  const ticket = o.ticket === undefined ? undefined : c.text(o.ticket, [...p, 'ticket'])
  let modelDigest: string | undefined
  if (o.modelDigest !== undefined) {
    const d = c.string(o.modelDigest, [...p, 'modelDigest'])
    const m = d && /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(d)
    if (d && !m) c.error([...p, 'modelDigest'], 'must be sha256:<64 hex> (the model root digest from `modelseal digest`)')
    modelDigest = m ? m[1].toLowerCase() : undefined
  }
  if (!id || !requirements || !expires || !justification || !approvedBy || approvedBy.length === 0) return undefined
  return {id, requirements, expires, justification, approvedBy, ticket, modelDigest}
}
