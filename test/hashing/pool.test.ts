import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {BATCH_MAX_BYTES, hashFiles, hashMany, planBatches} from '../../src/hashing/batch.js'
import type {HashTask} from '../../src/hashing/file.js'
import {HashPool, withHashPool} from '../../src/hashing/pool.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-pool-')
after(tmp.cleanup)

// 400 small files and three larger ones: enough to force batching and more than one worker.
const files: {path: string; data: Buffer}[] = []
for (let i = 0; i < 400; i++) files.push({path: path.join(tmp.dir, `s${i}`), data: randomBytes(i * 37)})
for (let i = 0; i < 3; i++) files.push({path: path.join(tmp.dir, `L${i}`), data: randomBytes((3 << 20) + i)})
for (const f of files) fs.writeFileSync(f.path, f.data)

test('worker pool and inline hashing give the same digests, in task order', async () => {
  const tasks: HashTask[] = files.map((f) => ({path: f.path, alg: 'sha256', expectedSize: f.data.length}))
  tasks.push({path: files[402].path, alg: 'blake2b', start: 10, end: 2_000_000})
  tasks.push({path: files[401].path, alg: 'blake3', start: 0, end: 1_500_000})
  const inline = await hashMany(tasks, {inline: true})
  let progressed = 0
  const pooled = await hashMany(tasks, {workers: 2, onProgress: (n) => (progressed += n)})
  assert.deepEqual(
    pooled.map((r) => r.digest.toString('hex')),
    inline.map((r) => r.digest.toString('hex')),
  )
  assert.equal(pooled[5].digest.toString('hex'), createHash('sha256').update(files[5].data).digest('hex'))
  assert.equal(pooled[402].size, files[402].data.length)
  const expectedBytes = files.reduce((n, f) => n + f.data.length, 0) + (2_000_000 - 10) + 1_500_000
  assert.equal(progressed, expectedBytes)
})

test('hashFiles batches many small files through a pool that is reused and closed by the caller', async () => {
  await withHashPool(
    async (pool) => {
      const paths = files.slice(0, 400).map((f) => f.path)
      const a = await hashFiles(paths, 'sha256', {pool})
      const b = await hashFiles(paths, 'sha256', {pool})
      assert.equal(a.length, 400)
      assert.deepEqual(a, b)
      assert.equal(a[399].digest.toString('hex'), createHash('sha256').update(files[399].data).digest('hex'))
    },
    {size: 2},
  )
})

test('an error inside a worker comes back as the typed error of the first failing task', async () => {
  const tasks: HashTask[] = files.slice(0, 200).map((f) => ({path: f.path, alg: 'sha256'}))
  tasks[150] = {path: path.join(tmp.dir, 'missing-150'), alg: 'sha256'}
  tasks[170] = {path: files[170].path, alg: 'sha256', expectedSize: 1}
  await assert.rejects(hashMany(tasks, {workers: 2}), (e: {code?: string; exitCode?: number; message?: string}) => {
    assert.equal(e.code, 'E_IO')
    assert.equal(e.exitCode, 3)
    assert.match(e.message ?? '', /missing-150/)
    return true
  })
})

test('planBatches keeps big tasks alone (largest first) and packs small ones', () => {
  const t = (size: number): HashTask => ({path: 'x', alg: 'sha256', start: 0, end: size})
  const tasks = [t(10), t(BATCH_MAX_BYTES), t(20), t(BATCH_MAX_BYTES * 3), t(30)]
  const plan = planBatches(tasks)
  assert.deepEqual(plan, [[3], [1], [0, 2, 4]])
})

test('a closed pool refuses work', async () => {
  const pool = new HashPool({size: 1})
  await pool.close()
  await assert.rejects(pool.run([{path: files[0].path, alg: 'sha256'}]), /closed/)
  assert.throws(() => new HashPool({size: 0}), {code: 'E_BAD_WORKERS'})
})
