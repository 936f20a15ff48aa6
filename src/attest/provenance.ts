/**
 * SLSA Provenance v1 about a trained model: the subject is the model's OMS root digest (what
 * `modelseal digest` prints, files/sha256), and `buildDefinition.resolvedDependencies` names
 * each training dataset by its manifest root (`dsm1-root`), which is how a policy's `datasets`
 * requirement (source: provenance) learns which signed dataset manifests must be present.
 *
 * Shape: https://slsa.dev/spec/v1.0/provenance — buildDefinition {buildType,
 * externalParameters, internalParameters, resolvedDependencies}, runDetails {builder {id},
 * metadata {invocationId, startedOn, finishedOn}}.
 */
import path from 'node:path'

import {loadManifest} from '../dataset/header.js'
import {ROOT_DIGEST_KEY} from '../dataset/types.js'
import {InputError, UsageError} from '../errors.js'
import {modelNameOf, serializeModel} from '../oms/serialize.js'
import {signStatement} from './sign-statement.js'
import {buildStatement, type Statement} from './statement.js'
import type {SignerSpec} from '../signing/types.js'

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1'
/** The default buildType: "a model was trained from these datasets and this source". */
export const MODEL_TRAINING_BUILD_TYPE = 'https://modelseal.dev/buildtypes/model-training/v1'

export interface ProvenanceDataset {
  /** Where the manifest was read from (recorded as the dependency's name). */
  manifest: string
  name: string
  version?: string
  root: string
  files: number
  bytes: number
}

export interface ProvenanceOptions {
  modelPath: string
  datasetManifests: string[]
  signer: SignerSpec
  output: string
  builderId: string
  buildType?: string
  /** Source repository (e.g. git+https://github.com/acme/models) and its commit. */
  sourceUri?: string
  sourceDigest?: string
  /** Training entry point or configuration, recorded as externalParameters. */
  parameters?: Record<string, string>
  invocationId?: string
  startedOn?: Date
  finishedOn?: Date
  ignorePaths?: string[]
}

export interface ProvenanceResult {
  output: string
  statement: Statement
  rootDigest: string
  datasets: ProvenanceDataset[]
}

/** "sha1:abc…", "gitCommit:abc…" or bare hex (a git commit: 40 or 64 hex). */
export function parseSourceDigest(v: string): Record<string, string> {
  const m = /^(?:([A-Za-z0-9_-]{1,32}):)?([0-9a-fA-F]{7,128})$/.exec(v.trim())
  if (!m) throw new UsageError('E_USAGE', `--source-digest must be hex or ALGORITHM:HEX (e.g. gitCommit:1a2b…), got "${v}"`)
  return {[m[1] ?? 'gitCommit']: m[2].toLowerCase()}
}

export async function readDatasetManifests(paths: string[]): Promise<ProvenanceDataset[]> {
  const out: ProvenanceDataset[] = []
  for (const p of paths) {
    const {header} = await loadManifest(p)
    if (header.partition) {
      throw new UsageError(
        'E_DATASET_PARTIAL',
        `${p} is a partial manifest (--partition ${header.partition.index}/${header.partition.count}); merge the parts first (modelseal dataset merge)`,
      )
    }
    if (out.some((d) => d.root === header.root)) continue
    out.push({manifest: p, name: header.dataset.name, version: header.dataset.version, root: header.root, files: header.stats.files, bytes: header.stats.bytes})
  }
  return out
}

export function buildProvenanceStatement(o: {
  modelName: string
  rootDigest: string
  datasets: ProvenanceDataset[]
  builderId: string
  buildType: string
  sourceUri?: string
  sourceDigest?: Record<string, string>
  parameters?: Record<string, string>
  invocationId?: string
  startedOn?: Date
  finishedOn: Date
  toolVersion?: string
}): Statement {
  const resolvedDependencies: Record<string, unknown>[] = []
  if (o.sourceUri) resolvedDependencies.push({uri: o.sourceUri, ...(o.sourceDigest ? {digest: o.sourceDigest} : {})})
  for (const d of o.datasets) {
    resolvedDependencies.push({
      name: d.version ? `${d.name}@${d.version}` : d.name,
      digest: {[ROOT_DIGEST_KEY]: d.root},
      annotations: {files: d.files, bytes: d.bytes},
    })
  }
  const externalParameters: Record<string, unknown> = {...(o.parameters ?? {})}
  if (o.sourceUri) externalParameters.source = {uri: o.sourceUri, ...(o.sourceDigest ? {digest: o.sourceDigest} : {})}
  externalParameters.datasets = o.datasets.map((d) => ({name: d.name, ...(d.version ? {version: d.version} : {}), root: d.root}))
  const metadata: Record<string, unknown> = {finishedOn: o.finishedOn.toISOString()}
  if (o.startedOn) metadata.startedOn = o.startedOn.toISOString()
  if (o.invocationId) metadata.invocationId = o.invocationId
  return buildStatement([{name: o.modelName, digest: {sha256: o.rootDigest}}], SLSA_PROVENANCE_V1, {
    buildDefinition: {buildType: o.buildType, externalParameters, internalParameters: {}, resolvedDependencies},
    runDetails: {
      builder: {id: o.builderId, ...(o.toolVersion ? {version: {modelseal: o.toolVersion}} : {})},
      metadata,
    },
  })
}

/** Digests the model (files/sha256, the output excluded), reads the manifests, signs the statement. */
export async function attestProvenance(o: ProvenanceOptions & {toolVersion?: string}): Promise<ProvenanceResult> {
  if (o.datasetManifests.length === 0) throw new UsageError('E_USAGE', 'name at least one training dataset: --dataset-manifest M')
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(o.builderId)) throw new UsageError('E_USAGE', `--builder-id must be a URI, got "${o.builderId}"`)
  const datasets = await readDatasetManifests(o.datasetManifests)
  const {manifest} = await serializeModel(o.modelPath, {
    method: 'files',
    hashType: 'sha256',
    ignorePaths: [...(o.ignorePaths ?? []), o.output],
    ignoreGitPaths: true,
    allowSymlinks: false,
  })
  if (manifest.resources.length === 0) throw new InputError('E_EMPTY_MODEL', `model ${o.modelPath} has no files to attest`)
  const statement = buildProvenanceStatement({
    modelName: modelNameOf(o.modelPath),
    rootDigest: manifest.rootDigest,
    datasets,
    builderId: o.builderId,
    buildType: o.buildType ?? MODEL_TRAINING_BUILD_TYPE,
    sourceUri: o.sourceUri,
    sourceDigest: o.sourceDigest ? parseSourceDigest(o.sourceDigest) : undefined,
    parameters: o.parameters,
    invocationId: o.invocationId,
    startedOn: o.startedOn,
    finishedOn: o.finishedOn ?? new Date(),
    toolVersion: o.toolVersion,
  })
  await signStatement(statement, o.signer, o.output)
  return {output: path.resolve(o.output), statement, rootDigest: manifest.rootDigest, datasets}
}
