/**
 * Task handler of the worker engine for file hashing: hashes a batch of HashTasks one after
 * another (each task already overlaps its reads with hashing) so that many small files cost one
 * round trip, not one each. A failing task is reported in its slot; the others still run.
 */
import {defineHandler, type HandlerContext, type HandlerResult} from '../workers/engine.js'
import {serializeError, type SerializedError} from '../workers/protocol.js'
import {hashTask, type HashTask} from './file.js'

export type TaskOutcome = {ok: true; digest: Uint8Array; size: number} | {ok: false; error: SerializedError}

export async function handle(tasks: HashTask[], ctx: HandlerContext): Promise<HandlerResult<TaskOutcome[]>> {
  const outcomes: TaskOutcome[] = []
  const transfer: ArrayBuffer[] = []
  for (const task of tasks) {
    try {
      const r = await hashTask(task, {onProgress: ctx.progress})
      const digest = new Uint8Array(r.digest)
      outcomes.push({ok: true, digest, size: r.size})
      transfer.push(digest.buffer as ArrayBuffer)
    } catch (err) {
      outcomes.push({ok: false, error: serializeError(err)})
    }
  }
  return {value: outcomes, transfer}
}

export const hashBatchHandler = defineHandler(import.meta.url, handle)
