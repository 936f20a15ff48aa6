/**
 * modelseal's library entry point (`import {digestModel, ...} from 'modelseal'`). Each area adds
 * its public API here.
 */
export {ExitCode, InputError, ModelsealError, UsageError, VerificationError, describeError} from './errors.js'
export type {HashAlgorithm, Manifest, ResourceDescriptor, SerializationMethod, SerializationParams} from './oms/types.js'

// Hashing engine and model serialization (docs/hashing.md).
export * from './hashing/index.js'
export {isEmptyManifest, modelNameOf, serializeModel, serializeModel as digestModel} from './oms/serialize.js'
export type {SerializeOptions, SerializeResult, SerializeOptions as DigestModelOptions} from './oms/serialize.js'
export {DEFAULT_GIT_IGNORES, normalizeIgnorePaths, resolveIgnores} from './oms/ignore.js'
export {
  assertSafeResourceName,
  comparePaths,
  compareResourceKeys,
  computeRootDigest,
  DEFAULT_SHARD_SIZE,
  formatResourceName,
  isSafeResourceName,
  MAX_RESOURCES,
  parseResourceName,
  parseShardName,
  pathSortKey,
  shardAlgorithm,
  shardName,
  shardRanges,
  sortResources,
} from './oms/resource-name.js'
export type {ResourceKey} from './oms/resource-name.js'

// ONNX reader and model scanning (docs/scan.md).
export {
  inspectOnnx,
  summarizeOnnx,
  openOnnx,
  parseOnnxBuffer,
  iterateOnnxTensors,
  resolveExternal,
  detectOnnx,
} from './formats/onnx/index.js'
export type {OnnxInspection, OnnxModel, OnnxGraph, OnnxNode, OnnxTensor, OnnxTensorView, ByteSource} from './formats/onnx/index.js'
export {scanPaths, MODEL_EXTENSIONS} from './scan/engine.js'
export type {ScanPathsOptions, ScanResult} from './scan/engine.js'
export {analyzeOnnxGraph} from './scan/graph/index.js'
export {BUILTIN_SCANNERS, BUILTIN_TENSOR_CHECKS} from './scan/builtin-scanners.js'
export type {FormatScanner, ScanContext, ScanOptions, TensorCheck} from './scan/format-scanner.js'
export {allRules, getRule} from './scan/rule-catalogue.js'
export {renderJson, renderSarif, renderText} from './scan/report/index.js'
export * from './scan/types.js'

// OMS signing and verification, the signing module (docs/signing.md).
export {signModel, DEFAULT_SIGNATURE_PATH} from './oms/sign.js'
export type {HashingOptions, SignModelOptions, SignModelResult} from './oms/sign.js'
export {verifyModel} from './oms/verify.js'
export type {VerifyModelOptions, VerifyModelResult} from './oms/verify.js'
export {buildStatement, parseStatement, statementPayload, PREDICATE_TYPE, STATEMENT_TYPE} from './oms/statement.js'
export type {SignedManifest} from './oms/statement.js'
export {
  signPayload,
  verifyBundle,
  prepareSigner,
  generateKeyPair,
  keyHint,
  loadPrivateKey,
  loadPublicKey,
  parseBundle,
  readBundleFile,
  serializeBundle,
  BUNDLE_MEDIA_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
} from './signing/index.js'
export type {Curve, GeneratedKeyPair, PreparedSigner} from './signing/index.js'
export {writeKeyPair} from './signing/keygen.js'
export type {KeyPairReport} from './signing/keygen.js'
export type {BundleJson, SignerSpec, VerifierSpec, VerifiedEnvelope, SignerIdentity, VerifyBundleOptions} from './signing/types.js'

// Keyless (Sigstore) signing and verification (docs/keyless.md); @sigstore/* is loaded lazily.
export {
  signKeyless,
  verifyKeyless,
  describeKeylessBundle,
  loadTrustedRoot,
  shippedTrustedRootJson,
  resolveIdentityToken,
  resolveSigningEndpoints,
  FULCIO_EXTENSIONS,
  EXTENSION_NAMES,
} from './signing/keyless/index.js'
export type {KeylessBundleSummary, LoadedTrust, SigningEndpoints, TrustOptions} from './signing/keyless/index.js'
export type {KeylessSignOptions, KeylessVerifyOptions} from './signing/types.js'

