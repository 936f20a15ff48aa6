/**
 * Phase one of `policy check`: verify every piece of evidence against the policy's identities
 * (src/evidence), then look at the model on disk, and turn what verified into the Evidence set.
 * Nothing here decides; anything that does not verify is left out with a reason in `problems`.
 * Unreadable evidence (missing file, not a bundle, garbage certificate) is InputError (exit 3).
 *
 * Order matters: envelopes are verified before the model is listed, because the only files a
 * policy may leave out of the model are the exact files of evidence that verified.
 */
import path from 'node:path'

import {InputError, ModelsealError} from '../errors.js'
import {classifyAttestation, verifyAttestation, type VerifiedStatement} from '../evidence/attestation.js'
import type {EnvelopeVerifier} from '../evidence/bundle.js'
import {readDatasetManifest} from '../evidence/dataset.js'
import {LocalModel} from '../evidence/model.js'
import {compareWithModel, verifyModelSignature, type VerifiedModelSignature} from '../evidence/signature.js'
import {buildTrustContext, verifyAgainstIdentities} from '../evidence/trust.js'
import type {Evidence} from '../evidence/types.js'
import type {ScanReport} from '../scan/types.js'
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
  const all = [...(opts.signatures ?? []), ...(opts.attestations ?? []), ...(opts.datasetManifests ?? [])]
  if (all.length > MAX_EVIDENCE_FILES) throw new InputError('E_TOO_MUCH_EVIDENCE', `more than ${MAX_EVIDENCE_FILES} evidence files`)
  const ctx = buildTrustContext({identities: policy.identities, trustedRoot: policy.trustedRoot, at, publicKeys: opts.publicKeys})
  const verify: EnvelopeVerifier = (bundle, o) => verifyAgainstIdentities(bundle, ctx, o)
  const problems: Evidence['problems'] = []

  // 1. Who signed what (no model I/O).
  const sigs: VerifiedModelSignature[] = []
  for (const s of opts.signatures ?? []) {
    const v = await verifyModelSignature(s, verify)
    if ('problem' in v) problems.push({source: s, problem: v.problem})
    else sigs.push(v)
  }
  const statements: VerifiedStatement[] = []
  for (const a of opts.attestations ?? []) {
    const v = await verifyAttestation(a, verify)
    if ('problem' in v) problems.push({source: a, problem: v.problem})
    else statements.push(v)
  }
  const datasetManifests: Evidence['datasetManifests'] = []
  const datasetFiles: string[] = []
  for (const m of opts.datasetManifests ?? []) {
    const d = await readDatasetManifest(m, verify)
    if ('problem' in d) problems.push({source: d.source, problem: d.problem})
    else {
      datasetManifests.push(d.evidence)
      datasetFiles.push(...d.files)
    }
  }

  // 2. The model: every file on disk, minus (only if the policy says so) verified evidence files.
  const verifiedFiles = [...sigs.map((s) => s.source), ...statements.map((s) => s.source), ...datasetFiles].map((f) => path.resolve(f))
  const model = new LocalModel(opts.modelPath, policy.excludeVerifiedEvidence ? verifiedFiles : [])
  const ev: Evidence = {
    model: {path: model.path, files: model.files, totalBytes: model.totalBytes, excludedEvidence: model.excluded, linkedDirectories: model.linkedDirectories},
    signatures: [],
    scanAttestations: [],
    provenance: [],
    datasetManifests,
    problems,
  }
  for (const s of sigs) ev.signatures.push(await compareWithModel(s, model))
  for (const st of statements) {
    const c = await classifyAttestation(st, model)
    if (c.kind === 'scan') ev.scanAttestations.push(c.evidence)
    else if (c.kind === 'provenance') ev.provenance.push(c.evidence)
    else if (c.kind === 'dataset') ev.datasetManifests.push(c.evidence)
    else if (c.kind === 'decision') problems.push({source: st.source, problem: 'a decision statement is not evidence for requirements; it was read only'})
    else problems.push({source: st.source, problem: c.problem})
  }

  const needs = new Set(policy.requirements.map((r) => r.type))
  if (needs.has('onnx')) ev.onnx = await model.onnxFacts()
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
        const report = await opts.runScan(model.path)
        // Paths relative to the model, so coverage can be checked file by file.
        const rel = <T extends {path: string}>(x: T): T => ({...x, path: model.relative(x.path) ?? x.path})
        ev.inlineScan = {...report, files: report.files.map(rel), ...(report.skipped ? {skipped: report.skipped.map(rel)} : {})}
      } catch (err) {
        if (!(err instanceof ModelsealError)) throw err
        ev.inlineScan = {error: `${err.code}: ${err.message}`}
      }
    }
  }
  // The model's identity (for waivers and the decision): computed from the files on disk.
  try {
    ev.model.rootDigest = await model.identity()
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    problems.push({source: 'model', problem: `cannot compute the model digest: ${err.message}`})
  }
  return ev
}
