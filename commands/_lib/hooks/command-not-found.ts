/**
 * oclif `command_not_found` hook: a mistyped command is a usage error (exit 2) in modelseal's
 * one-line format, with the closest command suggested (`verfy` → `verify`), also under --json.
 */
import {Errors, type Hook} from '@oclif/core'

import {ExitCode} from '../../../src/errors.js'
import {redactSecrets} from '../../../src/util/redact.js'
import {closest} from '../argv.js'

const hook: Hook<'command_not_found'> = async (opts) => {
  const sep = opts.config.topicSeparator ?? ' '
  const wanted = opts.id.replaceAll(':', sep)
  const names = [...new Set([...opts.config.commandIDs, ...opts.config.topics.map((t) => t.name)])].map((id) => id.replaceAll(':', sep))
  const guess =
    closest(wanted, names) ??
    closest(
      wanted.split(sep)[0],
      names.filter((n) => !n.includes(sep)),
    )
  const message = redactSecrets(`"${wanted}" is not a modelseal command${guess ? `: did you mean "${guess}"?` : ''} (see "modelseal --help")`)
  if ((opts.argv ?? []).includes('--json')) {
    process.stdout.write(`${JSON.stringify({error: {code: 'E_UNKNOWN_COMMAND', message, exitCode: ExitCode.USAGE}}, null, 2)}\n`)
  } else {
    process.stderr.write(`modelseal: E_UNKNOWN_COMMAND: ${message}\n`)
  }
  throw new Errors.ExitError(ExitCode.USAGE)
}

export default hook
