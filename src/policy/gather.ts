/**
 * Phase one of `policy check`: verify every piece of evidence and turn what verified into the
 * Evidence set. Nothing here decides; anything that does not verify is left out with a reason
 * in `problems`. Malformed files (not a bundle, not a statement) are InputError (exit 3).
 */
import path from 'node:path'

import {InputError, ModelsealError, VerificationError} from '../errors.js'
import {DEFAULT_GIT_IGNORES, serializeModel} from '../oms/serialize.js'
import {parseStatement as parseOmsStatement} from '../oms/statement.js'
import type {SerializationParams} from '../oms/types.js'
import {verifyModel} from '../oms/verify.js'
import type {ScanReport} from '../scan/types.js'
import {parseBundle, readBundleFile} from '../signing/index.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import {classifyAttestation, datasetEvidence} from './gather-attestations.js'
import {listModelFiles, onnxFacts, type ModelDigester} from './model-files.js'
import type {Evidence, ModelSignatureEvidence} from './evidence.js'
import {buildTrustContext, isMatch, verifyAgainstPolicy, type TrustContext} from './trust.js'
import {freshSigners} from './signed-by.js'
import type {Policy, ScanRequirement} from './types.js'

export interface GatherOptions {
  modelPath: string
  signatures?: string[]
  attestations?: string[]
  datasetManifests?: string[]
  /** Public keys for identities pinned by fingerprint only. */
  publicKeys?: string[]
  at?: Date
  /** Runs a scan of the model (src/scan); only called when a requirement asks for an inline scan. */
  runScan?: (modelPath: string) => Promise<ScanReport>
}

export const MAX_EVIDENCE_FILES = 256

export async function gatherEvidence(policy: Policy, opts: GatherOptions): Promise<Evidence> {
  const at = opts.at ?? new Date()
  const modelPath = path.resolve(opts.modelPath)
  const all = [...(opts.signatures ?? []), ...(opts.attestations ?? []), ...(opts.datasetManifests ?? [])]
  if (all.length > MAX_EVIDENCE_FILES) throw new InputError('E_TOO_MUCH_EVIDENCE', `more than ${MAX_EVIDENCE_FILES} evidence files`)
  const ctx = buildTrustContext(policy, at, opts.publicKeys)
  // Evidence files kept next to the model must not count as unsigned model files.
  const sidecars = all.map((p) => path.resolve(p)).filter((p) => isInside(modelPath, p))
  const files = listModelFiles(modelPath, sidecars)
  const digester = new ModelDigesterImpl(modelPath, sidecars)
  const ev: Evidence = {
    model: {path: modelPath, files: files.files, totalBytes: files.totalBytes},
    signatures: [],
    scanAttestations: [],
    provenance: [],
    datasetManifests: [],
    problems: [],
  }
  for (const s of opts.signatures ?? []) {
    const got = await modelSignature(modelPath, s, ctx, sidecars)
    if ('problem' in got) ev.problems.push({source: s, problem: got.problem})
    else ev.signatures.push(got)
  }
  // A signature that matches the files exactly already proves the root digest for its serialization.
  for (const s of ev.signatures) if (s.contentProblems.length === 0 && s.unsignedFiles.length === 0) digester.seed(s.serialization, s.rootDigest)
  for (const a of opts.attestations ?? []) await classifyAttestation(a, ctx, digester, ev)
  for (const m of opts.datasetManifests ?? []) await datasetEvidence(m, ctx, ev)

  const needs = new Set(policy.requirements.map((r) => r.type))
  if (needs.has('onnx')) ev.onnx = onnxFacts(modelPath, files.files)
  // `either` scans inline only when no fresh attestation from an approved scanner is about this model.
  const usable = (r: ScanRequirement) => {
    const ids = r.signedBy ? ('anyOf' in r.signedBy ? r.signedBy.anyOf : r.signedBy.allOf) : []
    const mine = ev.scanAttestations.filter((a) => a.subjectMatches && a.identities.some((i) => ids.includes(i)))
    return freshSigners(mine, at, r.maxAgeMs, {allowClaimedTime: true}).fresh.length > 0
  }
  const inline = policy.requirements.some((r) => r.type === 'scan' && (r.source === 'inline' || (r.source === 'either' && !usable(r))))
  if (inline) {
    if (!opts.runScan) ev.inlineScan = {error: 'no scanner available in this build'}
    else {
      try {
        ev.inlineScan = await opts.runScan(modelPath)
      } catch (err) {
        if (!(err instanceof ModelsealError)) throw err
        ev.inlineScan = {error: `${err.code}: ${err.message}`}
      }
    }
  }
  // The model digest (files, sha256: what `modelseal digest` prints); free when a signature with
  // that serialization matched the files exactly (seeded above).
  try {
    ev.model.rootDigest = (await digester.digest(undefined)).rootDigest
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    ev.problems.push({source: 'model', problem: `cannot compute the model digest: ${err.message}`})
  }
  return ev
}

