import {Flags} from '@oclif/core'

import {ModelsealCommand} from '../_lib/base-command.js'
import {passwordFlag, signFlags} from '../_lib/flags.js'
import {modelArg, runSign, type SignReport} from '../_lib/model-signing.js'
import type {OciSignReport} from '../_lib/oci.js'

export default class SignKey extends ModelsealCommand {
  static override summary = 'Sign a model with an EC private key (OMS bundle, model_signing compatible)'
  static override description =
    `Hashes every file of MODEL_PATH (a directory or a single file), builds the OMS in-toto statement and signs it with an EC P-256/P-384/P-521 private key (ECDSA with the curve's hash). The bundle records the public key's hint (SHA-256 of its SPKI PEM); verify with "modelseal verify key".`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./my-model --private-key signing-key.pem',
    '<%= config.bin %> <%= command.id %> ./my-model --private-key enc-key.pem --password "$PW" --signature my-model.sig',
    '<%= config.bin %> <%= command.id %> ./my-model --private-key key.pem --method shards --hash blake2b --ignore-paths ./my-model/cache',
  ]
  static override args = modelArg
  static override flags = {
    ...signFlags,
    'private-key': Flags.string({required: true, description: 'PEM private key (EC; SEC1 or PKCS#8, encrypted allowed)'}),
    password: passwordFlag,
  }

  public async run(): Promise<SignReport | OciSignReport> {
    const {args, flags} = await this.parse(SignKey)
    return runSign(this, args.model_path, flags, {method: 'key', privateKeyPath: flags['private-key'], password: flags.password}, this.jsonEnabled())
  }
}
