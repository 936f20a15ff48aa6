/** Dataset manifests (dataset-manifest/v1): create, merge, sign, verify. */
export * from './types.js'
export {createManifest, parsePartition, type CreateManifestOptions, type CreatedManifest} from './manifest.js'
export {mergeManifests, type MergeOptions} from './merge.js'
export {loadManifest, validateHeader, serializeHeader, type LoadedManifest} from './header.js'
export {manifestEntries, checkShards} from './reader.js'
export {leafHash, nodeHash, rootOfRoots, MerkleBuilder, EMPTY_ROOT} from './merkle.js'
export {comparePaths, pathProblem} from './paths.js'
export {openSource, detectFormat, partitionRange, type SourceOptions, type OpenedSource} from './source.js'
export {samplePredicate, globPredicate} from './select.js'
export {diffEntries, type DiffResult} from './diff.js'
export {
  buildStatement,
  parseStatement,
  signManifest,
  verifyManifestSignature,
  datasetUri,
  SIGNATURE_FILE,
  type DatasetStatement,
  type VerifiedManifest,
} from './statement.js'
export {verifyDataset, type VerifyDatasetOptions, type DatasetVerifyReport, type VerifyResult} from './verify.js'