// Weight-level scanning core: tensor readers for safetensors, PyTorch/pickle, NumPy, GGUF, and
// the weight checks (docs/weights.md). Listed for `scanPaths` in src/scan/builtin-scanners.ts.
export {scanTensor, floatTensorStats} from './scan/weights/scan-tensor.js'
export {scanTensors, defaultWorkers} from './scan/weights/pool.js'
export type {WeightScanOptions} from './scan/weights/pool.js'
export {weightTensorCheck} from './scan/builtin-scanners.js'
export {WEIGHT_RULES} from './scan/weights/catalogue.js'
export {matchSignature, findSignatures} from './scan/weights/signatures.js'
export {FileSource, elementCount, isFloatDType} from './formats/tensor.js'
export type {TensorView, TensorDType, FormatIssue} from './formats/tensor.js'
export {readSafetensors} from './formats/safetensors/reader.js'
export type {SafetensorsInfo} from './formats/safetensors/reader.js'
export {readTorchZip, readPickleFile} from './formats/pytorch/reader.js'
export type {TorchInfo} from './formats/pytorch/reader.js'
export {analyzePickle} from './formats/pickle/analyze.js'
export {walkPickle} from './formats/pickle/walker.js'
export {classifyGlobal} from './formats/pickle/globals.js'
export {readNpy, readNpz} from './formats/numpy/reader.js'
export {readGguf} from './formats/gguf/reader.js'
export {checkChatTemplate} from './formats/gguf/template.js'
export {readZip} from './formats/zip/reader.js'

// Provenance policies, signed attestations and audit reports (docs/policy.md).
export {loadPolicy, inspectPolicy} from './policy/load.js'
export {lintPolicy} from './policy/lint.js'
export type {LintReport} from './policy/lint.js'
export {validatePolicy} from './policy/schema.js'
export {parseYamlSource, MAX_POLICY_BYTES} from './policy/yaml-source.js'
export {gatherEvidence} from './policy/gather.js'
export type {GatherOptions} from './policy/gather.js'
export {evaluatePolicy, effectiveMode} from './policy/evaluate.js'
export {evaluateSignedBy} from './policy/signed-by.js'
export {decisionText, decisionSarif} from './policy/report.js'
export {POLICY_API_VERSION, POLICY_KIND} from './policy/types.js'
export type {
  Policy,
  PolicyDecision,
  Requirement,
  RequirementReport,
  RequirementResult,
  Mode,
  Waiver,
  IdentitySpec,
  NamedIdentity,
  SignedBy,
} from './policy/types.js'
export type {Evidence, VerifiedSigner, ModelSignatureEvidence, ScanAttestationEvidence, DatasetManifestEvidence, ProvenanceEvidence} from './policy/evidence.js'
export {SCAN_PREDICATE_TYPE, buildScanStatement, parseScanStatement} from './attest/scan-predicate.js'
export {DECISION_PREDICATE_TYPE, buildDecisionStatement, parseDecisionStatement, writeDecisionStatement} from './policy/decision-statement.js'
export {buildStatement as buildInTotoStatement, parseStatement as parseInTotoStatement} from './attest/statement.js'
export {attestScan, signStatement} from './attest/sign-statement.js'
export {runModelScan} from './attest/run-scan.js'
export {collectAudit} from './audit/collect.js'
export type {AuditReport, AuditSignature, AuditAttestation} from './audit/collect.js'
export {auditText, auditMarkdown} from './audit/render.js'

// Dataset manifests (docs/dataset-manifest.md).
export {
  createManifest,
  mergeManifests,
  signManifest,
  verifyDataset,
  verifyManifestSignature,
  loadManifest,
  validateHeader,
  serializeHeader,
  manifestEntries,
  checkShards,
  buildStatement as buildDatasetStatement,
  parseStatement as parseDatasetStatement,
  datasetUri,
  parsePartition,
  partitionRange,
  openSource,
  detectFormat,
  samplePredicate,
  globPredicate,
  diffEntries,
  leafHash as datasetLeafHash,
  nodeHash as datasetNodeHash,
  rootOfRoots as datasetRootOfRoots,
  MerkleBuilder as DatasetMerkleBuilder,
  EMPTY_ROOT as DATASET_EMPTY_ROOT,
  comparePaths as compareDatasetPaths,
  pathProblem as datasetPathProblem,
  SIGNATURE_FILE as DATASET_SIGNATURE_FILE,
  MANIFEST_VERSION as DATASET_MANIFEST_VERSION,
  DATASET_PREDICATE_TYPE,
  ROOT_DIGEST_KEY as DATASET_ROOT_DIGEST_KEY,
  DATASET_HASH_ALGORITHMS,
} from './dataset/index.js'
export type {
  DatasetEntry,
  DatasetHeader,
  DatasetHashAlgorithm,
  ShardInfo,
  PartitionInfo,
  SourceFormat as DatasetSourceFormat,
  CreateManifestOptions,
  CreatedManifest,
  MergeOptions as DatasetMergeOptions,
  LoadedManifest as LoadedDatasetManifest,
  SourceOptions as DatasetSourceOptions,
  OpenedSource as OpenedDatasetSource,
  DiffResult as DatasetDiffResult,
  DatasetStatement,
  VerifiedManifest as VerifiedDatasetManifest,
  VerifyDatasetOptions,
  DatasetVerifyReport,
  VerifyResult as DatasetVerifyResult,
} from './dataset/index.js'
