/**
 * `modelseal/dataset`: Merkle manifests of training data — create, merge, sign, verify, diff
 * (docs/dataset-manifest.md).
 */
export {
  createManifest,
  diffEntries,
  loadManifest,
  manifestEntries,
  mergeManifests,
  signManifest,
  verifyDataset,
  verifyManifestSignature,
  DATASET_PREDICATE_TYPE,
  SIGNATURE_FILE,
} from '../dataset/index.js'
export type {
  CreatedManifest,
  CreateManifestOptions,
  DatasetEntry,
  DatasetHeader,
  DatasetStatement,
  DatasetVerifyReport,
  DiffResult,
  LoadedManifest,
  MergeOptions,
  VerifiedManifest,
  VerifyDatasetOptions,
  VerifyResult,
} from '../dataset/index.js'
