/**
 * Hash worker: receives batches of HashTasks, hashes them one after another (each task already
 * overlaps its reads with hashing), and answers with one message per batch so that many small
 * files cost one round trip, not one each. Progress is reported in coarse steps.
 */
import {parentPort} from 'node:worker_threads'

import {hashTask, type HashTask} from './file.js'
import {describeTaskError, type BatchReply, type BatchRequest, type TaskOutcome} from './protocol.js'

const PROGRESS_STEP = 32 << 20

if (!parentPort) throw new Error('hash worker must run in a worker thread')
const port = parentPort

port.on('message', (msg: BatchRequest) => {
  void runBatch(msg.id, msg.tasks)
})

async function runBatch(id: number, tasks: HashTask[]): Promise<void> {
  const outcomes: TaskOutcome[] = []
  let unreported = 0
  const onProgress = (n: number) => {
    unreported += n
    if (unreported >= PROGRESS_STEP) {
      port.postMessage({type: 'progress', id, bytes: unreported} satisfies BatchReply)
      unreported = 0
    }
  }
  for (const task of tasks) {
    try {
      const r = await hashTask(task, {onProgress})
      outcomes.push({ok: true, digest: new Uint8Array(r.digest), size: r.size})
    } catch (err) {
      outcomes.push({ok: false, error: describeTaskError(err)})
    }
  }
  port.postMessage({type: 'done', id, outcomes, bytes: unreported} satisfies BatchReply)
}
