/**
 * The hash worker's read of a small file without fstat (hash-worker.ts sha256File): the same sizes
 * and digests as a plain hash of the bytes, with and without trusting short reads as the end, and
 * every file that is not a whole regular file — swapped in after the walk listed a regular file —
 * refused or read through the fstat path.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {after, afterEach, describe, it} from 'node:test'

import {batchFiles, FileHashPool, hashBatchesInOrder} from '../../src/dataset/file-hasher.js'
import {handle, type HashBatchReply, type HashBatchRequest, sys} from '../../src/dataset/hash-worker.js'
import {walkSorted, wholeReads} from '../../src/dataset/walk.js'
import {tempDir} from '../helpers/cli.js'
import {writeTree} from './helpers.js'

const tmp = tempDir('modelseal-ds-worker-')
after(() => tmp.cleanup())
let n = 0
const fresh = (name: string) => path.join(tmp.dir, `${name}-${n++}`)
const MiB = 1 << 20
const posix = process.platform !== 'win32'

const realSys = {...sys}
afterEach(() => Object.assign(sys, realSys))

async function hashBatch(root: string, names: string[], extra: Partial<HashBatchRequest> = {}): Promise<HashBatchReply> {
  return (await handle({id: 1, alg: 'sha256', root, names: names.join('\n'), ...extra}, {progress() {}})).value
}

function okReply(r: HashBatchReply) {
  if (!r.ok) assert.fail(`${r.code}: ${r.message}`)
  return r
}

function refused(r: HashBatchReply, code: string, index = 0) {
  assert.equal(r.ok, false, 'refused')
  if (r.ok) return
  assert.equal(r.code, code, r.message)
  assert.equal(r.index, index)
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const digestAt = (r: {digests: Uint8Array}, i: number) => Buffer.from(r.digests.subarray(i * 32, i * 32 + 32)).toString('hex')

/** Counts fstat calls while `run` runs. */
async function countFstats<T>(run: () => Promise<T>): Promise<[T, number]> {
  let calls = 0
  sys.fstatSync = ((fd: number) => {
    calls++
    return realSys.fstatSync(fd)
  }) as typeof sys.fstatSync
  const v = await run()
  sys.fstatSync = realSys.fstatSync
  return [v, calls]
}

