/** Messages between the worker engine and its threads, and how errors cross the thread boundary. */
import {describeError, ExitCode, InputError, isErrorCode, ModelsealError, UsageError, VerificationError} from '../errors.js'

export interface TaskRequest {
  id: number
  /** URL of the handler module. */
  handler: string
  payload: unknown
}

export interface SerializedError {
  code: string
  message: string
  exitCode: number
}

export type TaskReply =
  /** The thread's code has loaded (sent once, before any other reply). */
  | {type: 'ready'}
  | {type: 'progress'; id: number; bytes: number}
  | {type: 'done'; id: number; value: unknown}
  | {type: 'failed'; id: number; error: SerializedError}

export function serializeError(err: unknown): SerializedError {
  const d = describeError(madeElsewhere(err) ?? err)
  return {code: d.code, message: d.message, exitCode: d.exitCode}
}

/**
 * An error of ours made by another copy of errors.ts: the worker bundle (dist/worker.cjs) has its
 * own, and a handler module it does not hold is imported from the compiled modules with theirs,
 * so `instanceof` fails. Known by its shape: a known code and a failing exit code; anything else
 * stays an internal error.
 */
function madeElsewhere(err: unknown): ModelsealError | undefined {
  if (err instanceof ModelsealError || !(err instanceof Error)) return undefined
  const {code, exitCode} = err as {code?: unknown; exitCode?: unknown}
  if (!isErrorCode(code) || (exitCode !== ExitCode.FAILED && exitCode !== ExitCode.USAGE && exitCode !== ExitCode.INPUT)) return undefined
  return reviveError({code, message: err.message, exitCode})
}

/** The error a task failed with, as the same class (and so the same exit code) on this side. */
export function reviveError(e: SerializedError): ModelsealError {
  // A code crosses the thread boundary as a string: only a known code survives the trip.
  const code = isErrorCode(e.code) ? e.code : 'E_INTERNAL'
  if (e.exitCode === ExitCode.USAGE) return new UsageError(code, e.message)
  if (e.exitCode === ExitCode.FAILED) return new VerificationError(code, e.message)
  return new InputError(code, e.message)
}
