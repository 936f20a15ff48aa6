/**
 * What every engine worker thread runs (engine.ts): runs each task's handler module (loaded once
 * per thread) and answers with its result, progress in coarse steps on the way. Two entries start
 * it: worker.ts (the compiled modules; a handler module is imported by its URL) and the worker
 * bundle dist/worker.cjs (scripts/bundle.mjs: this module and every handler module in one
 * CommonJS file, so that a thread starts without Node's ES module loader; a handler module not in
 * it is imported by its URL the same way).
 */
import {parentPort} from 'node:worker_threads'

import type {Handler} from './engine.js'
import {serializeError, type TaskReply, type TaskRequest} from './protocol.js'

/** Progress is posted in steps of at least this many bytes (one message per step). */
const PROGRESS_STEP = 32 << 20

/** Loads a handler module by its URL (as import() does). */
export type LoadModule = (url: string) => Promise<{handle?: unknown}>

export function serve(loadModule: LoadModule): void {
  if (!parentPort) throw new Error('the engine worker must run in a worker thread')
  const port = parentPort
  const handlers = new Map<string, Promise<Handler<unknown, unknown>>>()

  const load = (url: string): Promise<Handler<unknown, unknown>> => {
    let h = handlers.get(url)
    if (!h) {
      h = loadModule(url).then((m) => {
        if (typeof m.handle !== 'function') throw new Error(`${url} exports no handle()`)
        return m.handle as Handler<unknown, unknown>
      })
      handlers.set(url, h)
    }
    return h
  }

  const run = async ({id, handler, payload}: TaskRequest): Promise<void> => {
    let unreported = 0
    const progress = (n: number) => {
      unreported += n
      if (unreported >= PROGRESS_STEP) {
        port.postMessage({type: 'progress', id, bytes: unreported} satisfies TaskReply)
        unreported = 0
      }
    }
    try {
      const r = await (await load(handler))(payload, {progress})
      if (unreported > 0) port.postMessage({type: 'progress', id, bytes: unreported} satisfies TaskReply)
      port.postMessage({type: 'done', id, value: r.value} satisfies TaskReply, r.transfer ?? [])
    } catch (err) {
      port.postMessage({type: 'failed', id, error: serializeError(err)} satisfies TaskReply)
    }
  }

  port.on('message', (msg: TaskRequest) => {
    void run(msg)
  })
  // The thread's code has loaded: from here on a failure is a task's, not the thread's start-up
  // (the engine starts a thread from the compiled modules when a bundle's thread never got here).
  port.postMessage({type: 'ready'} satisfies TaskReply)
}
