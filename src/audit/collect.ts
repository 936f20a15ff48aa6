/**
 * `modelseal audit`: what can be proven about a model. Every fact carries its status — verified
 * (a signature or digest check passed) or read (taken from a file, unchecked) — so an auditor
 * never mistakes a claim for a proof. Verification uses only the trust material the auditor
 * supplies (public keys, CA certificates, a Sigstore trusted root); keyless bundles are
 * verified cryptographically against the trusted root and reported with their identity.
 */
import {X509Certificate} from 'node:crypto'
import path from 'node:path'

import {parseScanStatement, SCAN_PREDICATE_TYPE} from '../attest/scan-predicate.js'
import {DECISION_PREDICATE_TYPE, parseDecisionStatement} from '../policy/decision-statement.js'
import {parseStatement, subjectDigests, type Statement} from '../attest/statement.js'
import {parseStatement as parseDatasetStatement} from '../dataset/statement.js'
import {DATASET_PREDICATE_TYPE, ROOT_DIGEST_KEY} from '../dataset/types.js'
import {ModelsealError} from '../errors.js'
import {compareResources} from '../oms/compare.js'
import {serializeModel} from '../oms/serialize.js'
import {parseStatement as parseOmsStatement} from '../oms/statement.js'
import type {SerializationParams} from '../oms/types.js'
import {parseBundle, readBundleFile, verifyBundle, type VerifiedEnvelope, type VerifierSpec} from '../signing/index.js'
import type {ParsedBundle} from '../signing/bundle.js'
import type {SignerIdentity} from '../signing/types.js'
import {listModelFiles} from '../policy/model-files.js'
import {SLSA_PROVENANCE_V1} from '../policy/gather-attestations.js'
import {trustedTimeOf} from '../policy/trust.js'

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
  signer: AuditSigner
  signedAt?: string
  rootDigest?: string
  serialization?: SerializationParams
  resources: {name: string; algorithm: string; digest: string}[]
  /** Local files compared with the signed manifest. */
  content?: {matches: boolean; changed: string[]; missing: string[]; notCovered: string[]}
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
  model: {path: string; rootDigest: string | null; files: number; totalBytes: number}
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

