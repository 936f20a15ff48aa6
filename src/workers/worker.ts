/**
 * The one worker-thread bootstrap of the engine (engine.ts): runs each task's handler module
 * (imported once per thread) and answers with its result, progress in coarse steps on the way.
 */
import {parentPort} from 'node:worker_threads'

import type {Handler} from './engine.js'
import {serializeError, type TaskReply, type TaskRequest} from './protocol.js'

/** Progress is posted in steps of at least this many bytes (one message per step). */
const PROGRESS_STEP = 32 << 20

if (!parentPort) throw new Error('the engine worker must run in a worker thread')
const port = parentPort
const handlers = new Map<string, Promise<Handler<unknown, unknown>>>()

function load(url: string): Promise<Handler<unknown, unknown>> {
  let h = handlers.get(url)
  if (!h) {
    h = import(url).then((m: {handle?: Handler<unknown, unknown>}) => {
      if (typeof m.handle !== 'function') throw new Error(`${url} exports no handle()`)
      return m.handle
    })
    handlers.set(url, h)
  }
  return h
}

port.on('message', (msg: TaskRequest) => {
  void run(msg)
})

async function run({id, handler, payload}: TaskRequest): Promise<void> {
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
