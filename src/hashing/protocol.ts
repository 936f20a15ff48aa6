/** Messages between the hash pool and its workers, and how errors cross the thread boundary. */
import {describeError, ExitCode, InputError, ModelsealError, UsageError, VerificationError} from '../errors.js'
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
  if (e.exitCode === ExitCode.USAGE) return new UsageError(e.code, e.message)
  if (e.exitCode === ExitCode.FAILED) return new VerificationError(e.code, e.message)
  return new InputError(e.code, e.message)
}