/** What the bundle claims about its signer, unverified. */
async function readSigner(p: ParsedBundle): Promise<AuditSigner> {
  const m = p.material
  if (m.kind === 'publicKey') return {method: 'key', keyFingerprint: m.hint}
  const tlog = (p.json.verificationMaterial as {tlogEntries?: unknown[]} | undefined)?.tlogEntries ?? []
  if (m.kind === 'certificate' || tlog.length > 0) {
    try {
      const {describeKeylessBundle} = await import('../signing/keyless/index.js')
      const d = await describeKeylessBundle(p.json)
      return {method: 'sigstore', identity: d.subjectAlternativeNames[0], issuer: d.oidcIssuer, sourceRepository: d.extensions.sourceRepositoryURI, sourceRef: d.extensions.sourceRepositoryRef, tlog: d.tlog}
    } catch {
      return {method: 'sigstore'}
    }
  }
  let subject: string | undefined
  try {
    subject = new X509Certificate(m.certificates[0]).subject.replace(/\n/g, ', ')
  } catch {
    subject = undefined
  }
  return {method: 'certificate', certificateSubject: subject}
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

async function tryVerify(p: ParsedBundle, o: AuditOptions, payloadType?: string): Promise<{env?: VerifiedEnvelope; notes: string[]}> {
  const notes: string[] = []
  const candidates = specs(o, p.material.kind)
  for (const spec of candidates) {
    try {
      return {env: await verifyBundle(p, spec, {payloadType, allowLegacyPae: true}), notes}
    } catch (err) {
      if (!(err instanceof ModelsealError)) throw err
      notes.push(`${spec.method}: ${err.message}`)
    }
  }
  if (candidates.length === 0) notes.push('signed with a key: pass --public-key to verify it')
  return {notes}
}

export async function collectAudit(o: AuditOptions, now = new Date()): Promise<AuditReport> {
  const modelPath = path.resolve(o.modelPath)
  const sidecars = [...(o.signatures ?? []), ...(o.attestations ?? [])].map((p) => path.resolve(p))
  const local = listModelFiles(modelPath, sidecars)
  const digests = new Map<string, Promise<string | undefined>>()
  const digestFor = (ser?: SerializationParams) => {
    const s = ser ?? {method: 'files' as const, hashType: 'sha256' as const, allowSymlinks: false, ignorePaths: []}
    const key = JSON.stringify(s)
    if (!digests.has(key)) {
      digests.set(key, serializeModel(modelPath, {method: s.method, hashType: s.hashType, shardSize: s.shardSize, recordedIgnorePaths: s.ignorePaths, ignorePaths: sidecars, allowSymlinks: s.allowSymlinks}).then(
        (r) => r.manifest.rootDigest,
        (err) => {
          if (err instanceof ModelsealError) return undefined
          throw err
        },
      ))
    }
    return digests.get(key)!
  }
  const report: AuditReport = {
    reportVersion: '1',
    generatedAt: now.toISOString(),
    model: {path: modelPath, rootDigest: (await digestFor()) ?? null, files: local.files.length, totalBytes: local.totalBytes},
    signatures: [],
    attestations: [],
    facts: [],
  }
  for (const s of o.signatures ?? []) report.signatures.push(await auditSignature(s, o, modelPath, sidecars))
  for (const a of o.attestations ?? []) report.attestations.push(await auditAttestation(a, o, digestFor))
  report.facts = summarizeFacts(report)
  return report
}

async function auditSignature(file: string, o: AuditOptions, modelPath: string, sidecars: string[]): Promise<AuditSignature> {
  const p = parseBundle(readBundleFile(file))
  const {env, notes} = await tryVerify(p, o, 'application/vnd.in-toto+json')
  const signed = parseOmsStatement(env?.payload ?? p.envelope.payload)
  const out: AuditSignature = {
    source: file,
    status: env ? 'verified' : notes.some((n) => /signature check failed|mismatch/i.test(n)) ? 'failed' : 'read',
    note: env ? undefined : notes.join('; '),
    signer: env ? signerOf(env.signer) : await readSigner(p),
    signedAt: env ? trustedTimeOf(env.signer)?.toISOString() : undefined,
    rootDigest: signed.rootDigest,
    serialization: signed.serialization,
    resources: signed.resources,
  }
  try {
    const s = signed.serialization
    const {manifest} = await serializeModel(modelPath, {method: s.method, hashType: s.hashType, shardSize: s.shardSize, recordedIgnorePaths: s.ignorePaths, ignorePaths: sidecars.filter((x) => x !== path.resolve(file)), allowSymlinks: s.allowSymlinks, signaturePath: file})
    const problems = compareResources(signed.resources, manifest.resources, {method: s.method, singleFileLabel: path.basename(modelPath)})
    const pick = (re: RegExp) => problems.map((x) => re.exec(x)?.[1]).filter((x): x is string => x !== undefined)
    out.content = {
      matches: problems.length === 0,
      changed: pick(/^changed file: (.*?):/),
      missing: pick(/^missing file: (.*)$/),
      notCovered: pick(/^extra file: (.*) \(not covered/),
    }
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    out.note = `${out.note ? `${out.note}; ` : ''}local files could not be compared: ${err.message}`
  }
  return out
}

async function auditAttestation(file: string, o: AuditOptions, digestFor: (s?: SerializationParams) => Promise<string | undefined>): Promise<AuditAttestation> {
  const p = parseBundle(readBundleFile(file))
  const {env, notes} = await tryVerify(p, o)
  const st: Statement = parseStatement(env?.payload ?? p.envelope.payload, file)
  const base = {
    source: file,
    status: (env ? 'verified' : 'read') as FactStatus,
    note: env ? undefined : notes.join('; '),
    predicateType: st.predicateType,
    signer: env ? signerOf(env.signer) : await readSigner(p),
    subject: st.subject.map((s) => s.digest),
  }
  let aboutThisModel: boolean | null = null
  let says: Record<string, unknown> = {}
  if (st.predicateType === SCAN_PREDICATE_TYPE) {
    const s = parseScanStatement(st, file)
    aboutThisModel = (await digestFor(s.serialization)) === s.subjectDigest
    says = {scanner: s.scanner, scannedAt: s.scannedAt?.toISOString(), findings: s.report.summary.findings, maxSeverity: s.report.summary.maxSeverity, files: s.report.files.length, errors: s.report.summary.errors}
  } else if (st.predicateType === DECISION_PREDICATE_TYPE) {
    const d = parseDecisionStatement(st, file)
    aboutThisModel = (await digestFor()) === d.subjectDigest
    says = {verificationResult: d.verificationResult, policy: d.policy, timeVerified: d.timeVerified?.toISOString(), requirements: d.requirements.map((r) => `${r.id}: ${r.result}`)}
  } else if (st.predicateType === DATASET_PREDICATE_TYPE) {
    const h = parseDatasetStatement(env?.payload ?? p.envelope.payload)
    says = {dataset: h.dataset, root: h.root, files: h.stats.files, bytes: h.stats.bytes, created: h.created}
  } else if (st.predicateType === SLSA_PROVENANCE_V1) {
    aboutThisModel = subjectDigests(st, 'sha256').includes((await digestFor()) ?? '')
    const bd = st.predicate.buildDefinition as {resolvedDependencies?: {uri?: string; digest?: Record<string, string>}[]} | undefined
    says = {datasets: (bd?.resolvedDependencies ?? []).slice(0, 100).filter((d) => d?.digest?.[ROOT_DIGEST_KEY]).map((d) => ({uri: d.uri, root: d.digest?.[ROOT_DIGEST_KEY]}))}
  }
  return {...base, aboutThisModel, says}
}

function summarizeFacts(r: AuditReport): {fact: string; status: FactStatus}[] {
  const facts: {fact: string; status: FactStatus}[] = []
  if (r.model.rootDigest) facts.push({fact: `model digest sha256:${r.model.rootDigest} (files, sha256) computed from local files`, status: 'verified'})
  for (const s of r.signatures) {
    const who = describe(s.signer)
    facts.push({fact: `${s.source}: signed by ${who}${s.signedAt ? ` at ${s.signedAt}` : ''}`, status: s.status})
    if (s.content) {
      const c = s.content
      facts.push({
        fact: `${s.source}: local files ${c.matches ? 'match all' : 'do not match'} ${s.resources.length} signed resource(s)${c.changed.length ? `; changed: ${c.changed.join(', ')}` : ''}${c.missing.length ? `; missing: ${c.missing.join(', ')}` : ''}${c.notCovered.length ? `; not covered: ${c.notCovered.join(', ')}` : ''}`,
        // Matching an unverified manifest proves nothing about who made it.
        status: s.status === 'verified' && c.matches ? 'verified' : s.status === 'verified' ? 'failed' : 'read',
      })
    }
  }
  for (const a of r.attestations) {
    facts.push({fact: `${a.source}: ${a.predicateType}${a.signer ? ` signed by ${describe(a.signer)}` : ''}${a.aboutThisModel === false ? ' — about ANOTHER model' : a.aboutThisModel ? ' — about this model' : ''}`, status: a.status})
  }
  return facts
}

export function describe(s: AuditSigner): string {
  if (s.method === 'key') return `key sha256:${s.keyFingerprint ?? '?'}`
  if (s.method === 'certificate') return `certificate ${s.certificateSubject ?? '?'}`
  const repo = s.sourceRepository ? `, repository ${s.sourceRepository}${s.sourceRef ? ` @ ${s.sourceRef}` : ''}` : ''
  return `${s.identity ?? s.certificateSubject ?? '?'} (issuer ${s.issuer ?? '?'}${repo})`
}
