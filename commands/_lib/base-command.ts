import {Command, Errors} from '@oclif/core'

import {describeError, ExitCode} from '../../src/errors.js'

/**
 * Base of every modelseal command: `--json` on every command, and one way of failing.
 * An error becomes one line (`modelseal: CODE: message` on stderr, or
 * `{"error":{"code","message","exitCode"}}` on stdout under --json) and its documented exit
 * code (docs/exit-codes.md) — never a stack trace.
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

  protected override async catch(err: Error & {oclif?: {exit?: number}; code?: string}): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err
    // oclif's own errors (unknown flag, missing argument, bad option value) are usage errors.
    const isOclifError = err instanceof Errors.CLIError && !('exitCode' in err)
    const d = isOclifError
      ? {code: 'E_USAGE', message: firstLine(err.message), exitCode: ExitCode.USAGE}
      : describeError(err)
    if (this.jsonEnabled()) {
      this.logJson({error: {code: d.code, message: d.message, exitCode: d.exitCode, ...detailsOf(err)}})
    } else {
      process.stderr.write(`modelseal: ${d.code}: ${d.message}\n`)
    }
    throw new Errors.ExitError(d.exitCode)
  }
}

function detailsOf(err: unknown): {details?: unknown} {
  const details = (err as {details?: unknown}).details
  return details === undefined ? {} : {details}
}

function firstLine(message: string | undefined): string {
  // oclif appends "See more help with --help" lines; keep the reason only.
  return (message ?? 'usage error').split('\n')[0].trim()
}
