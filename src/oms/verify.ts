/**
 * Verifying a model against its OMS signature: authenticate the bundle, read the signed
 * statement (names checked before any file is opened), re-hash the model with the
 * serialization the statement records (the OMS rule, not model_signing's CLI default), and
 * list every difference. Throws VerificationError (exit 1) with the full report in `details`.
 */
import path from 'node:path'

import {type ErrorCode, InputError, VerificationError} from '../errors.js'
import {verifyBundle} from '../signing/index.js'
import {parseBundle, readBundleFile} from '../signing/bundle.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import type {SignerIdentity, VerifierSpec} from '../signing/types.js'
import {compareListing, compareResources} from './compare.js'
import {serializeModel} from './serialize.js'
import {parseShardName} from './resource-name.js'
import {parseStatement, type SignedManifest} from './statement.js'
import type {SerializationParams} from './types.js'
import {requireObject, requireOneOf, requirePath} from '../util/args.js'

const MODEL_SHAPE_ERRORS = new Set(['E_SYMLINK', 'E_NOT_FILE_OR_DIR'])

export interface VerifyModelOptions {
  signaturePath: string
  verifier: VerifierSpec
  /** Extra paths to exclude, beyond those the signature records (as typed: cwd-relative or absolute). */
  ignorePaths?: string[]
  /**
   * Also exclude the top-level git files (default false: only the paths the signature records
   * in ignore_paths are skipped, so a model signed with --no-ignore-git-paths has its git files
   * checked).
   */
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
  requirePath('verifyModel', 'modelPath', modelPath)
  requirePath('verifyModel', 'options.signaturePath', requireObject<VerifyModelOptions>('verifyModel', 'options', opts).signaturePath)
  requireOneOf(
    'verifyModel',
    'options.verifier.method',
    requireObject<VerifyModelOptions['verifier']>('verifyModel', 'options.verifier', opts.verifier).method,
    ['key', 'certificate', 'sigstore'] as const,
  )
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
  const fail = (code: ErrorCode, problems: string[]): never => {
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
  let early: string[] = []
  const flagged = new Set<string>()
  try {
    serialized = await serializeModel(modelPath, {
      method: s.method,
      hashType: s.hashType,
      shardSize: s.shardSize,
      ignorePaths: opts.ignorePaths ?? [],
      recordedIgnorePaths: s.ignorePaths,
      ignoreGitPaths: opts.ignoreGitPaths ?? false,
      allowSymlinks: s.allowSymlinks || opts.allowSymlinks === true,
      signaturePath,
      onlyResources,
      // The spec allows blake3 shards; only signing refuses them (Python cannot verify them).
      allowBlake3Shards: true,
      progress: opts.progress,
      // Names and sizes first: a missing, extra or resized file is a problem before a byte is
      // hashed, and is never read (an extra 15 TiB sparse file would otherwise take hours); the
      // other files are still hashed, so every problem is reported at once.
      beforeHashing: (files) => {
        early = compareListing(
          signed.resources,
          files,
          {method: s.method, ignoreUnsignedFiles: opts.ignoreUnsignedFiles, singleFileLabel: path.basename(modelPath)},
          flagged,
        )
        return flagged
      },
    })
  } catch (err) {
    // A symlink or special file where the signature allows none means the model is not what was
    // signed (e.g. a file swapped for a link): a verification failure, not unreadable input.
    if (err instanceof InputError && MODEL_SHAPE_ERRORS.has(err.code)) fail('E_MODEL_MISMATCH', [err.message])
    throw err
  }
  const {manifest, warnings} = serialized
  report.warnings.push(...warnings)
  const fileOf = (r: {name: string}) => (s.method === 'files' ? r.name : (parseShardName(r.name)?.path ?? r.name))
  const hashed = flagged.size > 0 ? signed.resources.filter((r) => !flagged.has(fileOf(r))) : signed.resources
  const compared = compareResources(hashed, manifest.resources, {
    method: s.method,
    ignoreUnsignedFiles: opts.ignoreUnsignedFiles,
    singleFileLabel: path.basename(modelPath),
  })
  // Content problems first, then what the listing showed (missing and resized files, then extras).
  const isExtra = (p: string) => p.startsWith('extra ')
  const problems = [...compared, ...early.filter((p) => !isExtra(p)), ...early.filter(isExtra)]
  // A symlinked directory is never hashed: an entry the signature does not cover, like any
  // other extra file (the signer, too, could not have covered it).
  if (!opts.ignoreUnsignedFiles)
    for (const d of serialized.linkedDirectories) problems.push(`extra entry: ${d} (symlink to a directory, not covered by the signature)`)
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
