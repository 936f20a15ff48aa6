import {Args, Flags} from '@oclif/core'

import {collectAudit, type AuditReport} from '../src/audit/collect.js'
import {withModelEvidence} from '../src/oci/temp-pull.js'
import {auditMarkdown, auditText} from '../src/audit/render.js'
import {auditHtml} from '../src/audit/render-html.js'
import {writeReport} from './_lib/write-report.js'
import {ModelsealCommand} from './_lib/base-command.js'
import {isOciReference, labelWithReference, registryFlags, registryOptions} from './_lib/oci.js'

export default class Audit extends ModelsealCommand {
  static override summary = 'Provenance report: who signed a model, when, what the signature covers, which attestations exist'
  static override description =
    `For auditors: one report of what can be proven about a model. For each signature: the signer (key fingerprint, certificate subject, or keyless identity and issuer with the CI source repository and ref), the transparency-log index and integrated time or RFC 3161 timestamp, the files and digests it covers, and which local files it does not cover or that changed. For each attestation (scan, dataset manifest, SLSA provenance, policy decision): who signed it, whether its subject is this model's digest, and what it says. Every fact is marked verified (a cryptographic or digest check passed), read (taken from a file, not checked — supply trust material to verify) or failed.

Keyless bundles are verified offline against --trusted-root (default: the Sigstore root shipped with modelseal) for any identity: the report says who signed; whether that identity is acceptable is for \`policy check\`. Exit 0 when the report was produced (audit judges nothing), 2 usage, 3 unreadable or malformed input.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./model --signature model.sig --public-key release.pub',
    '<%= config.bin %> <%= command.id %> ./model --signature model.sig --attestation scan.sig.json --trusted-root trusted_root.json --format markdown > audit.md',
    '<%= config.bin %> <%= command.id %> ./model --signature model.sig --json',
    '<%= config.bin %> <%= command.id %> ./model --signature model.sig --public-key release.pub --format html --output audit.html',
  ]
  static override args = {
    model_path: Args.string({
      required: true,
      description:
        'Model directory, single model file, or oci://REGISTRY/REPOSITORY[:TAG][@DIGEST] (its files are digest-checked and its attached signatures audited)',
    }),
  }
  static override flags = {
    signature: Flags.string({multiple: true, description: 'Model signature bundle(s) (OMS)'}),
    attestation: Flags.string({multiple: true, description: 'Attestation bundle(s): scan, dataset manifest, SLSA provenance, policy decision'}),
    'public-key': Flags.string({multiple: true, description: 'Public key(s) to verify key-signed bundles with'}),
    'certificate-chain': Flags.string({multiple: true, description: 'Trusted CA certificate(s) for certificate-signed bundles'}),
    'trusted-root': Flags.string({description: 'Sigstore trusted_root.json for keyless bundles (no network I/O either way)'}),
    format: Flags.option({
      options: ['text', 'json', 'markdown', 'html'] as const,
      default: 'text' as const,
      description: 'Output format (--json implies json)',
    })(),
    output: Flags.string({char: 'o', description: 'Write the report to FILE instead of stdout'}),
    ...registryFlags,
  }

  public async run(): Promise<AuditReport> {
    const {args, flags} = await this.parse(Audit)
    const collect = (modelPath: string, registrySignatures: string[] = []) =>
      collectAudit({
        modelPath,
        signatures: [...registrySignatures, ...(flags.signature ?? [])],
        attestations: flags.attestation,
        publicKeys: flags['public-key'],
        certificateChains: flags['certificate-chain'],
        trustedRoot: flags['trusted-root'],
      })
    // oci://: the files (digest-checked against the manifest) and every attached signature.
    const report = isOciReference(args.model_path)
      ? await withModelEvidence(args.model_path, registryOptions(flags), async (e) => labelWithReference(await collect(e.dir, e.signatureFiles), e.reference))
      : await collect(args.model_path)
    if (!this.jsonEnabled() || flags.output) {
      const format = this.jsonEnabled() ? 'json' : flags.format
      const body =
        format === 'json'
          ? JSON.stringify(report, null, 2)
          : format === 'markdown'
            ? auditMarkdown(report)
            : format === 'html'
              ? auditHtml(report, this.config.version)
              : auditText(report)
      writeReport(body, flags.output, (line) => this.log(line))
    }
    return report
  }
}
