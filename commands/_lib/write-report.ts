import {writeFileSync} from 'node:fs'

import {InputError} from '../../src/errors.js'

/** Writes a report file named by --output; a path that cannot be written is E_OUTPUT_WRITE (exit 3). */
export function writeReportFile(output: string, body: string): void {
  try {
    writeFileSync(output, body.endsWith('\n') ? body : `${body}\n`)
  } catch (error) {
    throw new InputError('E_OUTPUT_WRITE', `cannot write ${output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
  }
}

/** A report goes to --output FILE (a one-line note on stderr) or to stdout. */
export function writeReport(body: string, output: string | undefined, log: (line: string) => void): void {
  if (!output) {
    log(body)
    return
  }
  writeReportFile(output, body)
  process.stderr.write(`modelseal: wrote report to ${output}\n`)
}
