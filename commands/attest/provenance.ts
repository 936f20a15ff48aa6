import {Args, Flags} from '@oclif/core'

import {attestProvenance, MODEL_TRAINING_BUILD_TYPE, SLSA_PROVENANCE_V1} from '../../src/attest/provenance.js'
import {UsageError} from '../../src/errors.js'
import {attestSignerFlags, attestSignerSpec} from '../_lib/attest-signer.js'
import {ModelsealCommand} from '../_lib/base-command.js'

/** `attest provenance --json` shape. */
export interface AttestProvenanceReport {
  output: string
  predicateType: string
  subject: {name: string; digest: {sha256: string}}
  method: 'key' | 'certificate' | 'sigstore'
  builderId: string
  datasets: {name: string; version?: string; root: string; files: number; bytes: number}[]
}

export default class AttestProvenance extends ModelsealCommand {
  static override summary = 'Sign SLSA provenance for a model, naming its training datasets by manifest root'
  static override description =
    `Writes an in-toto SLSA Provenance v1 statement (${SLSA_PROVENANCE_V1}) whose subject is the model's OMS root digest (files, sha256 — what \`modelseal digest\` prints) and whose buildDefinition.resolvedDependencies carry each training dataset's manifest root (digest key dsm1-root) and, if given, the source commit. This is the evidence a policy's \`datasets\` requirement (source: provenance) reads; sign it with an identity the policy lists under provenanceSignedBy.

In GitHub Actions the builder id defaults to the workflow (GITHUB_SERVER_URL/GITHUB_WORKFLOW_REF) and the source to the repository and commit (GITHUB_REPOSITORY, GITHUB_SHA). Exit 0 written, 2 usage, 3 unreadable model, manifest or key.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./model --dataset-manifest data.manifest --private-key release.pem --output provenance.sig.json',
    '<%= config.bin %> <%= command.id %> ./model --dataset-manifest train.manifest --dataset-manifest eval.manifest --source-uri git+https://github.com/acme/models --source-digest 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b --sigstore --output provenance.sig.json',
  ]
  static override args = {model_path: Args.string({required: true, description: 'Model directory or single model file'})}
  static override flags = {
    'dataset-manifest': Flags.string({
      multiple: true,
      required: true,
      description: 'A training dataset manifest (directory or manifest.json from `modelseal dataset manifest`); repeatable',
    }),
    output: Flags.string({required: true, description: 'Where to write the signed provenance (Sigstore bundle JSON)'}),
    'builder-id': Flags.string({
      description: 'URI of the build platform that trained the model (default: the GitHub Actions workflow, else urn:modelseal:builder:local)',
    }),
    'build-type': Flags.string({default: MODEL_TRAINING_BUILD_TYPE, description: 'SLSA buildType URI'}),
    'source-uri': Flags.string({description: 'Source repository of the training code, e.g. git+https://github.com/acme/models'}),
    'source-digest': Flags.string({description: 'Commit of the training code: hex (a git commit) or ALGORITHM:HEX'}),
    parameter: Flags.string({multiple: true, description: 'External parameter NAME=VALUE recorded in the provenance (e.g. config=train.yaml); repeatable'}),
    'invocation-id': Flags.string({description: 'Identifier of this training run (default: the GitHub Actions run URL)'}),
    'started-on': Flags.string({description: 'When training started (ISO 8601)'}),
    'ignore-paths': Flags.string({multiple: true, description: 'Files to leave out of the model digest (relative to the cwd, or absolute inside MODEL_PATH)'}),
    ...attestSignerFlags,
  }

  public async run(): Promise<AttestProvenanceReport> {
    const {args, flags} = await this.parse(AttestProvenance)
    const signer = await attestSignerSpec(flags)
    if (!signer) throw new UsageError('E_USAGE', 'choose a signer: --private-key K.pem [--signing-certificate C.pem], or --sigstore')
    const env = process.env
    const inActions = env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY
    const builderId =
      flags['builder-id'] ?? (inActions && env.GITHUB_WORKFLOW_REF ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_WORKFLOW_REF}` : 'urn:modelseal:builder:local')
    const sourceUri = flags['source-uri'] ?? (inActions ? `git+${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : undefined)
    const sourceDigest = flags['source-digest'] ?? (inActions && flags['source-uri'] === undefined ? env.GITHUB_SHA : undefined)
    const invocationId =
      flags['invocation-id'] ??
      (inActions && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined)
    const parameters: Record<string, string> = {}
    for (const p of flags.parameter ?? []) {
      const i = p.indexOf('=')
      if (i <= 0) throw new UsageError('E_USAGE', `--parameter must be NAME=VALUE, got "${p}"`)
      parameters[p.slice(0, i)] = p.slice(i + 1)
    }
    let startedOn: Date | undefined
    if (flags['started-on'] !== undefined) {
      startedOn = new Date(flags['started-on'])
      if (Number.isNaN(startedOn.getTime())) throw new UsageError('E_USAGE', `--started-on is not a date: "${flags['started-on']}"`)
    }
    const r = await attestProvenance({
      modelPath: args.model_path,
      datasetManifests: flags['dataset-manifest'],
      signer,
      output: flags.output,
      builderId,
      buildType: flags['build-type'],
      sourceUri,
      sourceDigest,
      parameters,
      invocationId,
      startedOn,
      ignorePaths: flags['ignore-paths'],
      toolVersion: this.config.version,
    })
    if (!this.jsonEnabled()) {
      this.log(`Provenance for ${args.model_path} (sha256:${r.rootDigest}) signed with the ${signer.method} method: ${r.output}`)
      for (const d of r.datasets) this.log(`  dataset ${d.name}${d.version ? `@${d.version}` : ''}: dsm1-root ${d.root} (${d.files} files)`)
    }
    return {
      output: r.output,
      predicateType: SLSA_PROVENANCE_V1,
      subject: {name: r.statement.subject[0].name ?? '', digest: {sha256: r.rootDigest}},
      method: signer.method,
      builderId,
      datasets: r.datasets.map(({manifest: _m, ...d}) => d),
    }
  }
}
