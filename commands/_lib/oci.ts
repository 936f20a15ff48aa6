/**
 * `oci://` handling shared by the commands: registry flags, the verification flags of `pull`
 * and `scan oci://…`, and the OCI branches of `sign …` / `verify …` (kept here so the model
 * signing commands only gain a one-line hand-off).
 */
import {Flags} from '@oclif/core'

import {UsageError, VerificationError} from '../../src/errors.js'
import type {RegistryOptions} from '../../src/oci/resolve.js'
import {isOciReference} from '../../src/oci/reference.js'
import type {VerifyOciResult} from '../../src/oci/verify.js'
import type {SignerSpec, VerifierSpec} from '../../src/signing/types.js'
import type {ModelsealCommand} from './base-command.js'
import {keylessVerifyFlags, keylessVerifyOptions} from './sigstore-flags.js'

export {isOciReference}

/** How to reach a registry (every command that accepts oci://). */
export const registryFlags = {
  'plain-http': Flags.boolean({default: false, description: 'oci:// only: talk plain HTTP to the registry (local registries; https is the default)'}),
  'registry-username': Flags.string({
    description: 'oci:// only: registry username (default: Docker config / credential helpers)',
    env: 'MODELSEAL_REGISTRY_USERNAME',
  }),
  'registry-password': Flags.string({
    description: 'oci:// only: registry password or token; prefer the environment variable',
    env: 'MODELSEAL_REGISTRY_PASSWORD',
  }),
  platform: Flags.string({description: 'oci:// only: pick the manifest for OS/ARCH[/VARIANT] when the reference is an index'}),
  'manifest-digest': Flags.string({description: 'oci:// only: pick this manifest (sha256:…) when the reference is an index'}),
}

export type RegistryFlagValues = {
  'plain-http': boolean
  'registry-username'?: string
  'registry-password'?: string
  platform?: string
  'manifest-digest'?: string
}

export function registryOptions(f: RegistryFlagValues): RegistryOptions {
  return {
    plainHttp: f['plain-http'],
    username: f['registry-username'],
    password: f['registry-password'],
    platform: f.platform,
    manifestDigest: f['manifest-digest'],
  }
}

/** Signing flags that only mean something for oci:// (added to every `sign …`). */
export const ociSignFlags = {
  ...registryFlags,
  'include-config': Flags.boolean({
    default: false,
    description: 'oci:// only: also sign the config blob, as the resource "config.json" (what the model_signing Go port does)',
  }),
}

/** Keyless verification flags without the "exactly one required" rules (checked when --verify sigstore). */
const optionalKeylessFlags = Object.fromEntries(
  Object.entries(keylessVerifyFlags).map(([k, v]) => [k, {...v, exactlyOne: undefined, exclusive: undefined}]),
) as typeof keylessVerifyFlags

/** How `pull` and `scan oci://…` verify before anything lands on disk. */
export const ociVerifyFlags = {
  ...registryFlags,
  verify: Flags.option({
    options: ['key', 'certificate', 'sigstore'] as const,
    description: 'Verification method the model must pass before it lands on disk',
  })(),
  'public-key': Flags.string({description: '--verify key: PEM public key of the signer'}),
  'certificate-chain': Flags.string({multiple: true, description: '--verify certificate: trusted CA certificate(s) (repeatable)'}),
  signature: Flags.string({description: 'Verify with this local bundle instead of the signatures attached in the registry'}),
  ...optionalKeylessFlags,
}

type VerifyFlagValues = {verify?: 'key' | 'certificate' | 'sigstore'; 'public-key'?: string; 'certificate-chain'?: string[]} & Parameters<
  typeof keylessVerifyOptions
>[0]

export function verifierFromFlags(f: VerifyFlagValues): VerifierSpec {
  if (!f.verify) throw new UsageError('E_USAGE', 'an oci:// model lands on disk only verified: give --verify key|certificate|sigstore and its flags')
  if (f.verify === 'key') {
    if (!f['public-key']) throw new UsageError('E_USAGE', '--verify key needs --public-key')
    return {method: 'key', publicKeyPath: f['public-key']}
  }
  if (f.verify === 'certificate') {
    if (!f['certificate-chain']?.length) throw new UsageError('E_USAGE', '--verify certificate needs --certificate-chain')
    return {method: 'certificate', certificateChainPaths: f['certificate-chain']}
  }
  const one = (a: unknown, b: unknown, names: string) => {
    if ((a === undefined) === (b === undefined)) throw new UsageError('E_USAGE', `--verify sigstore needs exactly one of ${names}`)
  }
  one(f.identity, f['identity-regexp'], '--identity, --identity-regexp')
  one(f['identity-provider'], f['identity-provider-regexp'], '--identity-provider, --identity-provider-regexp')
  return {method: 'sigstore', ...keylessVerifyOptions(f)}
}

/** `sign … oci://…`: the sign report plus where the signature went. */
export interface OciSignReport {
  signed: true
  method: SignerSpec['method']
  modelPath: string
  signaturePath: string | null
  rootDigest: string
  resources: number
  serialization: unknown
  keyHint: string | null
  warnings: string[]
  oci: {reference: string; manifestDigest: string; signatureDigest: string | null; attachedVia: 'api' | 'tag' | null; coversConfig: boolean}
}

