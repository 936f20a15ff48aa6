import {Args, Flags} from '@oclif/core'

import {writeDecisionStatement} from '../../src/policy/decision-statement.js'
import {runModelScan} from '../../src/attest/run-scan.js'
import {UsageError} from '../../src/errors.js'
import {withModelEvidence} from '../../src/oci/temp-pull.js'
import {evaluatePolicy} from '../../src/policy/evaluate.js'
import {gatherEvidence} from '../../src/policy/gather.js'
import {loadPolicy} from '../../src/policy/load.js'
import {decisionSarif, decisionText} from '../../src/policy/report.js'
import {decisionHtml} from '../../src/policy/report-html.js'
import {writeReport} from '../_lib/write-report.js'
import type {PolicyDecision} from '../../src/policy/types.js'
import {attestSignerFlags, attestSignerSpec} from '../_lib/attest-signer.js'
import {ModelsealCommand} from '../_lib/base-command.js'
import {isOciReference, labelWithReference, registryFlags, registryOptions} from '../_lib/oci.js'
import {parseAtFlag} from '../_lib/policy-flags.js'

export default class PolicyCheck extends ModelsealCommand {
  static override summary = 'Decide whether a model may ship: verify all evidence, then evaluate a policy on the verified facts'
  static override description =
    `Verifies every signature (--signature), attestation (--attestation: scan attestations, SLSA provenance) and dataset manifest (--dataset-manifest) against the identities the policy trusts, then evaluates each requirement on what verified — nothing else. Missing or unverifiable evidence fails its requirement (fail closed). Prints the decision and one line per requirement: pass, fail, warn, waived or error, with a reason to act on.

Exit codes: 0 allow (also with warnings or waivers), 1 deny, 2 usage, 3 malformed policy or evidence. Keyless signatures are verified offline against the policy's trustedRoot (or the Sigstore root shipped with modelseal). --decision-out writes the decision as a signed in-toto statement (SLSA verification summary) about the model digest, for later pipeline stages.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./model --policy policies/production.yaml --signature model.sig --attestation scan.sig.json',
    '<%= config.bin %> <%= command.id %> ./model --policy staging.yaml --signature a.sig --signature b.sig --format json',
    '<%= config.bin %> <%= command.id %> ./model --policy prod.yaml --signature model.sig --dataset-manifest data/manifest --decision-out decision.sig.json --private-key gate.pem',
    '<%= config.bin %> <%= command.id %> ./model --policy prod.yaml --signature model.sig --at 2026-12-01T00:00:00Z --format sarif > policy.sarif',
    '<%= config.bin %> <%= command.id %> ./model --policy prod.yaml --signature model.sig --format html --output decision.html',
  ]
  static override args = {
    model_path: Args.string({
      required: true,
      description:
        'Model directory, single model file, or oci://REGISTRY/REPOSITORY[:TAG][@DIGEST] (its files are digest-checked and its attached signatures used as --signature)',
    }),
  }
  static override flags = {
    policy: Flags.string({required: true, description: 'Policy file (YAML, see docs/policy.md)'}),
    signature: Flags.string({multiple: true, description: 'Model signature bundle (OMS); repeat for k-of-n policies'}),
    attestation: Flags.string({multiple: true, description: 'Signed attestation about the model: scan (modelseal attest scan) or SLSA provenance; repeatable'}),
    'dataset-manifest': Flags.string({
      multiple: true,
      description: 'Signed dataset manifest: its bundle, or the manifest directory with manifest.sigstore.json; repeatable',
    }),
    'public-key': Flags.string({multiple: true, description: 'Public key(s) for identities the policy pins by fingerprint only'}),
    format: Flags.option({options: ['text', 'json', 'sarif', 'html'] as const, default: 'text' as const, description: 'Output format (--json implies json)'})(),
    output: Flags.string({char: 'o', description: 'Write the decision report to FILE instead of stdout'}),
    at: Flags.string({description: 'Evaluate expiries and ages at this RFC 3339 time instead of now (reproducible runs)'}),
    'decision-out': Flags.string({description: 'Write the decision as a signed statement here (needs signing flags)'}),
    ...attestSignerFlags,
    ...registryFlags,
  }

  public async run(): Promise<PolicyDecision> {
    const {args, flags} = await this.parse(PolicyCheck)
    const at = parseAtFlag(flags.at)
    const policy = loadPolicy(flags.policy)
    // Resolve the decision signer before any expensive work: bad flags fail in milliseconds.
    const signer = await attestSignerSpec(flags)
    if (flags['decision-out'] && !signer)
      throw new UsageError('E_USAGE', '--decision-out needs a signer: --private-key K.pem [--signing-certificate C.pem] or --sigstore')
    if (!flags['decision-out'] && signer) throw new UsageError('E_USAGE', 'signing flags are only used with --decision-out')
    // oci://: the files (digest-checked against the manifest) and every attached signature go to
    // the policy, which verifies them against the identities it trusts.
    const decide = async (modelPath: string, registrySignatures: string[] = []): Promise<PolicyDecision> => {
      const signatures = [...registrySignatures, ...(flags.signature ?? [])]
      const evidence = await gatherEvidence(policy, {
        modelPath,
        signatures,
        attestations: flags.attestation,
        datasetManifests: flags['dataset-manifest'],
        publicKeys: flags['public-key'],
        at,
        runScan: (p) => runModelScan(p, this.config.version),
      })
      const decision = evaluatePolicy(policy, evidence, at)
      if (flags['decision-out'] && signer) {
        await writeDecisionStatement(decision, {
          out: flags['decision-out'],
          signer,
          modelPath,
          inputs: [...signatures, ...(flags.attestation ?? []), ...(flags['dataset-manifest'] ?? [])],
          toolVersion: this.config.version,
        })
      }
      return decision
    }
    const decision = isOciReference(args.model_path)
      ? await withModelEvidence(args.model_path, registryOptions(flags), async (e) => labelWithReference(await decide(e.dir, e.signatureFiles), e.reference))
      : await decide(args.model_path)
    if (!this.jsonEnabled() || flags.output) {
      const format = this.jsonEnabled() ? 'json' : flags.format
      const body =
        format === 'json'
          ? JSON.stringify(decision, null, 2)
          : format === 'sarif'
            ? JSON.stringify(decisionSarif(decision, this.config.version), null, 2)
            : format === 'html'
              ? decisionHtml(decision, this.config.version)
              : decisionText(decision)
      writeReport(body, flags.output, (line) => this.log(line))
      if (format === 'text' && flags['decision-out'] && !flags.output) this.log(`Decision statement written to ${flags['decision-out']}`)
    }
    if (decision.decision === 'deny') this.setExitCode(1)
    return decision
  }
}
