import {Args, Flags} from '@oclif/core'

import {pullModel, type PullResult} from '../src/oci/pull.js'
import {createProgress} from '../src/util/progress.js'
import {ModelsealCommand} from './_lib/base-command.js'
import {ociVerifyFlags, registryOptions, verifierFromFlags} from './_lib/oci.js'

export default class Pull extends ModelsealCommand {
  static override summary = 'Pull a model from an OCI registry; it lands on disk only if its signature verifies'
  static override description =
    `Resolves the reference to a manifest digest, verifies a signature attached to it (or --signature) against the manifest's layers with --verify key|certificate|sigstore and that method's flags — an unsigned or tampered model fails here, before any blob is downloaded — then streams every layer into a temporary directory beside --output with its size and digest checked as the bytes arrive, writes each file under its title, verifies the directory from disk again, and renames it to --output. --output must not exist or be an empty directory; nothing is written outside it. Exit 0 pulled and verified, 1 verification failed (nothing written), 2 usage, 3 registry or input error. See docs/oci.md.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> oci://registry.example.com/models/my-model:v1 --output ./my-model --verify key --public-key release.pub',
    '<%= config.bin %> <%= command.id %> oci://ghcr.io/acme/models/bert@sha256:… --output /models/bert --verify sigstore --identity https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1 --identity-provider https://token.actions.githubusercontent.com',
  ]
  static override args = {reference: Args.string({required: true, description: 'oci://REGISTRY/REPOSITORY[:TAG][@DIGEST]'})}
  static override flags = {
    output: Flags.string({char: 'o', required: true, description: 'Directory to create with the verified model (must not exist, or be empty)'}),
    ...ociVerifyFlags,
    'ignore-unsigned-files': Flags.boolean({
      default: false,
      description: 'Accept layers the signature does not list (they are still digest-checked and written)',
    }),
  }

  public async run(): Promise<PullResult> {
    const {args, flags} = await this.parse(Pull)
    const verifier = verifierFromFlags(flags)
    const json = this.jsonEnabled()
    const progress = createProgress('downloading', {enabled: json ? false : undefined})
    const r = await pullModel(args.reference, flags.output, {
      ...registryOptions(flags),
      verifier,
      signaturePath: flags.signature,
      ignoreUnsignedFiles: flags['ignore-unsigned-files'],
      onProgress: (n) => progress.advance(n),
    })
    progress.done()
    if (!json) {
      this.log(`Pulled and verified ${r.reference}`)
      this.log(
        `  ${r.files.length} files, ${r.bytes} bytes in ${r.output}; signature ${r.verification.signatureDigest ?? flags.signature} (${r.verification.signaturesVia})`,
      )
    }
    return r
  }
}