async function modelSignature(modelPath: string, sigPath: string, ctx: TrustContext, sidecars: string[]): Promise<ModelSignatureEvidence | {problem: string}> {
  const parsed = parseBundle(readBundleFile(sigPath))
  const m = await verifyAgainstPolicy(parsed, ctx, IN_TOTO_PAYLOAD_TYPE)
  if (!isMatch(m)) return {problem: `does not verify against any policy identity: ${m.reasons.join('; ')}`}
  let signed
  try {
    signed = parseOmsStatement(m.envelope.payload)
  } catch (err) {
    if (err instanceof VerificationError) return {problem: `not a model signature: ${err.message}`}
    throw err
  }
  const contentProblems: string[] = []
  const unsignedFiles: string[] = []
  try {
    await verifyModel(modelPath, {
      signaturePath: sigPath,
      verifier: m.spec,
      ignorePaths: sidecars.filter((p) => path.resolve(p) !== path.resolve(sigPath)),
      ignoreGitPaths: true,
    })
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    const problems = (err.details as {problems?: string[]} | undefined)?.problems ?? [err.message]
    for (const p of problems) {
      const extra = /^extra file: (.*) \(not covered by the signature\)$/.exec(p)
      if (extra) unsignedFiles.push(extra[1])
      else contentProblems.push(p)
    }
  }
  return {
    source: sigPath,
    signer: m.signer,
    signerKey: m.signerKey,
    identities: m.identities,
    trustedTime: m.trustedTime,
    rootDigest: signed.rootDigest,
    serialization: signed.serialization,
    resources: signed.resources,
    contentProblems,
    unsignedFiles,
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

/** Computes (and caches) the local model's OMS root digest for a serialization. */
class ModelDigesterImpl implements ModelDigester {
  private cache = new Map<string, Promise<{rootDigest: string; serialization: SerializationParams}>>()
  constructor(private readonly modelPath: string, private readonly sidecars: string[]) {}

  private key(p: SerializationParams): string {
    // Git paths are always ignored here (ignoreGitPaths), recorded or not.
    return JSON.stringify([p.method, p.hashType, p.shardSize ?? null, p.allowSymlinks, [...new Set([...p.ignorePaths, ...DEFAULT_GIT_IGNORES])].sort()])
  }

  seed(p: SerializationParams, rootDigest: string): void {
    const key = this.key(p)
    if (!this.cache.has(key)) this.cache.set(key, Promise.resolve({rootDigest, serialization: p}))
  }

  digest(params: SerializationParams | undefined): Promise<{rootDigest: string; serialization: SerializationParams}> {
    const p: SerializationParams = params ?? {method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [...DEFAULT_GIT_IGNORES]}
    const key = this.key(p)
    let r = this.cache.get(key)
    if (!r) {
      r = serializeModel(this.modelPath, {
        method: p.method,
        hashType: p.hashType,
        shardSize: p.shardSize,
        recordedIgnorePaths: p.ignorePaths,
        ignorePaths: this.sidecars,
        ignoreGitPaths: true,
        allowSymlinks: p.allowSymlinks,
      }).then((res) => ({rootDigest: res.manifest.rootDigest, serialization: res.manifest.serialization}))
      this.cache.set(key, r)
    }
    return r
  }
}
