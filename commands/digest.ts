import {Args} from '@oclif/core'

import {serializeModel} from '../src/oms/serialize.js'
import type {HashAlgorithm, SerializationMethod} from '../src/oms/types.js'
import {ModelsealCommand} from './_lib/base-command.js'
import {enumerationFlags, hashingFlags, hashingOptions, printWarnings} from './_lib/flags.js'

/** `digest --json` shape (documented in docs/hashing.md). */
export interface DigestReport {
  rootDigest: string
  modelName: string
  serialization: {
    method: SerializationMethod
    hash_type: HashAlgorithm
    shard_size?: number
    allow_symlinks: boolean
    ignore_paths: string[]
  }
  resources: {name: string; algorithm: string; digest: string}[]
  warnings: string[]
}

export default class Digest extends ModelsealCommand {
  static override summary = 'Print the OMS root digest of a model (same as `model_signing digest`)'
  static override description =
    `Hashes every file of MODEL_PATH (a directory or a single file) the way model_signing does and prints sha256:<root digest>, the subject digest a signature over the model would carry. --json prints the whole manifest: serialization parameters and every resource (name, algorithm, digest).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./my-model',
    '<%= config.bin %> <%= command.id %> ./my-model --method shards --hash blake2b --json',
    '<%= config.bin %> <%= command.id %> ./my-model --ignore-paths ./my-model/cache --no-ignore-git-paths',
  ]
  static override args = {
    model_path: Args.string({required: true, description: 'Model directory or single model file'}),
  }
  static override flags = {...enumerationFlags, ...hashingFlags}

  public async run(): Promise<DigestReport> {
    const {args, flags} = await this.parse(Digest)
    const json = this.jsonEnabled()
    const {manifest, warnings} = await serializeModel(args.model_path, {...hashingOptions(flags), progress: !json})
    printWarnings(json, warnings)
    this.log(`sha256:${manifest.rootDigest}`)
    const s = manifest.serialization
    return {
      rootDigest: manifest.rootDigest,
      modelName: manifest.modelName,
      serialization: {
        method: s.method,
        hash_type: s.hashType,
        ...(s.shardSize === undefined ? {} : {shard_size: s.shardSize}),
        allow_symlinks: s.allowSymlinks,
        ignore_paths: s.ignorePaths,
      },
      resources: manifest.resources.map((r) => ({name: r.name, algorithm: r.algorithm, digest: r.digest})),
      warnings,
    }
  }
}
