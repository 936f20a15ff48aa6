import {Args, Flags} from '@oclif/core'

import {SCAN_PREDICATE_TYPE} from '../../src/attest/scan-predicate.js'
import {runModelScan} from '../../src/attest/run-scan.js'
import {attestScan} from '../../src/attest/sign-statement.js'
import {UsageError} from '../../src/errors.js'
import type {Severity} from '../../src/scan/types.js'
import {attestSignerFlags, attestSignerSpec} from '../_lib/attest-signer.js'
import {ModelsealCommand} from '../_lib/base-command.js'

/** `attest scan --json` shape. */
export interface AttestScanReport {
  output: string
  predicateType: string
  subject: {name: string; digest: {sha256: string}}
  method: 'key' | 'certificate' | 'sigstore'
  verdict: 'pass' | 'fail'
  findings: Record<Severity, number>
  maxSeverity: Severity | null
  files: number
}

export default class AttestScan extends ModelsealCommand {
  static override summary = 'Scan a model and sign the report as an in-toto attestation about its digest'
  static override description =
    `Runs the same scan as \`modelseal scan\` over the whole model, computes the model's OMS root digest (files, sha256 — what \`modelseal digest\` prints), and signs an in-toto statement whose subject is that digest and whose predicate (${SCAN_PREDICATE_TYPE}) holds the full report, what it covered and when. A policy can then require "a clean scan from our scanner within 7 days" without re-scanning. Findings do not change the exit code here: the policy decides what is acceptable.

With --signature (a model signature, e.g. from \`modelseal sign\`), the digest is computed with that signature's serialization and must equal the root digest it signs: the attestation is bound to exactly the signed model (exit 1 otherwise; the signature itself is verified later, by \`verify\` or a policy). The model is hashed and scanned in the same pass, and a file that changes meanwhile fails the run (exit 3).

Keep the output outside the model directory (or it is excluded from the digest automatically when inside). Exit 0 written, 1 the model is not the signed one, 2 usage, 3 unreadable model, signature or key.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./model --private-key scanner.pem --output scan.sig.json',
    '<%= config.bin %> <%= command.id %> ./model --sigstore --output scan.sig.json',
    '<%= config.bin %> <%= command.id %> ./model --signature model.sig --private-key scanner.pem --output scan.sig.json',
    '<%= config.bin %> <%= command.id %> ./model --private-key k.pem --signing-certificate scanner.crt --certificate-chain ca.pem --output scan.sig.json --json',
  ]
  static override args = {model_path: Args.string({required: true, description: 'Model directory or single model file'})}
  static override flags = {
    output: Flags.string({required: true, description: 'Where to write the signed attestation (Sigstore bundle JSON)'}),
    'ignore-paths': Flags.string({multiple: true, description: 'Files to leave out of the digest (relative to the cwd, or absolute inside MODEL_PATH)'}),
    signature: Flags.string({
      description: "A signature of the model: attest about the digest it signs (computed with the signature's serialization, and checked)",
    }),
    ...attestSignerFlags,
  }

  public async run(): Promise<AttestScanReport> {
    const {args, flags} = await this.parse(AttestScan)
    const signer = await attestSignerSpec(flags)
    if (!signer) throw new UsageError('E_USAGE', 'choose a signer: --private-key K.pem [--signing-certificate C.pem], or --sigstore')
    const r = await attestScan({
      modelPath: args.model_path,
      signer,
      output: flags.output,
      runScan: (p, scan) => runModelScan(p, this.config.version, scan),
      ignorePaths: flags['ignore-paths'],
      signaturePath: flags.signature,
    })
    const s = r.report.summary
    const verdict = s.failed || s.errors > 0 ? 'fail' : 'pass'
    if (!this.jsonEnabled()) {
      this.log(`Attested scan of ${args.model_path} (sha256:${r.rootDigest}) signed with the ${signer.method} method: ${r.output}`)
      this.log(
        `  ${s.files} file(s), ${s.scanned} scanned, ${s.errors} error(s); findings: ${Object.entries(s.findings)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}`,
      )
      // The digest was checked against the signature's; the signature itself was not (no key here).
      if (flags.signature)
        this.log(`  digest equals the one ${flags.signature} signs; that signature is not verified here (modelseal verify, or a policy, does it)`)
    }
    return {
      output: r.output,
      predicateType: SCAN_PREDICATE_TYPE,
      subject: {name: r.statement.subject[0].name ?? '', digest: {sha256: r.rootDigest}},
      method: signer.method,
      verdict,
      findings: s.findings,
      maxSeverity: s.maxSeverity,
      files: s.files,
    }
  }
}
