/**
 * Flag definitions shared by the signing and verifying commands (model_signing's names and
 * defaults), so `sign key|certificate|sigstore`, `verify …`, `digest` and the dataset/attest
 * commands spell and document them the same way.
 */
import {Flags} from '@oclif/core'

import {DEFAULT_SHARD_SIZE} from '../../src/oms/resource-name.js'
import type {HashAlgorithm, SerializationMethod} from '../../src/oms/types.js'
import {ociSignFlags, registryFlags} from './oci.js'
import {escapeName} from '../../src/util/escape.js'

/** How the model is enumerated (signing, digest and verifying). */
export const enumerationFlags = {
  'ignore-paths': Flags.string({
    multiple: true,
    description: 'File or directory to exclude (repeatable); relative to the current directory or absolute, must lie inside MODEL_PATH',
  }),
  'ignore-git-paths': Flags.boolean({
    default: true,
    allowNo: true,
    description: 'Exclude .git, .gitattributes, .github and .gitignore at the top of the model',
  }),
  'allow-symlinks': Flags.boolean({
    default: false,
    description: 'Follow symbolic links (hash the target under the link name) instead of refusing them',
  }),
}

/** How files are hashed (signing and digest; verification uses what the signature records). */
export const hashingFlags = {
  method: Flags.option({
    options: ['files', 'shards'] as const,
    default: 'files' as const,
    description: 'Serialization: one digest per file, or per shard of --shard-size bytes',
  })(),
  // No oclif default: `--shard-size` with `--method files` must be an error, not ignored.
  'shard-size': Flags.integer({
    min: 1,
    description: 'Shard size in bytes for --method shards [default: 1000000000]; an error with --method files',
  }),
  hash: Flags.option({
    options: ['sha256', 'blake2b', 'blake3'] as const,
    default: 'sha256' as const,
    description: 'Hash algorithm for file and shard digests',
  })(),
}

export const passwordFlag = Flags.string({
  description: 'Password of an encrypted private key (or set MODELSEAL_KEY_PASSWORD)',
  env: 'MODELSEAL_KEY_PASSWORD',
})

/** Flags common to every `sign …` command. */
export const signFlags = {
  ...enumerationFlags,
  ...hashingFlags,
  signature: Flags.string({
    default: 'model.sig',
    description:
      'Where to write the signature bundle (relative to the current directory); excluded from the model. For oci:// the bundle is pushed as a referrer and written here only when this flag is given',
  }),
  ...ociSignFlags,
  'scan-attestation': Flags.string({
    description:
      'Also scan the model (while it is hashed) and write here a scan attestation about the same digest, signed the same way (what `attest scan` writes); excluded from the model',
  }),
}

/** Flags common to every `verify …` command. */
export const verifyFlags = {
  ...enumerationFlags,
  // What the signer covered, the verifier checks: the git files are skipped only when the
  // signature records them in ignore_paths (the OMS rule), unless asked for here.
  'ignore-git-paths': Flags.boolean({
    allowNo: true,
    description: 'Also exclude .git, .gitattributes, .github and .gitignore at the top of the model (default: exclude only what the signature records)',
  }),
  signature: Flags.string({
    description:
      'The signature bundle to verify (e.g. model.sig); required for a directory, optional for oci:// (default: the signatures attached in the registry)',
  }),
  'ignore-unsigned-files': Flags.boolean({
    default: false,
    allowNo: true,
    description: 'Do not fail on files that exist in the model but are not listed in the signature',
  }),
  ...registryFlags,
}

/** Maps parsed hashing flags to the library's options. */
export function hashingOptions(flags: {
  method: SerializationMethod
  'shard-size'?: number
  hash: HashAlgorithm
  'ignore-paths'?: string[]
  'ignore-git-paths': boolean
  'allow-symlinks': boolean
}) {
  return {
    method: flags.method,
    hashType: flags.hash,
    shardSize: flags['shard-size'] ?? (flags.method === 'shards' ? DEFAULT_SHARD_SIZE : undefined),
    ignorePaths: flags['ignore-paths'] ?? [],
    ignoreGitPaths: flags['ignore-git-paths'],
    allowSymlinks: flags['allow-symlinks'],
  }
}

/** Non-fatal remarks on stderr (never on stdout, which may carry --json). */
export function printWarnings(json: boolean, warnings: string[] | undefined): void {
  if (json) return
  // Warnings quote file names: escaped, so a name cannot start a line of its own.
  for (const w of warnings ?? []) process.stderr.write(`modelseal: warning: ${escapeName(w)}\n`)
}
