/**
 * `--dataset-manifest M` as evidence: a signature bundle, or a manifest (directory or
 * manifest.json) whose bundle sits next to it. A path that does not exist or cannot be read is
 * unreadable evidence (exit 3), like a missing signature; an unsigned manifest, or one whose
 * readable copy differs from what was signed, is a problem and never counts. The exact files that
 * were read are returned, so that a caller may exclude them from a model — never the directory.
 */
import {existsSync, statSync} from 'node:fs'
import path from 'node:path'

import {loadManifest} from '../dataset/header.js'
import {parseStatement as parseDatasetStatement, SIGNATURE_FILE} from '../dataset/statement.js'
import {DATASET_PREDICATE_TYPE} from '../dataset/types.js'
import {InputError} from '../errors.js'
import {datasetFromStatement, verifyAttestation} from './attestation.js'
import type {EnvelopeVerifier} from './bundle.js'
import type {DatasetManifestEvidence} from './types.js'

export type DatasetResult = {evidence: DatasetManifestEvidence; files: string[]} | {problem: string; source: string}

export async function readDatasetManifest(m: string, verify: EnvelopeVerifier): Promise<DatasetResult> {
  const st = statSync(m, {throwIfNoEntry: false})
  if (!st) throw new InputError('E_DATASET_MANIFEST_UNREADABLE', `dataset manifest ${m} does not exist`)
  let bundlePath = m
  let headerText: string | undefined
  const files: string[] = []
  if (st.isDirectory() || path.basename(m) === 'manifest.json') {
    const loaded = await loadManifest(m)
    headerText = JSON.stringify(loaded.header)
    files.push(loaded.headerPath)
    bundlePath = path.join(loaded.dir, SIGNATURE_FILE)
    if (!existsSync(bundlePath)) {
      return {
        source: m,
        problem: `dataset manifest ${loaded.header.dataset.name} is not signed (no ${SIGNATURE_FILE} beside it); sign it with \`modelseal dataset sign\``,
      }
    }
  }
  files.push(bundlePath)
  const v = await verifyAttestation(bundlePath, verify)
  if ('problem' in v) return {source: bundlePath, problem: v.problem}
  if (v.statement.predicateType !== DATASET_PREDICATE_TYPE)
    return {source: bundlePath, problem: `not a dataset manifest signature (predicate ${v.statement.predicateType})`}
  const d = datasetFromStatement(bundlePath, v.match)
  if ('problem' in d) return {source: bundlePath, problem: d.problem}
  // The readable copy must say what was signed, or someone edited it afterwards.
  if (headerText !== undefined && JSON.stringify(parseDatasetStatement(v.match.envelope.payload)) !== headerText) {
    return {source: m, problem: 'manifest.json differs from the signed header (edited after signing?)'}
  }
  return {evidence: d, files: files.map((f) => path.resolve(f))}
}
