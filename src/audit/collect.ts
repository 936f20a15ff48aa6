/**
 * `modelseal audit`: what can be proven about a model. Every fact carries its status — verified
 * (a signature or digest check passed) or read (taken from a file, unchecked) — so an auditor
 * never mistakes a claim for a proof. Verification uses only the trust material the auditor
 * supplies (public keys, CA certificates, a Sigstore trusted root); keyless bundles are
 * verified cryptographically against the trusted root and reported with their identity.
 */
import path from 'node:path'

import {parseScanStatement, SCAN_PREDICATE_TYPE} from '../attest/scan-predicate.js'
import {DECISION_PREDICATE_TYPE, parseDecisionStatement} from '../policy/decision-statement.js'
import {parseStatement, subjectDigests, type Statement} from '../attest/statement.js'
import {parseStatement as parseDatasetStatement} from '../dataset/statement.js'
import {DATASET_PREDICATE_TYPE, ROOT_DIGEST_KEY} from '../dataset/types.js'
import {ModelsealError} from '../errors.js'
import {SLSA_PROVENANCE_V1} from '../evidence/attestation.js'
import {readEvidenceBundle} from '../evidence/bundle.js'
import {IDENTITY_PARAMS, LocalModel} from '../evidence/model.js'
import {compareWithModel} from '../evidence/signature.js'
import {signerKeysOf, trustedTimeOf} from '../evidence/trust.js'
import {parseStatement as parseOmsStatement} from '../oms/statement.js'
import type {SerializationParams} from '../oms/types.js'
import {verifyBundle, type VerifiedEnvelope, type VerifierSpec} from '../signing/index.js'
import type {ParsedBundle} from '../signing/bundle.js'
import type {SignerIdentity} from '../signing/types.js'

export type FactStatus = 'verified' | 'read' | 'failed'

export interface AuditSigner {
  method: 'key' | 'certificate' | 'sigstore'
  keyFingerprint?: string
  certificateSubject?: string
  certificateIssuer?: string
  identity?: string
  issuer?: string
  sourceRepository?: string
  sourceRef?: string
  buildSigner?: string
  extensions?: Record<string, string>
  tlog?: {logIndex: string; integratedTime?: string}[]
  timestamps?: string[]
}

export interface AuditSignature {
  source: string
  status: FactStatus
  /** Why verification was not possible or failed. */
  note?: string
  /** Only for a verified signature: an unverified bundle's key hint or certificate names nobody. */
  signer?: AuditSigner
  signedAt?: string
  rootDigest?: string
  serialization?: SerializationParams
  resources: {name: string; algorithm: string; digest: string}[]
  /** Local files compared with the signed manifest. */
  content?: {matches: boolean; changed: string[]; missing: string[]; notCovered: string[]; ignoredBySigner: string[]}
}

export interface AuditAttestation {
  source: string
  status: FactStatus
  note?: string
  predicateType: string
  signer?: AuditSigner
  /** Does its subject digest equal this model's digest (recomputed locally)? */
  aboutThisModel: boolean | null
  subject: Record<string, string>[]
  says: Record<string, unknown>
}

export interface AuditReport {
  reportVersion: '1'
  generatedAt: string
  model: {path: string; rootDigest: string | null; files: number; totalBytes: number; excludedEvidence: string[]}
  signatures: AuditSignature[]
  attestations: AuditAttestation[]
  facts: {fact: string; status: FactStatus}[]
}

export interface AuditOptions {
  modelPath: string
  signatures?: string[]
  attestations?: string[]
  publicKeys?: string[]
  certificateChains?: string[]
  trustedRoot?: string
}

export function signerOf(s: SignerIdentity): AuditSigner {
  const ext = s.extensions ?? {}
  return {
    method: s.method,
    keyFingerprint: s.keyFingerprint,
    certificateSubject: s.certificateSubject,
    certificateIssuer: s.certificateIssuer,
    identity: s.subjectAlternativeNames?.[0],
    issuer: s.oidcIssuer,
    sourceRepository: ext.sourceRepositoryURI,
    sourceRef: ext.sourceRepositoryRef,
    buildSigner: ext.buildSignerURI,
    extensions: Object.keys(ext).length ? ext : undefined,
    tlog: s.tlog?.map((t) => ({logIndex: t.logIndex, integratedTime: t.integratedTime})),
    timestamps: s.timestamps,
  }
}

function specs(o: AuditOptions, kind: ParsedBundle['material']['kind']): VerifierSpec[] {
  if (kind === 'publicKey') return (o.publicKeys ?? []).map((k) => ({method: 'key', publicKeyPath: k}))
  const out: VerifierSpec[] = []
  if (kind === 'x509CertificateChain' && o.certificateChains?.length) out.push({method: 'certificate', certificateChainPaths: o.certificateChains})
  // Any identity: the audit reports WHO signed; whether that identity is acceptable is a policy question.
  out.push({method: 'sigstore', identityRegexp: '.+', issuerRegexp: '.+', trustedRootPath: o.trustedRoot, offline: true})
  return out
}

interface Tried {
  env?: VerifiedEnvelope
  notes: string[]
  /** Some trust material applied to this bundle (so "did not verify" means failed, not unchecked). */
  applicable: boolean
}

