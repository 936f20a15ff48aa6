import {Args, Flags} from '@oclif/core'

import {ModelsealError} from '../../src/errors.js'
import type {SchemaIssue} from '../../src/policy/checker.js'
import {lintPolicy, type LintReport} from '../../src/policy/lint.js'
import {inspectPolicy} from '../../src/policy/load.js'
import type {Policy} from '../../src/policy/types.js'
import {loadCertificates} from '../../src/signing/certificate.js'
import {parseTrustedRoot, readJsonFile} from '../../src/signing/keyless/trust-files.js'
import {loadPublicKey} from '../../src/signing/keys.js'
import {ModelsealCommand} from '../_lib/base-command.js'
import {parseAtFlag} from '../_lib/policy-flags.js'

/** `policy lint A B --json` (several files): one report per file. One file prints its LintReport. */
export interface MultiLintReport {
  ok: boolean
  errors: number
  warnings: number
  reports: LintReport[]
}

export default class PolicyLint extends ModelsealCommand {
  static override summary = 'Check policy files: schema, unknown keys, regular expressions, expiry, waivers, and the trust files they name'
  static override description =
    `Validates each policy against its schema (every error names the line and the key) and looks for what makes a policy weaker than it reads: unknown keys (typos), regular expressions that do not parse on their own, leave the RE2 subset or are unbounded at either end, an expired policy, waivers without an expiry or already expired, identities nobody uses, two identities for one key (an error), a private key where a public key belongs. The files the policy names — spec.trust.trustedRoot, public keys, CA certificates — must exist and parse, so "policy check" cannot fail later on a missing trust file.

Several files may be given (\`policy lint policies/*.yaml\`). Exit 0 when no file has errors (warnings are printed), 3 when one has errors or cannot be parsed.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> policies/production.yaml',
    '<%= config.bin %> <%= command.id %> policies/*.yaml',
    '<%= config.bin %> <%= command.id %> my-policy.yaml --json',
    '<%= config.bin %> <%= command.id %> my-policy.yaml --at 2027-01-01T00:00:00Z',
  ]
  static override strict = false
  static override args = {file: Args.string({required: true, description: 'Policy file(s) (YAML)'})}
  static override flags = {
    at: Flags.string({description: 'Judge expiries at this RFC 3339 time instead of now'}),
  }

  public async run(): Promise<LintReport | MultiLintReport> {
    const {argv, flags} = await this.parse(PolicyLint)
    const at = parseAtFlag(flags.at)
    const reports: LintReport[] = []
    for (const file of argv as string[]) {
      const report = lintPolicy(file, at)
      if (report.policy) await addTrustFileIssues(report, file)
      reports.push(report)
      if (!this.jsonEnabled()) {
        for (const i of report.issues) {
          const where = `${file}${i.line ? `:${i.line}` : ''}`
          process.stdout.write(`${where}: ${i.level}: ${i.key}: ${i.message} [${i.code}]\n`)
        }
        this.log(
          `${report.ok ? 'OK' : 'INVALID'}: ${file}: ${report.errors} error(s), ${report.warnings} warning(s)${report.policy ? ` — policy ${report.policy.name} (${report.policy.mode}, expires ${report.policy.expires})` : ''}`,
        )
      }
    }
    const ok = reports.every((r) => r.ok)
    if (!ok) this.setExitCode(3)
    if (reports.length === 1) return reports[0]
    return {ok, errors: reports.reduce((n, r) => n + r.errors, 0), warnings: reports.reduce((n, r) => n + r.warnings, 0), reports}
  }
}

/** Adds an error for each trust file the policy names that is missing or does not parse. */
async function addTrustFileIssues(report: LintReport, file: string): Promise<void> {
  let policy: Policy | undefined
  try {
    policy = inspectPolicy(file).policy
  } catch {
    return
  }
  if (!policy) return
  const issues: SchemaIssue[] = []
  const check = async (key: string, code: string, what: string, fn: () => unknown) => {
    try {
      await fn()
    } catch (err) {
      if (!(err instanceof ModelsealError) && typeof (err as {code?: unknown}).code !== 'string') throw err
      issues.push({level: 'error', code, key, message: `${what}: ${(err as Error).message}`})
    }
  }
  const root = policy.trustedRoot
  if (root)
    await check('spec.trust.trustedRoot', 'TRUSTED_ROOT_UNUSABLE', 'trusted root', () =>
      parseTrustedRoot(readJsonFile(root, 'trusted root', 'E_POLICY_TRUSTED_ROOT'), root),
    )
  for (const [name, id] of policy.identities) {
    const key = `spec.trust.identities.${name}`
    // The schema check may already have reported this identity's file.
    if (report.issues.some((i) => i.key === key && i.level === 'error')) continue
    const spec = id.spec
    if (spec.kind === 'key' && spec.path) await check(key, 'KEY_FILE_UNUSABLE', 'public key', () => loadPublicKey(spec.path as string))
    if (spec.kind === 'certificate') await check(key, 'CERTIFICATE_FILE_UNUSABLE', 'CA certificate(s)', () => loadCertificates(spec.chain))
  }
  report.issues.push(...issues)
  report.errors += issues.length
  report.ok = report.ok && issues.length === 0
}
