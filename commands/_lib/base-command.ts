import {Command, Errors, type Interfaces} from '@oclif/core'

import {describeError, ExitCode} from '../../src/errors.js'
import {redactDeep, redactSecrets} from '../../src/util/redact.js'
import {mistypedSubcommand, nonGreedyFlags, normalizeArgv, positionals, usageReason} from './argv.js'

/**
 * Base of every modelseal command: `--json` on every command, model_signing's flag spellings
 * (commands/_lib/argv.ts), and one way of failing. An error becomes one line (`modelseal: CODE:
 * message` on stderr, or `{"error":{"code","message","exitCode"}}` on stdout under --json) and
 * its documented exit code (docs/exit-codes.md) — never a stack trace, never a credential.
 *
 * A command that completes but must still exit non-zero (verification failed, findings at or
 * above the threshold, policy denied) calls `this.setExitCode(1)` and returns its result, so the
 * JSON report is printed as usual.
 */
export abstract class ModelsealCommand extends Command {
  static override enableJsonFlag = true

  protected setExitCode(code: number): void {
    process.exitCode = code
  }

  /** Writes a report line to stdout unless --json is on. */
  protected out(line: string): void {
    this.log(line)
  }

  // oclif's FlagOutput/ArgOutput (`{[name: string]: any}`) are not exported; restated here.
  protected override async parse<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options?: Interfaces.Input<F, B, A>,
    argv: string[] = this.argv,
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const input = (options ?? this.ctor) as Interfaces.Input<F, B, A>
    const known = {...(input.baseFlags ?? {}), ...(input.flags ?? {}), ...(input.enableJsonFlag ? {json: {type: 'boolean'}} : {})}
    const normalized = normalizeArgv(argv, known as never)
    this.argv = normalized
    this.refuseMistypedMethod(positionals(normalized, known as never))
    // Read as properties, not spread: a command class inherits statics such as enableJsonFlag.
    const withNonGreedyFlags = {
      flags: nonGreedyFlags((input.flags ?? {}) as never),
      baseFlags: input.baseFlags,
      enableJsonFlag: input.enableJsonFlag,
      args: input.args,
      strict: input.strict,
      context: input.context,
      '--': input['--'],
    } as Interfaces.Input<F, B, A>
    return super.parse(withNonGreedyFlags, normalized)
  }

  /** `verify certificat ./m`: say "did you mean verify certificate" instead of parsing a path. */
  private refuseMistypedMethod(args: string[]): void {
    if (!this.id) return
    const prefix = `${this.id}:`
    const methods = this.config.commandIDs.filter((id) => id.startsWith(prefix) && !id.slice(prefix.length).includes(':'))
    if (methods.length === 0) return
    const first = args[0]
    const names = methods.map((id) => id.slice(prefix.length))
    const guess = mistypedSubcommand(first, names)
    if (guess) {
      const topic = this.id.replaceAll(':', ' ')
      throw new Errors.CLIError(`"${topic} ${first}" is not a command and ${first} is no file: did you mean "${topic} ${guess}"?`)
    }
  }

  protected override async catch(err: Error & {oclif?: {exit?: number}; code?: string}): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err
    // oclif's own errors (unknown flag, missing argument, bad option value) are usage errors.
    const isOclifError = err instanceof Errors.CLIError && !('exitCode' in err)
    const d = isOclifError ? {code: 'E_USAGE', message: redactSecrets(usageReason(err.message)), exitCode: ExitCode.USAGE} : describeError(err)
    if (this.jsonEnabled()) {
      this.logJson({error: {code: d.code, message: d.message, exitCode: d.exitCode, ...detailsOf(err)}})
    } else {
      process.stderr.write(`modelseal: ${d.code}: ${d.message}\n`)
    }
    throw new Errors.ExitError(d.exitCode)
  }
}

type ParsedValues = {[name: string]: any}

function detailsOf(err: unknown): {details?: unknown} {
  const details = (err as {details?: unknown}).details
  return details === undefined ? {} : {details: redactDeep(details)}
}
