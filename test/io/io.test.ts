/** src/io: the one place files from users and attackers are opened, read and written. */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {InputError} from '../../src/errors.js'
import {checkJsonDepth, openRegularFile, parseBoundedJson, readBoundedFile, readFileHead, writeAtomically} from '../../src/io/index.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-io-')
after(tmp.cleanup)
const at = (...p: string[]) => path.join(tmp.dir, ...p)
const code = (c: string) => (e: unknown) => e instanceof InputError && e.code === c

describe('io', () => {
  test('regular files are read whole; larger than the limit is refused from the size', () => {
    writeFileSync(at('ten'), '0123456789')
    assert.equal(readBoundedFile(at('ten'), {maxBytes: 10}).toString(), '0123456789')
    assert.throws(
      () => readBoundedFile(at('ten'), {maxBytes: 9, code: 'E_IO', tooLargeCode: 'E_FILE_TOO_LARGE', what: 'key'}),
      (e: unknown) => code('E_FILE_TOO_LARGE')(e) && /key .* is 10 bytes/.test(String((e as Error).message)),
    )
    assert.throws(() => readBoundedFile(at('missing'), {maxBytes: 9, code: 'E_IO'}), code('E_IO'))
  })

  test('a FIFO, a directory and a device are refused without blocking', {skip: process.platform === 'win32'}, () => {
    execFileSync('mkfifo', [at('fifo')])
    mkdirSync(at('dir'))
    for (const p of [at('fifo'), at('dir'), '/dev/zero']) {
      assert.throws(() => readBoundedFile(p, {maxBytes: 100, followSymlinks: true}), code('E_IO'), p)
      assert.throws(() => readFileHead(p, 16, {followSymlinks: true}), code('E_IO'), p)
    }
  })

  test('a symlink is refused unless the caller follows it', {skip: process.platform === 'win32'}, () => {
    writeFileSync(at('target'), 'x')
    symlinkSync(at('target'), at('link'))
    assert.throws(
      () => openRegularFile(at('link')),
      (e: unknown) => code('E_IO')(e) && /symlink/.test((e as Error).message),
    )
    assert.equal(readBoundedFile(at('link'), {maxBytes: 1, followSymlinks: true}).toString(), 'x')
  })

  test('head reads stop at the file end', () => {
    writeFileSync(at('short'), 'abc')
    assert.deepEqual(readFileHead(at('short'), 16), {head: Buffer.from('abc'), size: 3})
    assert.equal(readFileHead(at('ten'), 4).head.toString(), '0123')
  })

  test('bounded JSON: size, emptiness, depth, syntax', () => {
    const opts = {code: 'E_BUNDLE_MALFORMED', maxBytes: 100, tooLargeCode: 'E_BUNDLE_TOO_LARGE'} as const
    assert.deepEqual(parseBoundedJson('{"a":[1]}', 'doc', opts), {a: [1]})
    assert.throws(() => parseBoundedJson(`"${'x'.repeat(200)}"`, 'doc', opts), code('E_BUNDLE_TOO_LARGE'))
    assert.throws(() => parseBoundedJson('  ', 'doc', opts), code('E_BUNDLE_MALFORMED'))
    assert.throws(() => parseBoundedJson('{', 'doc', opts), code('E_BUNDLE_MALFORMED'))
    assert.throws(() => parseBoundedJson('['.repeat(70), 'doc', {...opts, maxBytes: 1000}), code('E_BUNDLE_MALFORMED'))
    // brackets inside strings do not count
    checkJsonDepth(`["${'['.repeat(100)}"]`, 'doc', 'E_BUNDLE_MALFORMED')
  })

  test('atomic write replaces the file and leaves no temp file behind', () => {
    mkdirSync(at('out'))
    writeAtomically(at('out', 'f'), 'one')
    writeAtomically(at('out', 'f'), 'two')
    assert.equal(readFileSync(at('out', 'f'), 'utf8'), 'two')
    assert.deepEqual(readdirSync(at('out')), ['f'])
    assert.throws(() => writeAtomically(at('no-such-dir', 'f'), 'x'), code('E_IO'))
  })
})
