import {Args, Flags} from '@oclif/core'

import {pushModel, type PushResult} from '../src/oci/push.js'
import {createProgress} from '../src/util/progress.js'
import {ModelsealCommand} from './_lib/base-command.js'
import {registryFlags, registryOptions} from './_lib/oci.js'

export default class Push extends ModelsealCommand {
  static override summary = 'Push a model directory to an OCI registry (one layer per file, ModelPack media types)'
  static override description =
    `Pushes every file of MODEL_PATH (enumerated like "sign": .git paths and --ignore-paths excluded, symlinks refused) as one raw layer titled with its relative path (org.opencontainers.image.title, ORAS style), a CNCF ModelPack config blob, and a manifest with artifactType application/vnd.cncf.model.manifest.v1+json under the reference's tag. Uploads are chunked and streamed from disk; blobs the registry already has are skipped. The layer digests are the files' SHA-256, so a signature of the pushed manifest ("sign … oci://…") also verifies the directory. Prints the pinned reference (oci://…@sha256:…). Exit 0 pushed, 2 usage, 3 unreadable model or registry error. See docs/oci.md.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./my-model oci://registry.example.com/models/my-model:v1',
    '<%= config.bin %> <%= command.id %> ./my-model oci://127.0.0.1:5000/models/my-model:dev --plain-http --json',
  ]
  static override args = {
    model_path: Args.string({required: true, description: 'Model directory or single model file'}),
    reference: Args.string({required: true, description: 'oci://REGISTRY/REPOSITORY:TAG'}),
  }
  static override flags = {
    ...registryFlags,
    'ignore-paths': Flags.string({multiple: true, description: 'File or directory to leave out (repeatable), as for sign'}),
    'ignore-git-paths': Flags.boolean({
      default: true,
      allowNo: true,
      description: 'Leave out .git, .gitattributes, .github and .gitignore at the top of the model',
    }),
    annotation: Flags.string({multiple: true, description: 'Manifest annotation KEY=VALUE (repeatable), e.g. org.opencontainers.image.version=1.0'}),
  }

  public async run(): Promise<PushResult> {
    const {args, flags} = await this.parse(Push)
    const annotations: Record<string, string> = {}
    for (const a of flags.annotation ?? []) {
      const i = a.indexOf('=')
      if (i <= 0) this.error(`--annotation must be KEY=VALUE, got "${a}"`, {exit: 2})
      annotations[a.slice(0, i)] = a.slice(i + 1)
    }
    const json = this.jsonEnabled()
    const progress = createProgress('uploading', {enabled: json ? false : undefined})
    const r = await pushModel(args.model_path, args.reference, {
      ...registryOptions(flags),
      ignorePaths: flags['ignore-paths'],
      ignoreGitPaths: flags['ignore-git-paths'],
      annotations,
      progress: !json,
      onProgress: (n) => progress.advance(n),
    })
    progress.done()
    if (!json) {
      this.log(`Pushed ${r.reference}`)
      this.log(`  ${r.pinned}`)
      this.log(`  ${r.layers.length} layers, ${r.bytes} bytes (${r.uploadedBytes} uploaded, the rest already in the registry)`)
    }
    return r
  }
}
