/** Messages between the worker engine and its threads, and how errors cross the thread boundary. */
import {describeError, ExitCode, InputError, isErrorCode, type ModelsealError, UsageError, VerificationError} from '../errors.js'

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
  | {type: 'progress'; id: number; bytes: number}
  | {type: 'done'; id: number; value: unknown}
  | {type: 'failed'; id: number; error: SerializedError}

export function serializeError(err: unknown): SerializedError {
  const d = describeError(err)
  return {code: d.code, message: d.message, exitCode: d.exitCode}
}

/** The error a task failed with, as the same class (and so the same exit code) on this side. */
export function reviveError(e: SerializedError): ModelsealError {
  // A code crosses the thread boundary as a string: only a known code survives the trip.
  const code = isErrorCode(e.code) ? e.code : 'E_INTERNAL'
  if (e.exitCode === ExitCode.USAGE) return new UsageError(code, e.message)
  if (e.exitCode === ExitCode.FAILED) return new VerificationError(code, e.message)
  return new InputError(code, e.message)
}