async function tryVerify(p: ParsedBundle, o: AuditOptions, opts: {payloadType?: string; allowLegacyPae?: boolean} = {}): Promise<Tried> {
  const notes: string[] = []
  const candidates = specs(o, p.material.kind)
  for (const spec of candidates) {
    try {
      return {env: await verifyBundle(p, spec, {payloadType: opts.payloadType, allowLegacyPae: opts.allowLegacyPae === true}), notes, applicable: true}
    } catch (err) {
      if (!(err instanceof ModelsealError)) throw err
      notes.push(`${spec.method}: ${err.message}`)
    }
  }
  if (candidates.length === 0) notes.push('signed with a key: pass --public-key to verify it')
  return {notes, applicable: candidates.length > 0}
}

const statusOf = (t: Tried): FactStatus => (t.env ? 'verified' : t.applicable ? 'failed' : 'read')

export async function collectAudit(o: AuditOptions, now = new Date()): Promise<AuditReport> {
  // Verify first: only evidence files that verified are left out of the model's files.
  const sigs = [] as {file: string; parsed: ParsedBundle; tried: Tried}[]
  for (const file of o.signatures ?? []) {
    const parsed = readEvidenceBundle(file)
    sigs.push({file, parsed, tried: await tryVerify(parsed, o, {payloadType: 'application/vnd.in-toto+json', allowLegacyPae: true})})
  }
  const atts = [] as {file: string; parsed: ParsedBundle; tried: Tried}[]
  for (const file of o.attestations ?? []) {
    const parsed = readEvidenceBundle(file)
    atts.push({file, parsed, tried: await tryVerify(parsed, o)})
  }
  const verifiedFiles = [...sigs, ...atts].filter((x) => x.tried.env).map((x) => path.resolve(x.file))
  const model = new LocalModel(o.modelPath, verifiedFiles)
  const digestFor = async (ser?: SerializationParams): Promise<string | undefined> => {
    try {
      return (await model.manifest(ser ?? IDENTITY_PARAMS, ser?.ignorePaths ?? [])).rootDigest
    } catch (err) {
      if (err instanceof ModelsealError) return undefined
      throw err
    }
  }
  const report: AuditReport = {
    reportVersion: '1',
    generatedAt: now.toISOString(),
    model: {
      path: model.path,
      rootDigest: (await digestFor()) ?? null,
      files: model.files.length,
      totalBytes: model.totalBytes,
      excludedEvidence: model.excluded,
    },
    signatures: [],
    attestations: [],
    facts: [],
  }
  for (const s of sigs) report.signatures.push(await auditSignature(s.file, s.parsed, s.tried, model))
  for (const a of atts) report.attestations.push(await auditAttestation(a.file, a.parsed, a.tried, digestFor))
  report.facts = summarizeFacts(report)
  return report
}

async function auditSignature(file: string, p: ParsedBundle, tried: Tried, model: LocalModel): Promise<AuditSignature> {
  const {env, notes} = tried
  const status = statusOf(tried)
  // What a signature that failed says is what a forger chose: not shown.
  const signed = status === 'failed' ? undefined : parseOmsStatement(env?.payload ?? p.envelope.payload)
  const out: AuditSignature = {
    source: file,
    status,
    note: env ? undefined : notes.join('; '),
    signer: env ? signerOf(env.signer) : undefined,
    signedAt: env ? trustedTimeOf(env.signer)?.toISOString() : undefined,
    rootDigest: signed?.rootDigest,
    serialization: signed?.serialization,
    resources: signed?.resources ?? [],
  }
  if (!signed) return out
  try {
    const match = {
      envelope: env ?? {payloadType: p.envelope.payloadType, payload: p.envelope.payload, signer: {method: 'key' as const}},
      signer: env?.signer ?? {method: 'key' as const},
      signerKeys: env ? signerKeysOf(env.signer) : [],
      identities: [],
    }
    const c = await compareWithModel({source: file, match, signed}, model)
    const pick = (re: RegExp) => c.contentProblems.map((x) => re.exec(x)?.[1]).filter((x): x is string => x !== undefined)
    out.content = {
      matches: c.contentProblems.length === 0 && c.unsignedFiles.length === 0,
      changed: pick(/^changed file: (.*?):/),
      missing: pick(/^missing file: (.*)$/),
      notCovered: c.unsignedFiles,
      ignoredBySigner: c.signerIgnored,
    }
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    out.note = `${out.note ? `${out.note}; ` : ''}local files could not be compared: ${err.message}`
  }
  return out
}

