import type {VerifyOciResult} from '../../src/oci/verify.js'
import type {VerifyModelResult} from '../../src/oms/verify.js'
import {ModelsealCommand} from '../_lib/base-command.js'
import {verifyFlags} from '../_lib/flags.js'
import {modelArg, runVerify} from '../_lib/model-signing.js'
import {keylessVerifyFlags, keylessVerifyOptions} from '../_lib/sigstore-flags.js'

export default class VerifySigstore extends ModelsealCommand {
  static override summary = 'Verify a keyless (Sigstore) model signature by signer identity and OIDC issuer'
  static override description =
    `Checks the bundle against the Sigstore trusted root: the Fulcio certificate chain at the verified signing time (RFC 3161 timestamp or Rekor inclusion promise; at least one is required), the certificate transparency SCT, at least one verified Rekor entry that matches the signature, and the signature itself. Then the signer: --identity and --identity-provider must match exactly (the -regexp variants are always anchored to the whole value), plus any Fulcio extension flags. Then it re-hashes MODEL_PATH and compares every file. Trust: --trusted-root FILE or --trust-config FILE (no network), --offline (shipped or cached public-good root, no network), else a TUF refresh. Exit 0 verified, 1 a check failed (the message names it), 2 usage, 3 unreadable or malformed input.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./my-model --signature model.sig --identity alice@example.com --identity-provider https://accounts.google.com',
    {
      description: 'A model signed by a GitHub Actions release workflow, verified air-gapped',
      command:
        '<%= config.bin %> <%= command.id %> ./my-model --signature model.sig --offline --identity https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1.0 --identity-provider https://token.actions.githubusercontent.com --source-repository https://github.com/acme/models',
    },
    '<%= config.bin %> <%= command.id %> ./my-model --signature model.sig --trusted-root trusted_root.json --identity-regexp "https://github\\.com/acme/models/\\.github/workflows/release\\.yml@refs/tags/v.*" --identity-provider https://token.actions.githubusercontent.com',
  ]
  static override args = modelArg
  static override flags = {...verifyFlags, ...keylessVerifyFlags}

  public async run(): Promise<VerifyModelResult | VerifyOciResult> {
    const {args, flags} = await this.parse(VerifySigstore)
    const verifier = {method: 'sigstore' as const, ...keylessVerifyOptions(flags)}
    const {report, failed} = await runVerify(this, args.model_path, flags, verifier, this.jsonEnabled())
    if (failed) this.setExitCode(1)
    return report
  }
}
