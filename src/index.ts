/**
 * modelseal's library entry point (`import {signModel, verifyModel} from 'modelseal'`): the verbs
 * of model signing, their option and result types, and the typed errors. Scanning, dataset
 * manifests and policies have their own entry points — `modelseal/scan`, `modelseal/dataset`,
 * `modelseal/policy` — with their own types. docs/library.md shows every verb in use; anything
 * not exported by one of the four entry points is internal and may change without notice.
 */

// Errors: every failure is a ModelsealError with a stable `code` (ErrorCode) and an exit code.
export {describeError, ERROR_CODES, ExitCode, InputError, isErrorCode, ModelsealError, UsageError, VerificationError} from './errors.js'
export type {ErrorCode, ExitCodeValue, ModelsealErrorOptions} from './errors.js'

// The OMS manifest (model_signing's format): what is signed.
export type {HashAlgorithm, Manifest, ResourceDescriptor, SerializationMethod, SerializationParams} from './oms/types.js'
export {formatResourceName, parseResourceName} from './oms/resource-name.js'
export type {ResourceKey} from './oms/resource-name.js'

// Verbs.
export {serializeModel as digestModel} from './oms/serialize.js'
export type {SerializeOptions as DigestModelOptions, SerializeResult as DigestModelResult} from './oms/serialize.js'
export {DEFAULT_SIGNATURE_PATH, signModel} from './oms/sign.js'
export type {SignModelOptions, SignModelResult} from './oms/sign.js'
export {verifyModel} from './oms/verify.js'
export type {VerifyModelOptions, VerifyModelResult} from './oms/verify.js'
export {signPayload, verifyBundle} from './signing/index.js'
export {writeKeyPair} from './signing/keygen.js'
export type {KeyPairReport} from './signing/keygen.js'
export {attestScan} from './attest/sign-statement.js'
export type {ScanAttestationResult} from './attest/sign-statement.js'
export type {BundleJson, SignerIdentity, SignerSpec, VerifiedEnvelope, VerifierSpec, VerifyBundleOptions} from './signing/types.js'

// The verbs the README shows together, also here: each lives in its sub-path entry.
export {scanPaths} from './public/scan.js'
export {checkPolicy, evaluatePolicy, loadPolicy} from './public/policy.js'
