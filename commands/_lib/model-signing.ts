/**
 * The bodies of `sign <method>` and `verify <method>`: every signing method differs only in
 * its SignerSpec / VerifierSpec, so the commands (including `sign sigstore`, `verify sigstore`)
 * share the flow, the printed lines and the --json shapes documented in docs/signing.md.
 */
import {Args} from '@oclif/core'

import {UsageError, VerificationError} from '../../src/errors.js'
import type {VerifyOciResult} from '../../src/oci/verify.js'
import {signModel} from '../../src/oms/sign.js'
import {verifyModel, type VerifyModelResult} from '../../src/oms/verify.js'
import type {SerializationParams} from '../../src/oms/types.js'
import type {SignerSpec, VerifierSpec} from '../../src/signing/types.js'
import {escapeName} from '../../src/util/escape.js'
import type {ModelsealCommand} from './base-command.js'
import {hashingOptions, printWarnings} from './flags.js'
import {isOciReference, runSignOci, runVerifyOci, type OciSignReport, type RegistryFlagValues} from './oci.js'

export const modelArg = {
  model_path: Args.string({required: true, description: 'Model directory, single model file, or oci://REGISTRY/REPOSITORY[:TAG][@DIGEST]'}),
}

/** `sign … --json` shape. */
export interface SignReport {
  signed: true
  method: SignerSpec['method']
  modelPath: string
  signaturePath: string
  rootDigest: string
  resources: number
  serialization: SerializationParams
  keyHint: string | null
  warnings: string[]
  /** With --scan-attestation: the attestation written beside the signature. */
  scanAttestation?: {path: string; predicateType: string; verdict: 'pass' | 'fail'; findings: Record<string, number>; maxSeverity: string | null; files: number}
}

type SignFlags = Parameters<typeof hashingOptions>[0] & {signature: string; 'include-config': boolean; 'scan-attestation'?: string} & RegistryFlagValues

export async function runSign(
  cmd: ModelsealCommand,
  modelPath: string,
  flags: SignFlags,
  signer: SignerSpec,
  json: boolean,
): Promise<SignReport | OciSignReport> {
  if (isOciReference(modelPath)) return runSignOci(cmd, modelPath, flags, signer, json)
  const opts = {...hashingOptions(flags), signer, signaturePath: flags.signature, progress: !json}
  const attestation = flags['scan-attestation']
  const r: Awaited<ReturnType<typeof signModel>> & {scanAttestation?: SignReport['scanAttestation']} = attestation
    ? await signWithScan(modelPath, opts, attestation, cmd.config.version)
    : await signModel(modelPath, opts)
  printWarnings(json, r.warnings)
  if (!json) {
    cmd.log(`Signing succeeded: wrote ${r.signaturePath}`)
    cmd.log(
      `  model sha256:${r.manifest.rootDigest} (${r.manifest.resources.length} resources, ${r.manifest.serialization.method}/${r.manifest.serialization.hashType})`,
    )
    if (r.scanAttestation) {
      const a = r.scanAttestation
      cmd.log(`Scan attestation (${a.verdict}): wrote ${a.path}`)
      cmd.log(
        `  ${a.files} file(s); findings: ${Object.entries(a.findings)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}`,
      )
    }
  }
  return {
    signed: true,
    method: r.method,
    modelPath,
    signaturePath: r.signaturePath,
    rootDigest: r.manifest.rootDigest,
    resources: r.manifest.resources.length,
    serialization: r.manifest.serialization,
    keyHint: r.keyHint ?? null,
    warnings: r.warnings,
    ...(r.scanAttestation ? {scanAttestation: r.scanAttestation} : {}),
  }
}

/** Signing plus a scan attestation (src/attest), loaded only when asked for. */
async function signWithScan(modelPath: string, opts: Parameters<typeof signModel>[1], output: string, version: string) {
  const [{signModelWithScan}, {runModelScan}, {SCAN_PREDICATE_TYPE}] = await Promise.all([
    import('../../src/attest/sign-statement.js'),
    import('../../src/attest/run-scan.js'),
    import('../../src/attest/scan-predicate.js'),
  ])
  const r = await signModelWithScan(modelPath, {...opts, scanAttestation: output, runScan: (p, scan) => runModelScan(p, version, scan)})
  const s = r.scan.report.summary
  const scanAttestation: NonNullable<SignReport['scanAttestation']> = {
    path: r.scan.output,
    predicateType: SCAN_PREDICATE_TYPE,
    verdict: s.failed || s.errors > 0 ? 'fail' : 'pass',
    findings: s.findings,
    maxSeverity: s.maxSeverity,
    files: s.files,
  }
  return {...r, scanAttestation}
}

type VerifyFlags = RegistryFlagValues & {
  signature?: string
  'ignore-paths'?: string[]
  'ignore-git-paths'?: boolean
  'allow-symlinks': boolean
  'ignore-unsigned-files': boolean
}

/**
 * Runs verification. On failure prints one line per problem on stderr and returns the report
 * with `failed: true`; the command then sets exit code 1 and still returns the --json report.
 */
export async function runVerify(
  cmd: ModelsealCommand,
  modelPath: string,
  flags: VerifyFlags,
  verifier: VerifierSpec,
  json: boolean,
): Promise<{report: (VerifyModelResult | VerifyOciResult) & {code?: string}; failed: boolean}> {
  if (isOciReference(modelPath)) return runVerifyOci(cmd, modelPath, flags, verifier, json)
  if (!flags.signature) throw new UsageError('E_USAGE', 'Missing required flag signature')
  try {
    const r = await verifyModel(modelPath, {
      signaturePath: flags.signature,
      verifier,
      ignorePaths: flags['ignore-paths'] ?? [],
      ignoreGitPaths: flags['ignore-git-paths'],
      allowSymlinks: flags['allow-symlinks'],
      ignoreUnsignedFiles: flags['ignore-unsigned-files'],
      progress: !json,
    })
    printWarnings(json, r.warnings)
    if (!json) {
      cmd.log(`Verification succeeded: ${escapeName(r.modelPath)}`)
      cmd.log(`  model sha256:${r.rootDigest} (${r.resources} resources), signed by ${escapeName(describeSigner(r))}`)
    }
    return {report: r, failed: false}
  } catch (err) {
    const report = (err as VerificationError).details as VerifyModelResult | undefined
    if (!(err instanceof VerificationError) || !report || !Array.isArray(report.problems)) throw err
    printWarnings(json, report.warnings)
    // Problems quote file names: escaped, so a name cannot print a line of its own.
    if (!json) for (const p of report.problems) process.stderr.write(`Verification failed: ${escapeName(p)}\n`)
    return {report: {...report, code: err.code}, failed: true}
  }
}

function describeSigner(r: VerifyModelResult): string {
  const s = r.signer
  if (!s) return 'unknown'
  if (s.method === 'key') return `key ${s.keyFingerprint}`
  if (s.method === 'certificate') return `certificate ${s.certificateSubject} (chain: ${(s.chain ?? []).join(' <- ')})`
  return `${s.subjectAlternativeNames?.join(', ') ?? s.certificateSubject ?? 'sigstore identity'}${s.oidcIssuer ? ` (issuer ${s.oidcIssuer})` : ''}`
}