describe('hash worker: small files without fstat', () => {
  const sizes = [0, 1, 200, 511, 512, 513, 1024, 4095, 4096, 65_537, MiB - 512, MiB - 1, MiB, MiB + 1, 3 * MiB + 7]
  const files: Record<string, Buffer> = {}
  for (const s of sizes) files[`f${s}`] = Buffer.from(Array.from({length: s}, (_, i) => (i * 31 + s) & 0xff))
  const names = Object.keys(files)

  for (const wholeReads of [true, false]) {
    it(`every size gives the plain digest and size (wholeReads ${wholeReads})`, async () => {
      const dir = writeTree(fresh('sizes'), files)
      const r = okReply(await hashBatch(dir, names, {wholeReads, lines: true, tree: true}))
      names.forEach((name, i) => {
        assert.equal(r.sizes[i], files[name].length, name)
        assert.equal(digestAt(r, i), sha(files[name]), name)
      })
    })
  }

  it('a small regular file takes no fstat; an empty file, whole sectors and full buffers take one', {skip: process.platform !== 'linux'}, async () => {
    const dir = writeTree(fresh('count'), files)
    const [, small] = await countFstats(() => hashBatch(dir, ['f1', 'f200', 'f513', 'f4095'], {wholeReads: true}))
    assert.equal(small, 0)
    for (const name of ['f0', 'f512', 'f4096', `f${MiB}`, `f${MiB + 1}`]) {
      const [, one] = await countFstats(() => hashBatch(dir, [name], {wholeReads: true}))
      assert.ok(one >= 1, `${name}: ${one} fstat calls`)
    }
  })

  it('a file larger than the buffer is read once (its first buffer is not read again)', async () => {
    const dir = writeTree(fresh('once'), files)
    for (const size of [MiB + 1, 3 * MiB + 7]) {
      let bytes = 0
      sys.readSync = ((fd: number, b: NodeJS.ArrayBufferView, off: number, len: number, pos: number) => {
        const n = realSys.readSync(fd, b, off, len, pos)
        bytes += n
        return n
      }) as typeof sys.readSync
      const r = okReply(await hashBatch(dir, [`f${size}`], {wholeReads: true}))
      assert.equal(digestAt(r, 0), sha(files[`f${size}`]))
      assert.equal(bytes, size)
    }
  })

  it('a file system that returns short reads: the end is confirmed, the whole file hashed', async () => {
    const dir = writeTree(fresh('short'), files)
    // at most 100 bytes per read, as a FUSE file system may return
    sys.readSync = ((fd: number, b: NodeJS.ArrayBufferView, off: number, len: number, pos: number) =>
      realSys.readSync(fd, b, off, Math.min(len, 100), pos)) as typeof sys.readSync
    const r = okReply(await hashBatch(dir, names, {wholeReads: false}))
    names.forEach((name, i) => {
      assert.equal(r.sizes[i], files[name].length, name)
      assert.equal(digestAt(r, i), sha(files[name]), name)
    })
  })

  it('a file that grows between the read and the end check is read again whole', async () => {
    const dir = writeTree(fresh('grow'), {a: 'first part\n'})
    let reads = 0
    sys.readSync = ((fd: number, b: NodeJS.ArrayBufferView, off: number, len: number, pos: number) => {
      if (reads++ === 1) fs.appendFileSync(path.join(dir, 'a'), 'second part\n')
      return realSys.readSync(fd, b, off, len, pos)
    }) as typeof sys.readSync
    const r = okReply(await hashBatch(dir, ['a'], {wholeReads: false}))
    assert.equal(r.sizes[0], 23)
    assert.equal(digestAt(r, 0), sha(Buffer.from('first part\nsecond part\n')))
  })

  it('a FIFO with data waiting in it is refused, never read as a file', {skip: !posix}, async () => {
    const dir = fresh('fifo')
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, 'a'), 'ok\n')
    const fifo = path.join(dir, 'p')
    // the walk would have listed a regular file here: the worker sees the FIFO swapped in
    mkfifo(fifo)
    const writer = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK)
    try {
      fs.writeSync(writer, 'forged bytes')
      for (const wholeReads of [true, false]) refused(await hashBatch(dir, ['a', 'p'], {wholeReads}), 'E_NOT_REGULAR_FILE', 1)
    } finally {
      fs.closeSync(writer)
    }
  })

  it('a directory or a symlink swapped in for a file is refused', async () => {
    const dir = writeTree(fresh('swap'), {'d/x': 'x', target: 'target bytes'})
    fs.symlinkSync(path.join(dir, 'target'), path.join(dir, 'link'))
    for (const wholeReads of [true, false]) {
      refused(await hashBatch(dir, ['d'], {wholeReads}), 'E_NOT_REGULAR_FILE')
      refused(await hashBatch(dir, ['link'], {wholeReads}), 'E_SYMLINK')
    }
  })

  it('character devices are refused (one that reads empty, one that fills every read)', {skip: process.platform !== 'linux'}, async (t) => {
    if (!fs.existsSync('/dev/null') || !fs.existsSync('/dev/zero')) return t.skip('no /dev/null or /dev/zero')
    for (const wholeReads of [true, false]) {
      refused(await hashBatch('/dev', ['null'], {wholeReads}), 'E_NOT_REGULAR_FILE')
      refused(await hashBatch('/dev', ['zero'], {wholeReads}), 'E_NOT_REGULAR_FILE')
      refused(await hashBatch('/dev', ['urandom'], {wholeReads}), 'E_NOT_REGULAR_FILE')
    }
  })

  it('a file larger than maxBytes is reported with its size, not hashed', async () => {
    const dir = writeTree(fresh('max'), {small: 'abc', big: Buffer.alloc(5000, 1)})
    for (const wholeReads of [true, false]) {
      const r = okReply(await hashBatch(dir, ['big', 'small'], {wholeReads, maxBytes: 4000}))
      assert.deepEqual([...r.sizes], [5000, 3])
      assert.equal(digestAt(r, 0), '0'.repeat(64))
      assert.equal(digestAt(r, 1), sha(Buffer.from('abc')))
    }
  })

  it('the walk marks files on file systems not known for whole reads, and their batches do without', async () => {
    const tree: Record<string, string> = {'a/x': '1'}
    for (let i = 0; i < 8; i++) tree[`b/f${i}`] = String(i)
    const dir = writeTree(fresh('walk'), tree)
    const here = wholeReads(dir)
    if (process.platform !== 'linux') assert.equal(here, false)
    const walked = [...walkSorted(dir)]
    // a/ holds too few files to be asked (statfs), b/ enough
    assert.deepEqual(
      walked.map((f) => f.shortReads === true),
      [true, ...Array(8).fill(!here)],
    )
    const batches = [...batchFiles(walked[Symbol.iterator](), 1)]
    assert.deepEqual(
      batches.map((b) => b.wholeReads === true),
      [false, ...Array(8).fill(here)],
    )
    // one file that may read short takes the end check for its whole batch
    const mixed = [{path: 'a/x'}, {path: 'b/y', shortReads: true}]
    assert.deepEqual(
      [...batchFiles(mixed[Symbol.iterator](), 1)].map((b) => b.wholeReads === true),
      [true, false],
    )
    assert.equal([...batchFiles(mixed[Symbol.iterator](), 4)][0].wholeReads, undefined)
    if (process.platform === 'linux' && fs.existsSync('/proc/self')) assert.equal(wholeReads('/proc/self'), false)
  })
})

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p])
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`)
}

describe('hash workers ended once the last batch is in', () => {
  async function run(dir: string, releaseWorkers: boolean, swap?: string) {
    const walked = [...walkSorted(dir)]
    // a directory swapped in for a listed file is refused by the worker that reads it
    if (swap) {
      fs.rmSync(path.join(dir, swap))
      fs.mkdirSync(path.join(dir, swap))
    }
    const pool = new FileHashPool(2)
    let released = 0
    const realRelease = pool.engine.releaseIdle.bind(pool.engine)
    pool.engine.releaseIdle = () => {
      released++
      realRelease()
    }
    const out: string[] = []
    try {
      for await (const b of hashBatchesInOrder(dir, batchFiles(walked[Symbol.iterator](), 4), 'sha256', {pool, releaseWorkers, lines: true, tree: true})) {
        // the workers are still there for every batch but the last
        out.push(`${released}:${b.paths.join(',')}:${b.digests.toString('hex')}:${Buffer.from(b.text ?? []).toString()}:${[...b.sizes]}`)
      }
    } finally {
      await pool.close()
    }
    return {out, released}
  }

  it('give the same batches as workers kept to the end, and are released once, after the last', async () => {
    const tree: Record<string, string> = {}
    for (let i = 0; i < 37; i++) tree[`d${i % 3}/f${i}`] = `content ${i}`
    const dir = writeTree(fresh('release'), tree)
    const kept = await run(dir, false)
    const ended = await run(dir, true)
    assert.equal(kept.released, 0)
    assert.equal(ended.released, 1)
    assert.equal(ended.out.length, 10)
    assert.deepEqual(
      ended.out.map((l) => l.slice(l.indexOf(':'))),
      kept.out.map((l) => l.slice(l.indexOf(':'))),
    )
    assert.ok(ended.out.slice(0, -1).every((l) => l.startsWith('0:')))
    assert.ok(ended.out.at(-1)!.startsWith('1:'))
  })

  it('a file refused in the last batch still refuses the whole run', async () => {
    const tree: Record<string, string> = {}
    for (let i = 0; i < 9; i++) tree[`f${i}`] = 'x'
    tree.zz = 'swapped for a directory after the walk'
    const dir = writeTree(fresh('release-err'), tree)
    await assert.rejects(run(dir, true, 'zz'), (e: Error & {code?: string}) => typeof e.code === 'string' && e.code.startsWith('E_'))
  })
})
