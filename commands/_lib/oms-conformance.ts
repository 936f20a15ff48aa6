/**
 * The OMS conformance suite's client protocol (`sign-model` / `verify-model`, see
 * docs/signing.md "Conformance suite"), mapped onto the library: no oclif, so each case costs
 * one short process. Exit 0 success; 1 verification or signing failed; 2 usage; 3 unreadable
 * input — the suite only distinguishes zero from non-zero.
 */
import {parseArgs} from 'node:util'

import {describeError, ExitCode, UsageError} from '../../src/errors.js'
import {signModel} from '../../src/oms/sign.js'
import {verifyModel} from '../../src/oms/verify.js'
import type {SignerSpec, VerifierSpec} from '../../src/signing/types.js'
import {redactSecrets} from '../../src/util/redact.js'

const OPTIONS = {
  method: {type: 'string'},
  'model-path': {type: 'string'},
  'output-bundle': {type: 'string'},
  bundle: {type: 'string'},
  'private-key': {type: 'string'},
  password: {type: 'string'},
  'signing-cert': {type: 'string'},
  'cert-chain': {type: 'string', multiple: true},
  'public-key': {type: 'string'},
  identity: {type: 'string'},
  'identity-provider': {type: 'string'},
  'identity-token': {type: 'string'},
  'trust-config': {type: 'string'},
  'trusted-root': {type: 'string'},
  'use-staging': {type: 'boolean'},
  'ignore-paths': {type: 'string', multiple: true},
  'ignore-unsigned-files': {type: 'boolean'},
} as const

type Values = ReturnType<typeof parseArgs<{options: typeof OPTIONS; allowPositionals: true}>>['values']

const METHODS = ['key', 'certificate', 'sigstore'] as const

function need(v: Values, name: keyof Values, why: string): string {
  const value = v[name]
  if (typeof value !== 'string' || value === '') throw new UsageError('E_USAGE', `--${name} is required ${why}`)
  return value
}

function method(v: Values): (typeof METHODS)[number] {
  const m = need(v, 'method', 'for every operation')
  if (!(METHODS as readonly string[]).includes(m)) throw new UsageError('E_USAGE', `--method must be one of ${METHODS.join(', ')}, got "${m}"`)
  return m as (typeof METHODS)[number]
}

function signer(v: Values): SignerSpec {
  const m = method(v)
  if (m === 'key') return {method: 'key', privateKeyPath: need(v, 'private-key', 'for --method key'), password: v.password}
  if (m === 'certificate') {
    return {
      method: 'certificate',
      privateKeyPath: need(v, 'private-key', 'for --method certificate'),
      password: v.password,
      signingCertificatePath: need(v, 'signing-cert', 'for --method certificate'),
      certificateChainPaths: v['cert-chain'] ?? [],
    }
  }
  return {method: 'sigstore', identityToken: v['identity-token'], useStaging: v['use-staging'] ?? false, trustConfigPath: v['trust-config']}
}

function verifier(v: Values): VerifierSpec {
  const m = method(v)
  if (m === 'key') return {method: 'key', publicKeyPath: need(v, 'public-key', 'for --method key')}
  if (m === 'certificate') {
    const chain = v['cert-chain'] ?? []
    if (chain.length === 0) throw new UsageError('E_USAGE', '--cert-chain is required for --method certificate')
    return {method: 'certificate', certificateChainPaths: chain}
  }
  return {
    method: 'sigstore',
    identity: need(v, 'identity', 'for --method sigstore'),
    issuer: need(v, 'identity-provider', 'for --method sigstore'),
    useStaging: v['use-staging'] ?? false,
    trustConfigPath: v['trust-config'],
    trustedRootPath: v['trusted-root'],
  }
}

export async function runConformanceAdapter(argv: string[]): Promise<number> {
  try {
    const [operation, ...rest] = argv
    if (operation !== 'sign-model' && operation !== 'verify-model') {
      throw new UsageError('E_USAGE', `unknown operation "${operation ?? ''}": sign-model or verify-model`)
    }
    const {values: v} = parseArgs({args: rest, options: OPTIONS, allowPositionals: false, strict: true})
    const modelPath = need(v, 'model-path', 'for every operation')
    if (operation === 'sign-model') {
      await signModel(modelPath, {
        signer: signer(v),
        signaturePath: need(v, 'output-bundle', 'for sign-model'),
        ignorePaths: v['ignore-paths'] ?? [],
        ignoreGitPaths: true,
      })
      return ExitCode.OK
    }
    await verifyModel(modelPath, {
      signaturePath: need(v, 'bundle', 'for verify-model'),
      verifier: verifier(v),
      ignorePaths: v['ignore-paths'] ?? [],
      ignoreGitPaths: true,
      ignoreUnsignedFiles: v['ignore-unsigned-files'] ?? false,
    })
    return ExitCode.OK
  } catch (err) {
    const isParseError = (err as {code?: string}).code?.startsWith('ERR_PARSE_ARGS')
    const d = isParseError ? {code: 'E_USAGE', message: (err as Error).message, exitCode: ExitCode.USAGE} : describeError(err)
    const problems = ((err as {details?: {problems?: unknown}}).details?.problems ?? []) as unknown[]
    process.stderr.write(`modelseal-oms-conformance: ${d.code}: ${redactSecrets(d.message)}\n`)
    for (const p of Array.isArray(problems) ? problems : []) process.stderr.write(`  ${redactSecrets(String(p))}\n`)
    return d.exitCode
  }
}
