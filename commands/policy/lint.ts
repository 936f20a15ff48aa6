import {Args, Flags} from '@oclif/core'

import {lintPolicy, type LintReport} from '../../src/policy/lint.js'
import {parseAtFlag} from '../_lib/policy-flags.js'
import {ModelsealCommand} from '../_lib/base-command.js'

export default class PolicyLint extends ModelsealCommand {
  static override summary = 'Check a policy file: schema, unknown keys, regular expressions, expiry, waivers'
  static override description = `Validates the policy against its schema (every error names the line and the key) and looks for what makes a policy weaker than it reads: unknown keys (typos), regular expressions that do not parse on their own, leave the RE2 subset or are unbounded at either end, an expired policy, waivers without an expiry or already expired, identities nobody uses, two identities for one key (an error), a private key where a public key belongs.

Exit 0 when there are no errors (warnings are printed), 3 when the policy has errors or cannot be parsed.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> policies/production.yaml',
    '<%= config.bin %> <%= command.id %> my-policy.yaml --json',
    '<%= config.bin %> <%= command.id %> my-policy.yaml --at 2027-01-01T00:00:00Z',
  ]
  static override args = {file: Args.string({required: true, description: 'Policy file (YAML)'})}
  static override flags = {
    at: Flags.string({description: 'Judge expiries at this RFC 3339 time instead of now'}),
  }

  public async run(): Promise<LintReport> {
    const {args, flags} = await this.parse(PolicyLint)
    const report = lintPolicy(args.file, parseAtFlag(flags.at))
    if (!this.jsonEnabled()) {
      for (const i of report.issues) {
        const where = `${args.file}${i.line ? `:${i.line}` : ''}`
        process.stdout.write(`${where}: ${i.level}: ${i.key}: ${i.message} [${i.code}]\n`)
      }
      this.log(`${report.ok ? 'OK' : 'INVALID'}: ${args.file}: ${report.errors} error(s), ${report.warnings} warning(s)${report.policy ? ` — policy ${report.policy.name} (${report.policy.mode}, expires ${report.policy.expires})` : ''}`)
    }
    if (!report.ok) this.setExitCode(3)
    return report
  }
}