const BUNDLES = new WeakMap<object, Record<string, unknown>>()

/** The bundle a sign report was made with (for commands that describe it). */
export function bundleOfReport(report: object): Record<string, unknown> | undefined {
  return BUNDLES.get(report)
}

function printWarnings(json: boolean, warnings: string[] | undefined): void {
  if (json) return
  for (const w of warnings ?? []) process.stderr.write(`modelseal: warning: ${w}\n`)
}

export async function runSignOci(
  cmd: ModelsealCommand,
  reference: string,
  flags: RegistryFlagValues & {'include-config': boolean; 'ignore-paths'?: string[]; signature?: string},
  signer: SignerSpec,
  json: boolean,
): Promise<OciSignReport> {
  // The local bundle is written only when --signature was typed (its default is for directories).
  const explicitSignature = cmd.argv.some((a) => a === '--signature' || a.startsWith('--signature='))
  // The registry client (node:http, node:https, TLS) loads only for oci:// models: every sign and
  // verify command imports this file for its flags, and a local model must not pay for it at start.
  const {signOciModel} = await import('../../src/oci/sign.js')
  const r = await signOciModel(reference, {
    ...registryOptions(flags),
    signer,
    includeConfig: flags['include-config'],
    ignorePaths: flags['ignore-paths'],
    signaturePath: explicitSignature ? flags.signature : undefined,
  })
  if (!json) {
    cmd.log(`Signing succeeded: ${r.reference}`)
    cmd.log(`  model sha256:${r.manifest.rootDigest} (${r.manifest.resources.length} layers${flags['include-config'] ? ' + config' : ''})`)
    cmd.log(`  signature ${r.signatureDigest} attached as a referrer (${r.attachedVia === 'api' ? 'referrers API' : 'referrers tag schema'})`)
    if (r.signaturePath) cmd.log(`  also written to ${r.signaturePath}`)
  }
  const report: OciSignReport = {
    signed: true,
    method: signer.method,
    modelPath: reference,
    signaturePath: r.signaturePath ?? null,
    rootDigest: r.manifest.rootDigest,
    resources: r.manifest.resources.length,
    serialization: r.manifest.serialization,
    keyHint: r.keyHint ?? null,
    warnings: [],
    oci: {
      reference: r.reference,
      manifestDigest: r.manifestDigest,
      signatureDigest: r.signatureDigest ?? null,
      attachedVia: r.attachedVia ?? null,
      coversConfig: flags['include-config'],
    },
  }
  BUNDLES.set(report, r.bundle)
  return report
}

export async function runVerifyOci(
  cmd: ModelsealCommand,
  reference: string,
  flags: RegistryFlagValues & {signature?: string; 'ignore-paths'?: string[]; 'ignore-unsigned-files': boolean},
  verifier: VerifierSpec,
  json: boolean,
): Promise<{report: VerifyOciResult & {code?: string}; failed: boolean}> {
  const {verifyOciModel} = await import('../../src/oci/verify.js')
  try {
    const {report} = await verifyOciModel(reference, {
      ...registryOptions(flags),
      verifier,
      signaturePath: flags.signature,
      ignoreUnsignedFiles: flags['ignore-unsigned-files'],
      ignorePaths: flags['ignore-paths'],
    })
    printWarnings(json, report.warnings)
    if (!json) {
      cmd.log(`Verification succeeded: ${report.reference}`)
      cmd.log(
        `  model sha256:${report.rootDigest} (${report.resources} layers${report.coversConfig ? ' incl. config' : ''}), signature ${report.signatureDigest ?? flags.signature} (${report.signaturesVia})`,
      )
    }
    return {report, failed: false}
  } catch (err) {
    const report = (err as VerificationError).details as VerifyOciResult | undefined
    if (!(err instanceof VerificationError) || !report || !Array.isArray(report.problems)) throw err
    printWarnings(json, report.warnings)
    if (!json) for (const p of report.problems) process.stderr.write(`Verification failed: ${p}\n`)
    return {report: {...report, code: err.code}, failed: true}
  }
}

/** Replaces a temporary directory in a report's `model.path` with the registry reference it came from. */
export function labelWithReference<T>(report: T, reference: string): T {
  const model = (report as {model?: {path?: unknown}}).model
  if (model && typeof model.path === 'string') model.path = reference
  return report
}

/** Runs `work` with every oci:// path replaced by a verified pull of it (removed afterwards). */
export async function withVerifiedOciPaths<T>(
  paths: string[],
  flags: RegistryFlagValues & VerifyFlagValues & {signature?: string},
  work: (paths: string[]) => Promise<T>,
): Promise<T> {
  const i = paths.findIndex((p) => isOciReference(p))
  if (i < 0) return work(paths)
  const verifier = verifierFromFlags(flags)
  const {withVerifiedPull} = await import('../../src/oci/temp-pull.js')
  return withVerifiedPull(paths[i], {...registryOptions(flags), verifier, signaturePath: flags.signature}, (dir) =>
    withVerifiedOciPaths([...paths.slice(0, i), dir, ...paths.slice(i + 1)], flags, work),
  )
}
