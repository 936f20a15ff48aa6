import {Flags} from '@oclif/core'

import type {VerifyOciResult} from '../../src/oci/verify.js'
import type {VerifyModelResult} from '../../src/oms/verify.js'
import {ModelsealCommand} from '../_lib/base-command.js'
import {verifyFlags} from '../_lib/flags.js'
import {modelArg, runVerify} from '../_lib/model-signing.js'

export default class VerifyCertificate extends ModelsealCommand {
  static override summary = 'Verify a model signature made with an X.509 certificate'
  static override description =
    `Builds the path from the bundle's signing certificate, through the intermediates the bundle carries, to a certificate from --certificate-chain (the trust anchors), by signature. Every certificate on the path must be valid now; the leaf must allow digitalSignature or codeSigning. Then the model is re-hashed and compared as in "verify key".`
  static override examples = ['<%= config.bin %> <%= command.id %> ./my-model --signature model.sig --certificate-chain root-ca.pem']
  static override args = modelArg
  static override flags = {
    ...verifyFlags,
    'certificate-chain': Flags.string({
      multiple: true,
      required: true,
      description: 'PEM file(s) of trusted certificates (root, optionally intermediates) (repeatable)',
    }),
  }

  public async run(): Promise<VerifyModelResult | VerifyOciResult> {
    const {args, flags} = await this.parse(VerifyCertificate)
    const {report, failed} = await runVerify(
      this,
      args.model_path,
      flags,
      {method: 'certificate', certificateChainPaths: flags['certificate-chain']},
      this.jsonEnabled(),
    )
    if (failed) this.setExitCode(1)
    return report
  }
}
