import {Flags} from '@oclif/core'

import {ModelsealCommand} from '../_lib/base-command.js'
import {passwordFlag, signFlags} from '../_lib/flags.js'
import {modelArg, runSign, type SignReport} from '../_lib/model-signing.js'
import type {OciSignReport} from '../_lib/oci.js'

export default class SignCertificate extends ModelsealCommand {
  static override summary = 'Sign a model with a private key and its X.509 signing certificate'
  static override description =
    `Like "sign key", but the bundle carries the signing certificate (leaf first) followed by every certificate of the --certificate-chain files, so verifiers need only trust the root. The certificate must match the private key, be valid now, and allow digitalSignature or codeSigning.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./my-model --private-key key.pem --signing-certificate leaf.pem --certificate-chain intermediate.pem',
  ]
  static override args = modelArg
  static override flags = {
    ...signFlags,
    'private-key': Flags.string({required: true, description: 'PEM private key matching the signing certificate'}),
    password: passwordFlag,
    'signing-certificate': Flags.string({required: true, description: 'PEM signing (leaf) certificate'}),
    'certificate-chain': Flags.string({multiple: true, description: 'PEM file(s) of the rest of the chain, to embed (repeatable)'}),
  }

  public async run(): Promise<SignReport | OciSignReport> {
    const {args, flags} = await this.parse(SignCertificate)
    return runSign(
      this,
      args.model_path,
      flags,
      {
        method: 'certificate',
        privateKeyPath: flags['private-key'],
        password: flags.password,
        signingCertificatePath: flags['signing-certificate'],
        certificateChainPaths: flags['certificate-chain'] ?? [],
      },
      this.jsonEnabled(),
    )
  }
}
