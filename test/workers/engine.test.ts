/**
 * The worker engine (src/workers/engine.ts) that hashing, dataset hashing and weight scans share:
 * order, lanes, back-pressure, cancel on first error, progress, typed errors across threads, and
 * that an idle engine never keeps a process alive. Counters, never timings.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {test} from 'node:test'
import {pathToFileURL} from 'node:url'
import {threadId} from 'node:worker_threads'

import {InputError} from '../../src/errors.js'
import {WorkerEngine, type Task} from '../../src/workers/engine.js'
import {testHandler, type TestPayload, type TestResult} from './test-handler.js'

const task = (p: TestPayload): Task<TestPayload, TestResult> => ({handler: testHandler, payload: p})

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

test('ordered() yields results in task order, on N - 1 worker threads and the main lane', async () => {
  const engine = new WorkerEngine({workers: 3, mainLane: true})
  try {
    const tasks = Array.from({length: 40}, (_, n) => task({n, spinMs: n % 3 === 0 ? 5 : 0}))
    const results = await collect(engine.ordered(tasks))
    assert.deepEqual(
      results.map((r) => r.n),
      tasks.map((t) => t.payload.n),
    )
    const threads = new Set(results.map((r) => r.thread))
    assert.ok(threads.has(threadId), 'the main lane ran tasks')
    assert.ok(threads.size >= 2, 'worker threads ran tasks')
    assert.ok(engine.stats.workersStarted <= 2)
    assert.equal(engine.stats.tasksRun, 40)
    assert.ok(engine.stats.tasksOnMainLane > 0)
  } finally {
    await engine.close()
  }
})

test('tasks that keep off the main lane get every lane as a worker thread; one task starts no thread', async () => {
  const engine = new WorkerEngine({workers: 2})
  try {
    const single = await engine.run(task({n: 0}))
    assert.equal(single.thread, threadId)
    assert.equal(engine.stats.workersStarted, 0, 'a single task ran on the main lane')
    const tasks = Array.from({length: 30}, (_, n) => ({...task({n, spinMs: 2}), mainLane: false}))
    const results = await collect(engine.ordered(tasks))
    assert.ok(
      results.every((r) => r.thread !== threadId),
      'a mainLane: false task ran on the main thread',
    )
    assert.equal(new Set(results.map((r) => r.thread)).size, 2)
    assert.equal(engine.stats.workersStarted, 2)
  } finally {
    await engine.close()
  }
})

test('a long task is never queued behind another on a worker; short tasks are prefetched', async () => {
  for (const long of [true, false]) {
    const engine = new WorkerEngine({workers: 2})
    try {
      const tasks = Array.from({length: 8}, (_, n) => ({...task({n, waitMs: 30}), long}))
      const results = await collect(engine.ordered(tasks))
      assert.deepEqual(
        results.map((r) => r.n),
        tasks.map((t) => t.payload.n),
      )
      const onWorker = results.filter((r) => r.thread !== threadId)
      assert.ok(onWorker.length > 0 && onWorker.length < 8, 'both lanes ran tasks')
      const most = Math.max(...onWorker.map((r) => r.concurrent))
      // Without the flag a worker holds PREFETCH tasks and runs them side by side; with it, one.
      if (long) assert.equal(most, 1, 'a worker ran two long tasks at once')
      else assert.equal(most, 2, 'short tasks were not prefetched (the check above would prove nothing)')
    } finally {
      await engine.close()
    }
  }
})

test('a main-lane-only engine starts no thread', async () => {
  const engine = new WorkerEngine({workers: 0})
  const r = await collect(engine.ordered([task({n: 1}), task({n: 2})]))
  assert.deepEqual(
    r.map((x) => [x.n, x.thread]),
    [
      [1, threadId],
      [2, threadId],
    ],
  )
  assert.equal(engine.stats.workersStarted, 0)
  await engine.close()
  assert.throws(() => new WorkerEngine({workers: 0, mainLane: false}), /needs a worker/)
})

test('back-pressure: a stream of 20,000 tasks is pulled only as results are taken', async () => {
  const engine = new WorkerEngine({workers: 1})
  let pulled = 0
  let maxAhead = 0
  let taken = 0
  function* tasks() {
    for (let n = 0; n < 20_000; n++) {
      pulled++
      maxAhead = Math.max(maxAhead, pulled - taken)
      yield task({n})
    }
  }
  try {
    for await (const r of engine.ordered(tasks(), {inFlight: 4})) {
      assert.equal(r.n, taken)
      taken++
    }
    assert.equal(taken, 20_000)
    assert.ok(maxAhead <= 5, `at most inFlight tasks beyond those taken (saw ${maxAhead})`)
    assert.ok(engine.stats.peakPending <= 4, `engine held ${engine.stats.peakPending} tasks at once`)
  } finally {
    await engine.close()
  }
})

test('the first failure stops the stream: nothing more is started and its typed error is thrown', async () => {
  const engine = new WorkerEngine({workers: 1})
  let pulled = 0
  function* tasks() {
    for (let n = 0; n < 1000; n++) {
      pulled++
      yield task({n, fail: n === 10 ? 'E_BAD_RANGE' : undefined, spinMs: n === 10 ? 0 : 1})
    }
  }
  const seen: number[] = []
  try {
    await assert.rejects(
      (async () => {
        for await (const r of engine.ordered(tasks(), {inFlight: 3})) seen.push(r.n)
      })(),
      (err: unknown) => err instanceof InputError && err.code === 'E_BAD_RANGE' && /task 10 failed/.test(err.message),
    )
    assert.deepEqual(
      seen,
      Array.from({length: 10}, (_, i) => i),
      'every task before the failing one was yielded',
    )
    assert.ok(pulled <= 14, `tasks pulled after the failure: ${pulled}`)
    // The engine still works after a failed stream.
    assert.equal((await engine.run(task({n: 7}))).n, 7)
  } finally {
    await engine.close()
  }
})

test('errors keep their class and code from a worker thread and from the main lane', async () => {
  for (const opts of [
    {workers: 1, mainLane: false},
    {workers: 0, mainLane: true},
  ]) {
    const engine = new WorkerEngine(opts)
    try {
      await assert.rejects(engine.run(task({n: 1, fail: 'E_IO'})), (e: unknown) => e instanceof InputError && e.code === 'E_IO' && e.exitCode === 3)
    } finally {
      await engine.close()
    }
  }
})

test('progress: every byte a handler reports reaches the caller, and buffers move back', async () => {
  const engine = new WorkerEngine({workers: 2})
  try {
    let bytes = 0
    const tasks = Array.from({length: 12}, (_, n) => task({n, bytes: 100_000_000 + n, step: 1 << 20, buffer: 1024}))
    const results = await collect(engine.ordered(tasks, {onProgress: (b) => (bytes += b)}))
    assert.equal(bytes, 12 * 100_000_000 + 66)
    for (const r of results) assert.deepEqual([r.buffer?.length, r.buffer?.[0]], [1024, r.n])
  } finally {
    await engine.close()
  }
})

test('breaking out of ordered() stops the stream and leaves the engine usable', async () => {
  const engine = new WorkerEngine({workers: 1})
  let pulled = 0
  function* tasks() {
    for (let n = 0; n < 10_000; n++) {
      pulled++
      yield task({n})
    }
  }
  try {
    for await (const r of engine.ordered(tasks(), {inFlight: 2})) if (r.n === 5) break
    assert.ok(pulled <= 8, `pulled ${pulled}`)
    assert.equal((await engine.run(task({n: 99}))).n, 99)
  } finally {
    await engine.close()
  }
})

test('a main-lane task starts a turn of the event loop after the result before it was taken, not in the same microtask', async () => {
  // A caller that queues the next task as it takes each result (ordered() does) must not chain
  // main-lane tasks back to back: the worker threads' replies are read between them. Each result
  // taken schedules a turn (setImmediate); a main-lane task started later sees that turn done.
  const engine = new WorkerEngine({workers: 0, mainLane: true})
  const g = globalThis as {engineTestTurns?: number}
  g.engineTestTurns = 0
  try {
    const taken: number[] = []
    for await (const r of engine.ordered(
      Array.from({length: 12}, (_, n) => task({n, probe: true})),
      {inFlight: 1},
    )) {
      taken.push(r.turns as number)
      setImmediate(() => {
        g.engineTestTurns = (g.engineTestTurns ?? 0) + 1
      })
    }
    // Task n starts after result n - 1 was taken, so after its turn: it sees n turns.
    assert.deepEqual(
      taken,
      Array.from({length: 12}, (_, n) => n),
    )
  } finally {
    delete g.engineTestTurns
    await engine.close()
  }
})

test('a closed engine refuses work; an idle engine never keeps the process alive', async () => {
  const engine = new WorkerEngine({workers: 1})
  await engine.close()
  await assert.rejects(engine.run(task({n: 1})), /closed/)
  // A child that warms an engine, runs a task on a worker and never closes the engine must exit.
  const engineUrl = pathToFileURL(new URL('../../src/workers/engine.js', import.meta.url).pathname).href
  const handlerUrl = new URL('./test-handler.js', import.meta.url).href
  const code = `import {WorkerEngine} from ${JSON.stringify(engineUrl)}
import {testHandler} from ${JSON.stringify(handlerUrl)}
const e = new WorkerEngine({workers: 2, mainLane: false}).warm()
const r = await e.run({handler: testHandler, payload: {n: 3}})
console.log('ran', r.n, e.stats.workersStarted)`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {encoding: 'utf8', timeout: 60_000})
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim(), 'ran 3 2')
})

test('releaseIdle() ends idle workers now, keeps a busy one, and the engine stays usable', async () => {
  const engine = new WorkerEngine({workers: 2, mainLane: false})
  try {
    await collect(engine.ordered(Array.from({length: 6}, (_, n) => ({...task({n}), mainLane: false}))))
    assert.equal(engine.stats.workersStarted, 2)
    const busy = engine.run({...task({n: 7, spinMs: 50}), mainLane: false})
    engine.releaseIdle()
    // the busy worker finishes its task; the released one's end is no failure
    assert.equal((await busy).n, 7)
    engine.releaseIdle()
    const again = await engine.run({...task({n: 8}), mainLane: false})
    assert.equal(again.n, 8)
    assert.equal(engine.stats.workersStarted, 3, 'a later task started a worker again')
  } finally {
    await engine.close()
  }
})
