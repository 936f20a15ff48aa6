import {Flags} from '@oclif/core'

import type {VerifyOciResult} from '../../src/oci/verify.js'
import type {VerifyModelResult} from '../../src/oms/verify.js'
import {ModelsealCommand} from '../_lib/base-command.js'
import {verifyFlags} from '../_lib/flags.js'
import {modelArg, runVerify} from '../_lib/model-signing.js'

export default class VerifyKey extends ModelsealCommand {
  static override summary = 'Verify a model signature made with an EC key'
  static override description =
    `Checks the bundle's signature with the public key, then re-hashes MODEL_PATH with the serialization the signature records (method, hash, shard size, ignored paths, symlink policy) and compares every file. Exit 0 verified, 1 verification failed (one line per problem), 2 usage, 3 unreadable or malformed input.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./my-model --signature model.sig --public-key signing-key.pub',
    '<%= config.bin %> <%= command.id %> ./my-model --signature model.sig --public-key key.pub --ignore-paths ./my-model/README.md --json',
  ]
  static override args = modelArg
  static override flags = {
    ...verifyFlags,
    'public-key': Flags.string({required: true, description: 'PEM (or DER) public key of the signer'}),
  }

  public async run(): Promise<VerifyModelResult | VerifyOciResult> {
    const {args, flags} = await this.parse(VerifyKey)
    const {report, failed} = await runVerify(this, args.model_path, flags, {method: 'key', publicKeyPath: flags['public-key']}, this.jsonEnabled())
    if (failed) this.setExitCode(1)
    return report
  }
}
