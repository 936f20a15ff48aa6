/**
 * Signing a model: hash it (after the signing key has been loaded, so a bad key fails fast),
 * refuse an empty model, build the statement, sign, and write the bundle atomically.
 */
import path from 'node:path'

import {InputError, UsageError} from '../errors.js'
import {writeAtomically} from '../io/index.js'
import {prepareSigner, signPayload, type PreparedSigner} from '../signing/index.js'
import {MAX_BUNDLE_BYTES, serializeBundle} from '../signing/bundle.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import type {BundleJson, SignerSpec} from '../signing/types.js'
import {serializeModel} from './serialize.js'
import {statementPayload} from './statement.js'
import type {HashAlgorithm, Manifest, SerializationMethod} from './types.js'
import {requireObject, requireOneOf, requirePath} from '../util/args.js'

export const DEFAULT_SIGNATURE_PATH = 'model.sig'

/** How the model is enumerated and hashed (model_signing's options and defaults). */
export interface HashingOptions {
  method?: SerializationMethod
  hashType?: HashAlgorithm
  shardSize?: number
  /** Extra paths to exclude (as the user typed them: relative to the cwd, or absolute). */
  ignorePaths?: string[]
  /** Exclude .git, .gitattributes, .github, .gitignore at the top level (default true). */
  ignoreGitPaths?: boolean
  allowSymlinks?: boolean
}

export interface SignModelOptions extends HashingOptions {
  signer: SignerSpec
  /** Where to write the bundle (default `model.sig` in the cwd); excluded from the model. */
  signaturePath?: string
  /** Progress bar on stderr (only drawn when stderr is a TTY). */
  progress?: boolean
  /** Large files: read ahead on the libuv pool or in the hashing thread (SerializeOptions.readAhead). */
  readAhead?: boolean
}

export interface SignModelResult {
  signaturePath: string
  manifest: Manifest
  bundle: BundleJson
  warnings: string[]
  method: SignerSpec['method']
  /** OMS hint of the signing key (key and certificate methods). */
  keyHint?: string
}

export async function signModel(modelPath: string, opts: SignModelOptions): Promise<SignModelResult> {
  requirePath('signModel', 'modelPath', modelPath)
  requireObject('signModel', 'options.signer', requireObject<SignModelOptions>('signModel', 'options', opts).signer)
  requireOneOf('signModel', 'options.signer.method', opts.signer.method, ['key', 'certificate', 'sigstore'] as const)
  const signaturePath = path.resolve(opts.signaturePath ?? DEFAULT_SIGNATURE_PATH)
  const prepared: PreparedSigner | undefined = opts.signer.method === 'sigstore' ? undefined : prepareSigner(opts.signer)
  const {manifest, warnings} = await serializeModel(modelPath, {
    method: opts.method ?? 'files',
    hashType: opts.hashType ?? 'sha256',
    shardSize: opts.shardSize,
    ignorePaths: opts.ignorePaths ?? [],
    ignoreGitPaths: opts.ignoreGitPaths ?? true,
    allowSymlinks: opts.allowSymlinks ?? false,
    signaturePath,
    progress: opts.progress,
    readAhead: opts.readAhead,
  })
  if (manifest.resources.length === 0) {
    throw new InputError('E_EMPTY_MODEL', `model ${modelPath} has no files to sign (after ignored paths)`)
  }
  const payload = statementPayload(manifest)
  // The bundle carries the payload in base64 (4/3) plus at most a certificate chain: refuse
  // before signing a statement whose signature the verifier would refuse to read.
  if ((payload.length * 4) / 3 + 256 * 1024 > MAX_BUNDLE_BYTES) {
    throw new UsageError(
      'E_STATEMENT_TOO_LARGE',
      `the signed statement would be ${payload.length} bytes, too large for a ${MAX_BUNDLE_BYTES}-byte signature bundle; use a larger --shard-size or fewer files`,
    )
  }
  const bundle = prepared ? prepared.sign(payload, IN_TOTO_PAYLOAD_TYPE) : await signPayload(payload, IN_TOTO_PAYLOAD_TYPE, opts.signer)
  writeAtomically(signaturePath, serializeBundle(bundle))
  return {signaturePath, manifest, bundle, warnings, method: opts.signer.method, keyHint: prepared?.hint}
}
