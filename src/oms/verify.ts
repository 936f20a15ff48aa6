/**
 * Verifying a model against its OMS signature: authenticate the bundle, read the signed
 * statement (names checked before any file is opened), re-hash the model with the
 * serialization the statement records (the OMS rule, not model_signing's CLI default), and
 * list every difference. Throws VerificationError (exit 1) with the full report in `details`.
 */
import path from 'node:path'

import {InputError, VerificationError} from '../errors.js'
import {verifyBundle} from '../signing/index.js'
import {parseBundle, readBundleFile} from '../signing/bundle.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import type {SignerIdentity, VerifierSpec} from '../signing/types.js'
import {compareResources} from './compare.js'
import {serializeModel} from './serialize.js'
import {parseShardName} from './resource-name.js'
import {parseStatement, type SignedManifest} from './statement.js'
import type {SerializationParams} from './types.js'

const MODEL_SHAPE_ERRORS = new Set(['E_SYMLINK', 'E_NOT_FILE_OR_DIR'])

export interface VerifyModelOptions {
  signaturePath: string
  verifier: VerifierSpec
  /** Extra paths to exclude, beyond those the signature records (as typed: cwd-relative or absolute). */
  ignorePaths?: string[]
  /** Also exclude the top-level git files (default true). */
  ignoreGitPaths?: boolean
  /** Follow symlinks even if the signer did not record allow_symlinks. */
  allowSymlinks?: boolean
  /** Files on disk that the signature does not list are not an error. */
  ignoreUnsignedFiles?: boolean
  /** Progress bar on stderr (only drawn when stderr is a TTY). */
  progress?: boolean
}

/** The `verify` report (also the --json shape). */
export interface VerifyModelResult {
  verified: boolean
  method: VerifierSpec['method']
  modelPath: string
  signaturePath: string
  /** Root digest of the signed statement (`sha256:` omitted), null if it was never read. */
  rootDigest: string | null
  signer: SignerIdentity | null
  predicateType: string | null
  serialization: SerializationParams | null
  /** Number of resources (files or shards) the signature lists. */
  resources: number
  problems: string[]
  warnings: string[]
}

export async function verifyModel(modelPath: string, opts: VerifyModelOptions): Promise<VerifyModelResult> {
  const signaturePath = path.resolve(opts.signaturePath)
  const parsed = parseBundle(readBundleFile(signaturePath))
  const report: VerifyModelResult = {
    verified: false,
    method: opts.verifier.method,
    modelPath: path.resolve(modelPath),
    signaturePath,
    rootDigest: null,
    signer: null,
    predicateType: null,
    serialization: null,
    resources: 0,
    problems: [],
    warnings: [],
  }
  const fail = (code: string, problems: string[]): never => {
    report.problems = problems
    throw new VerificationError(code, `verification failed: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, report)
  }
  let envelope
  try {
    envelope = await verifyBundle(parsed, opts.verifier, {allowLegacyPae: true})
  } catch (err) {
    if (err instanceof VerificationError) fail(err.code, [err.message])
    throw err
  }
  report.signer = envelope.signer
  report.warnings.push(...(envelope.warnings ?? []))
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    fail('E_PAYLOAD_TYPE', [`payload type is "${envelope.payloadType}", expected ${IN_TOTO_PAYLOAD_TYPE}`])
  }
  let signed: SignedManifest
  try {
    signed = parseStatement(envelope.payload)
  } catch (err) {
    if (err instanceof VerificationError) fail(err.code, [err.message])
    throw err
  }
  report.rootDigest = signed.rootDigest
  report.predicateType = signed.predicateType
  report.serialization = signed.serialization
  report.resources = signed.resources.length
  if (signed.resources.length === 0) fail('E_EMPTY_SIGNATURE', ['the signature covers no files'])

  const s = signed.serialization
  const onlyResources = opts.ignoreUnsignedFiles ? signedFiles(signed) : undefined
  let serialized
  try {
    serialized = await serializeModel(modelPath, {
      method: s.method,
      hashType: s.hashType,
      shardSize: s.shardSize,
      ignorePaths: opts.ignorePaths ?? [],
      recordedIgnorePaths: s.ignorePaths,
      ignoreGitPaths: opts.ignoreGitPaths ?? true,
      allowSymlinks: s.allowSymlinks || opts.allowSymlinks === true,
      signaturePath,
      onlyResources,
      // The spec allows blake3 shards; only signing refuses them (Python cannot verify them).
      allowBlake3Shards: true,
      progress: opts.progress,
    })
  } catch (err) {
    // A symlink or special file where the signature allows none means the model is not what was
    // signed (e.g. a file swapped for a link): a verification failure, not unreadable input.
    if (err instanceof InputError && MODEL_SHAPE_ERRORS.has(err.code)) fail('E_MODEL_MISMATCH', [err.message])
    throw err
  }
  const {manifest, warnings} = serialized
  report.warnings.push(...warnings)
  const problems = compareResources(signed.resources, manifest.resources, {
    method: s.method,
    ignoreUnsignedFiles: opts.ignoreUnsignedFiles,
    singleFileLabel: path.basename(modelPath),
  })
  if (problems.length > 0) fail('E_MODEL_MISMATCH', problems)
  report.verified = true
  return report
}

/** The distinct file paths a statement lists (shard names reduced to their file). */
function signedFiles(m: SignedManifest): string[] {
  const out = new Set<string>()
  for (const r of m.resources) out.add(m.serialization.method === 'shards' ? parseShardName(r.name).path : r.name)
  return [...out]
}
