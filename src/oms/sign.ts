/**
 * Signing a model: hash it (after the signing key has been loaded, so a bad key fails fast),
 * refuse an empty model, build the statement, sign, and write the bundle atomically.
 */
import path from 'node:path'

import {InputError} from '../errors.js'
import {writeAtomically} from '../io/index.js'
import {prepareSigner, signPayload, type PreparedSigner} from '../signing/index.js'
import {serializeBundle} from '../signing/bundle.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import type {BundleJson, SignerSpec} from '../signing/types.js'
import {serializeModel} from './serialize.js'
import {statementPayload} from './statement.js'
import type {HashAlgorithm, Manifest, SerializationMethod} from './types.js'

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
  })
  if (manifest.resources.length === 0) {
    throw new InputError('E_EMPTY_MODEL', `model ${modelPath} has no files to sign (after ignored paths)`)
  }
  const payload = statementPayload(manifest)
  const bundle = prepared ? prepared.sign(payload, IN_TOTO_PAYLOAD_TYPE) : await signPayload(payload, IN_TOTO_PAYLOAD_TYPE, opts.signer)
  writeAtomically(signaturePath, serializeBundle(bundle))
  return {signaturePath, manifest, bundle, warnings, method: opts.signer.method, keyHint: prepared?.hint}
}
