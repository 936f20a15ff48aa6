/** A handler module for the engine tests: echoes, fails, reports progress, or burns CPU on request. */
import {threadId} from 'node:worker_threads'

import {type ErrorCode, InputError} from '../../src/errors.js'
import {defineHandler, type HandlerContext, type HandlerResult} from '../../src/workers/engine.js'

export interface TestPayload {
  n: number
  /** Fail with this code (an InputError). */
  fail?: string
  /** Report this many bytes of progress, in steps of `step`. */
  bytes?: number
  step?: number
  /** Busy-loop this long (lets tasks overlap on different lanes). */
  spinMs?: number
  /** Return a buffer of this many bytes (moved, not copied). */
  buffer?: number
  /** Wait this long without blocking the thread (another task may start meanwhile). */
  waitMs?: number
  /** Return the value of globalThis.engineTestTurns when the task started. */
  probe?: boolean
}

export interface TestResult {
  n: number
  thread: number
  buffer?: Uint8Array
  /** Tasks running on this thread when this one started, itself included. */
  concurrent: number
  /** globalThis.engineTestTurns when the task started (with `probe`). */
  turns?: number
}

let running = 0

export function handle(p: TestPayload, ctx: HandlerContext): HandlerResult<TestResult> | Promise<HandlerResult<TestResult>> {
  if (p.waitMs) {
    const concurrent = ++running
    return new Promise((resolve) => setTimeout(resolve, p.waitMs)).then(() => {
      running--
      return {value: {n: p.n, thread: threadId, concurrent}}
    })
  }
  if (p.probe) return {value: {n: p.n, thread: threadId, concurrent: 1, turns: (globalThis as {engineTestTurns?: number}).engineTestTurns}}
  if (p.spinMs) for (const end = Date.now() + p.spinMs; Date.now() < end; );
  if (p.fail) throw new InputError(p.fail as ErrorCode, `task ${p.n} failed on purpose`)
  for (let done = 0; done < (p.bytes ?? 0); done += p.step ?? 1) ctx.progress(Math.min(p.step ?? 1, (p.bytes ?? 0) - done))
  const buffer = p.buffer ? new Uint8Array(p.buffer).fill(p.n & 255) : undefined
  return {value: {n: p.n, thread: threadId, buffer, concurrent: 1}, transfer: buffer ? [buffer.buffer as ArrayBuffer] : []}
}

export const testHandler = defineHandler(import.meta.url, handle)