async function auditAttestation(
  file: string,
  p: ParsedBundle,
  tried: Tried,
  digestFor: (s?: SerializationParams) => Promise<string | undefined>,
): Promise<AuditAttestation> {
  const {env, notes} = tried
  const status = statusOf(tried)
  const st: Statement = parseStatement(env?.payload ?? p.envelope.payload, file)
  const base = {
    source: file,
    status,
    note: env ? undefined : notes.join('; '),
    predicateType: st.predicateType,
    signer: env ? signerOf(env.signer) : undefined,
    subject: st.subject.map((s) => s.digest),
  }
  // A forged statement's content is not repeated as if it were a fact.
  if (status === 'failed') return {...base, aboutThisModel: null, says: {}}
  let aboutThisModel: boolean | null = null
  let says: Record<string, unknown> = {}
  if (st.predicateType === SCAN_PREDICATE_TYPE) {
    const s = parseScanStatement(st, file)
    aboutThisModel = (await digestFor(s.serialization)) === s.subjectDigest
    says = {
      scanner: s.scanner,
      scannedAt: s.scannedAt?.toISOString(),
      findings: s.report.summary.findings,
      maxSeverity: s.report.summary.maxSeverity,
      files: s.report.files.length,
      errors: s.report.summary.errors,
    }
  } else if (st.predicateType === DECISION_PREDICATE_TYPE) {
    const d = parseDecisionStatement(st, file)
    aboutThisModel = (await digestFor()) === d.subjectDigest
    says = {
      verificationResult: d.verificationResult,
      policy: d.policy,
      timeVerified: d.timeVerified?.toISOString(),
      evaluatedAt: d.evaluatedAt?.toISOString(),
      requirements: d.requirements.map((r) => `${r.id}: ${r.result}`),
    }
  } else if (st.predicateType === DATASET_PREDICATE_TYPE) {
    const h = parseDatasetStatement(env?.payload ?? p.envelope.payload)
    says = {dataset: h.dataset, root: h.root, files: h.stats.files, bytes: h.stats.bytes, created: h.created}
  } else if (st.predicateType === SLSA_PROVENANCE_V1) {
    aboutThisModel = subjectDigests(st, 'sha256').includes((await digestFor()) ?? '')
    const bd = st.predicate.buildDefinition as {resolvedDependencies?: {uri?: string; digest?: Record<string, string>}[]} | undefined
    const deps = Array.isArray(bd?.resolvedDependencies) ? bd.resolvedDependencies : []
    says = {
      datasets: deps
        .slice(0, 100)
        .filter((d) => d?.digest?.[ROOT_DIGEST_KEY])
        .map((d) => ({uri: d.uri, root: d.digest?.[ROOT_DIGEST_KEY]})),
    }
  }
  return {...base, aboutThisModel, says}
}

function summarizeFacts(r: AuditReport): {fact: string; status: FactStatus}[] {
  const facts: {fact: string; status: FactStatus}[] = []
  if (r.model.rootDigest)
    facts.push({fact: `model digest sha256:${r.model.rootDigest} (files, sha256, every file on disk) computed from local files`, status: 'verified'})
  if (r.model.excludedEvidence.length)
    facts.push({fact: `verified evidence inside the model, not counted as model files: ${r.model.excludedEvidence.join(', ')}`, status: 'verified'})
  for (const s of r.signatures) {
    if (s.status === 'verified' && s.signer)
      facts.push({fact: `${s.source}: signed by ${describe(s.signer)}${s.signedAt ? ` at ${s.signedAt}` : ''}`, status: 'verified'})
    else if (s.status === 'failed')
      facts.push({fact: `${s.source}: signature does not verify with the trust material given; its signer and content are not shown`, status: 'failed'})
    else facts.push({fact: `${s.source}: signature not verified (no trust material for it); its signer is unknown`, status: 'read'})
    if (s.content) {
      const c = s.content
      facts.push({
        fact: `${s.source}: local files ${c.matches ? 'match all' : 'do not match'} ${s.resources.length} signed resource(s)${c.changed.length ? `; changed: ${c.changed.join(', ')}` : ''}${c.missing.length ? `; missing: ${c.missing.join(', ')}` : ''}${c.notCovered.length ? `; not covered: ${c.notCovered.join(', ')}` : ''}${c.ignoredBySigner.length ? `; ignored by the signer: ${c.ignoredBySigner.join(', ')}` : ''}`,
        // Matching an unverified manifest proves nothing about who made it.
        status: s.status === 'verified' && c.matches ? 'verified' : s.status === 'verified' ? 'failed' : 'read',
      })
    }
  }
  for (const a of r.attestations) {
    if (a.status === 'failed') {
      facts.push({fact: `${a.source}: ${a.predicateType} — signature does not verify; content not shown`, status: 'failed'})
      continue
    }
    facts.push({
      fact: `${a.source}: ${a.predicateType}${a.signer ? ` signed by ${describe(a.signer)}` : ' (signer not verified)'}${a.aboutThisModel === false ? ' — about ANOTHER model' : a.aboutThisModel ? ' — about this model' : ''}`,
      status: a.status,
    })
  }
  return facts
}

export function describe(s: AuditSigner): string {
  if (s.method === 'key') return `key sha256:${s.keyFingerprint ?? '?'}`
  if (s.method === 'certificate') return `certificate ${s.certificateSubject ?? '?'}`
  const repo = s.sourceRepository ? `, repository ${s.sourceRepository}${s.sourceRef ? ` @ ${s.sourceRef}` : ''}` : ''
  return `${s.identity ?? s.certificateSubject ?? '?'} (issuer ${s.issuer ?? '?'}${repo})`
}
