/**
 * Typed errors with stable codes. Every failure modelseal reports carries a `code` (stable,
 * machine-readable, documented in docs/exit-codes.md) and the process exit code it maps to.
 */
import {redactSecrets} from './util/redact.js'

export const ExitCode = {
  /** success, clean, allowed */
  OK: 0,
  /** verification failed, findings at or above threshold, policy denied */
  FAILED: 1,
  /** usage error: bad flags or arguments */
  USAGE: 2,
  /** input could not be read or parsed */
  INPUT: 3,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export class ModelsealError extends Error {
  readonly code: string
  readonly exitCode: ExitCodeValue
  /** Extra machine-readable detail (e.g. the list of problems found by verification). */
  readonly details?: unknown

  constructor(code: string, message: string, exitCode: ExitCodeValue, details?: unknown) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.exitCode = exitCode
    this.details = details
  }
}

/** Verification, scan threshold or policy failure: exit 1. */
export class VerificationError extends ModelsealError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ExitCode.FAILED, details)
  }
}

/** The user asked for something impossible or contradictory: exit 2. */
export class UsageError extends ModelsealError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ExitCode.USAGE, details)
  }
}

/** Input missing, unreadable, malformed or hostile: exit 3. */
export class InputError extends ModelsealError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, ExitCode.INPUT, details)
  }
}

/** Turns anything thrown into a one-line message with a code and exit code; never a stack trace. */
export function describeError(err: unknown): {code: string; message: string; exitCode: ExitCodeValue} {
  const d = describeUnredacted(err)
  return {...d, message: redactSecrets(d.message)}
}

function describeUnredacted(err: unknown): {code: string; message: string; exitCode: ExitCodeValue} {
  if (err instanceof ModelsealError) return {code: err.code, message: oneLine(err.message), exitCode: err.exitCode}
  const e = err as {code?: unknown; message?: unknown} | undefined
  const sysCode = typeof e?.code === 'string' ? e.code : undefined
  const message = oneLine(typeof e?.message === 'string' ? e.message : String(err))
  if (sysCode && /^E[A-Z]+$/.test(sysCode)) {
    // Node system errors (ENOENT, EACCES, EISDIR, ...) mean the input could not be read.
    return {code: 'E_IO', message, exitCode: ExitCode.INPUT}
  }
  if (err instanceof RangeError && /call stack/i.test(message)) {
    return {code: 'E_TOO_DEEP', message: 'input nests too deeply', exitCode: ExitCode.INPUT}
  }
  // Fail closed: an unexpected internal error is never success, and never "verified".
  return {code: 'E_INTERNAL', message: `internal error: ${message}`, exitCode: ExitCode.INPUT}
}

export function oneLine(s: string): string {
  const line = s.replace(/\s*\n\s*/g, ' ').trim()
  return line.length > 2000 ? `${line.slice(0, 2000)}…` : line
}
