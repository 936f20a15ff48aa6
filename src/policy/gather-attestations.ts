/**
 * Attestations and dataset manifests as evidence: verify the envelope against the policy
 * identities, parse the statement, check that its subject is this model (recomputing the
 * model's digest with the serialization the attestation records), and file it by type.
 */
import {existsSync, statSync} from 'node:fs'
import path from 'node:path'

import {parseDecisionStatement, DECISION_PREDICATE_TYPE} from './decision-statement.js'
import {parseScanStatement, SCAN_PREDICATE_TYPE} from '../attest/scan-predicate.js'
import {parseStatement, parseTime, subjectDigests, type Statement} from '../attest/statement.js'
import {loadManifest} from '../dataset/header.js'
import {parseStatement as parseDatasetStatement, SIGNATURE_FILE} from '../dataset/statement.js'
import {DATASET_PREDICATE_TYPE, ROOT_DIGEST_KEY} from '../dataset/types.js'
import {InputError, ModelsealError} from '../errors.js'
import {PREDICATE_TYPE as OMS_PREDICATE_TYPE, PREDICATE_TYPE_COMPAT} from '../oms/statement.js'
import {parseBundle, readBundleFile} from '../signing/index.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import type {DatasetRef, Evidence} from './evidence.js'
import type {ModelDigester} from './model-files.js'
import {isMatch, verifyAgainstPolicy, type IdentityMatch, type TrustContext} from './trust.js'

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1'
export const MAX_DEPENDENCIES = 10_000

async function verified(file: string, ctx: TrustContext, ev: Evidence): Promise<{m: IdentityMatch; st: Statement} | undefined> {
  const parsed = parseBundle(readBundleFile(file))
  const m = await verifyAgainstPolicy(parsed, ctx, IN_TOTO_PAYLOAD_TYPE)
  if (!isMatch(m)) {
    ev.problems.push({source: file, problem: `does not verify against any policy identity: ${m.reasons.join('; ')}`})
    return undefined
  }
  return {m, st: parseStatement(m.envelope.payload, file)}
}

const base = (file: string, m: IdentityMatch) => ({source: file, signer: m.signer, signerKey: m.signerKey, identities: m.identities, trustedTime: m.trustedTime})

export async function classifyAttestation(file: string, ctx: TrustContext, digester: ModelDigester, ev: Evidence): Promise<void> {
  const v = await verified(file, ctx, ev)
  if (!v) return
  const {m, st} = v
  switch (st.predicateType) {
    case SCAN_PREDICATE_TYPE: {
      const scan = parseScanStatement(st, file)
      const local = await localDigest(digester, scan.serialization, file, ev)
      ev.scanAttestations.push({...base(file, m), claimedTime: scan.scannedAt, subjectDigest: scan.subjectDigest, subjectMatches: local === scan.subjectDigest, report: scan.report})
      return
    }
    case SLSA_PROVENANCE_V1: {
      const local = await localDigest(digester, undefined, file, ev)
      const subjectMatches = local !== undefined && subjectDigests(st, 'sha256').includes(local)
      ev.provenance.push({...base(file, m), subjectMatches, datasets: provenanceDatasets(st, file)})
      return
    }
    case DATASET_PREDICATE_TYPE:
      pushDataset(file, m, ev)
      return
    case DECISION_PREDICATE_TYPE: {
      const d = parseDecisionStatement(st, file)
      ev.problems.push({source: file, problem: `a decision statement (${d.verificationResult} under policy ${d.policy?.name ?? '?'}) is not evidence for requirements; it was read only`})
      return
    }
    case OMS_PREDICATE_TYPE:
    case PREDICATE_TYPE_COMPAT:
      ev.problems.push({source: file, problem: 'this is a model signature; pass it with --signature'})
      return
    default:
      ev.problems.push({source: file, problem: `unsupported predicate type ${st.predicateType}; not used`})
  }
}

async function localDigest(digester: ModelDigester, ser: Parameters<ModelDigester['digest']>[0], file: string, ev: Evidence): Promise<string | undefined> {
  try {
    return (await digester.digest(ser)).rootDigest
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    ev.problems.push({source: file, problem: `cannot compute the model digest this attestation is about: ${err.message}`})
    return undefined
  }
}

/** Training datasets named in SLSA provenance: resolvedDependencies with a dsm1-root digest. */
function provenanceDatasets(st: Statement, file: string): DatasetRef[] {
  const bd = st.predicate.buildDefinition as {resolvedDependencies?: unknown} | undefined
  const deps = Array.isArray(bd?.resolvedDependencies) ? bd.resolvedDependencies.slice(0, MAX_DEPENDENCIES) : []
  const out: DatasetRef[] = []
  for (const d of deps) {
    const digest = (d as {digest?: Record<string, unknown>})?.digest
    const root = digest?.[ROOT_DIGEST_KEY]
    if (typeof root !== 'string') continue
    if (!/^[0-9a-fA-F]{64}$/.test(root)) throw new InputError('E_ATTESTATION_MALFORMED', `${file}: resolvedDependencies ${ROOT_DIGEST_KEY} is not 64 hex`)
    const uri = (d as {uri?: unknown; name?: unknown}).uri ?? (d as {name?: unknown}).name
    out.push({name: typeof uri === 'string' ? uri.slice(0, 512) : undefined, root: root.toLowerCase()})
  }
  return out
}

function pushDataset(file: string, m: IdentityMatch, ev: Evidence): void {
  let header
  try {
    header = parseDatasetStatement(m.envelope.payload)
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    ev.problems.push({source: file, problem: `not a dataset manifest statement: ${err.message}`})
    return
  }
  ev.datasetManifests.push({...base(file, m), claimedTime: parseTime(header.created), root: header.root, name: header.dataset.name, version: header.dataset.version})
}

/**
 * `--dataset-manifest M`: a signature bundle, or a manifest (directory or manifest.json) whose
 * bundle sits next to it. An unsigned manifest is reported and never counts.
 */
export async function datasetEvidence(m: string, ctx: TrustContext, ev: Evidence): Promise<void> {
  const st = statSync(m, {throwIfNoEntry: false})
  if (!st) {
    ev.problems.push({source: m, problem: 'does not exist'})
    return
  }
  let bundlePath = m
  let headerText: string | undefined
  if (st.isDirectory() || path.basename(m) === 'manifest.json') {
    const loaded = await loadManifest(m)
    headerText = JSON.stringify(loaded.header)
    bundlePath = path.join(loaded.dir, SIGNATURE_FILE)
    if (!existsSync(bundlePath)) {
      ev.problems.push({source: m, problem: `dataset manifest ${loaded.header.dataset.name} is not signed (no ${SIGNATURE_FILE} beside it); sign it with \`modelseal dataset sign\``})
      return
    }
  }
  const v = await verified(bundlePath, ctx, ev)
  if (!v) return
  if (v.st.predicateType !== DATASET_PREDICATE_TYPE) {
    ev.problems.push({source: bundlePath, problem: `not a dataset manifest signature (predicate ${v.st.predicateType})`})
    return
  }
  const before = ev.datasetManifests.length
  pushDataset(bundlePath, v.m, ev)
  const added = ev.datasetManifests[before]
  // The readable copy must say what was signed, or someone edited it afterwards.
  if (added && headerText !== undefined && JSON.stringify(parseDatasetStatement(v.m.envelope.payload)) !== headerText) {
    ev.datasetManifests.pop()
    ev.problems.push({source: m, problem: 'manifest.json differs from the signed header (edited after signing?)'})
  }
}
