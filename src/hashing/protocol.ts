/** Messages between the hash pool and its workers, and how errors cross the thread boundary. */
import {describeError, ExitCode, InputError, isErrorCode, ModelsealError, UsageError, VerificationError} from '../errors.js'
import type {HashTask} from './file.js'

export interface BatchRequest {
  id: number
  tasks: HashTask[]
}

export interface SerializedError {
  code: string
  message: string
  exitCode: number
}

export type TaskOutcome = {ok: true; digest: Uint8Array; size: number} | {ok: false; error: SerializedError}

export type BatchReply =
  | {type: 'progress'; id: number; bytes: number}
  | {type: 'done'; id: number; outcomes: TaskOutcome[]; bytes: number}

export function describeTaskError(err: unknown): SerializedError {
  const d = describeError(err)
  return {code: d.code, message: d.message, exitCode: d.exitCode}
}

export function reviveError(e: SerializedError): ModelsealError {
  // The code crossed a thread boundary as a string: only a known one is taken at its word.
  const code = isErrorCode(e.code) ? e.code : 'E_INTERNAL'
  if (e.exitCode === ExitCode.USAGE) return new UsageError(code, e.message)
  if (e.exitCode === ExitCode.FAILED) return new VerificationError(code, e.message)
  return new InputError(code, e.message)
}
