/**
 * bin/run.cjs lightStdio: while a command runs from the bundle, process.stdout / process.stderr on
 * a pipe or a file write with fs.writeSync until something needs the real stream. Everything a
 * program can see must be what Node's own stream gives: the bytes and their order, isTTY, the
 * listeners, write callbacks, errors on a closed pipe.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {repoRoot} from '../helpers/cli.js'

const runCjs = path.join(repoRoot, 'bin', 'run.cjs')
let work: string
before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'modelseal-stdio-'))
})
after(() => rmSync(work, {recursive: true, force: true}))

// A program that uses stdout and stderr the ways oclif, Node's console and the commands do, and
// reports what it saw on stderr. LIGHT=1 installs the stand-ins first.
const PROGRAM = `
const fs = require('node:fs')
if (process.env.LIGHT === '1') { const {lightStdio} = require(${JSON.stringify(runCjs)}); lightStdio('stdout', 1); lightStdio('stderr', 2) }
const seen = []
const netBefore = process.moduleLoadList.includes('NativeModule net') || process.moduleLoadList.includes('NativeModule internal/fs/sync_write_stream')
const onError = (err) => { if (err && err.code === 'EPIPE') return; throw err }
process.stdout.on('error', onError)
seen.push(['isTTY', process.stdout.isTTY, process.stderr.isTTY, process.stdout.fd])
seen.push(['errors', process.stdout.listenerCount('error'), process.stdout.listenerCount('drain')])
process.stdout.write('one\\n')
process.stdout.write(Buffer.from('two \\u00e9\\n'))
process.stdout.write('')
console.log('three %d', 3)
process.stdout.write('four\\n', (err) => seen.push(['callback', err]))
process.stdout.write('five\\n', 'utf8')
const drain = () => {}
process.stdout.once('drain', drain)
process.stdout.removeListener('drain', drain)
seen.push(['drain', process.stdout.listenerCount('drain')])
if (process.env.LIGHT === '1') seen.push(['light so far', !netBefore && !process.moduleLoadList.includes('NativeModule net') && !process.moduleLoadList.includes('NativeModule internal/fs/sync_write_stream')])
// needs the stream itself
seen.push(['writableLength', process.stdout.writableLength, typeof process.stdout.cork, process.stdout instanceof require('node:stream').Writable])
process.stdout.write('six\\n')
seen.push(['errors after', process.stdout.listenerCount('error'), process.stdout.listeners('error')[0] === onError])
process.stdout.write(Buffer.from('seven\\n'), () => seen.push(['callback 2']))
process.stderr.write('to stderr\\n')
process.on('exit', () => fs.writeSync(2, JSON.stringify(seen) + '\\n'))
`

function runProgram(light: boolean, stdout: 'pipe' | number) {
  const file = path.join(work, 'program.cjs')
  writeFileSync(file, PROGRAM)
  const r = spawnSync(process.execPath, [file], {env: {...process.env, LIGHT: light ? '1' : '0'}, stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8'})
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

test('on a pipe: same bytes, order, isTTY, listeners and callbacks as Node’s stream', () => {
  const light = runProgram(true, 'pipe')
  const plain = runProgram(false, 'pipe')
  assert.equal(light.status, 0, light.stderr)
  assert.equal(light.stdout, 'one\ntwo \u00e9\nthree 3\nfour\nfive\nsix\nseven\n')
  assert.equal(light.stdout, plain.stdout)
  const [lightErr, lightSeen] = light.stderr.trim().split('\n')
  const [plainErr, plainSeen] = plain.stderr.trim().split('\n')
  assert.equal(lightErr, plainErr)
  const seen = JSON.parse(lightSeen) as unknown[][]
  assert.deepEqual(
    seen.filter((s) => s[0] !== 'light so far'),
    JSON.parse(plainSeen),
  )
  assert.deepEqual(
    seen.find((s) => s[0] === 'light so far'),
    ['light so far', true],
  )
})

test('on a file: same bytes and observations', () => {
  const out = (light: boolean) => {
    const file = path.join(work, `out-${light}.txt`)
    const fd = openSync(file, 'w')
    try {
      const r = runProgram(light, fd)
      return {status: r.status, stderr: r.stderr.replace(/\["light so far",true\],?/, '').replace(',]', ']'), text: readFileSync(file, 'utf8')}
    } finally {
      closeSync(fd)
    }
  }
  const light = out(true)
  assert.equal(light.status, 0, light.stderr)
  assert.deepEqual(light, out(false))
})

test('a closed pipe: the write error reaches the listeners as it does from Node’s stream', async () => {
  // the reader is gone before the program writes: EPIPE, swallowed by the listener (as oclif's is)
  // or, without one, an uncaught error
  const program = (listen: boolean) => `
    if (process.env.LIGHT === '1') require(${JSON.stringify(runCjs)}).lightStdio('stdout', 1)
    ${listen ? "process.stdout.on('error', (err) => { require('node:fs').writeSync(2, 'listener ' + err.code + '\\n') })" : ''}
    setTimeout(() => { process.stdout.write('x'.repeat(100000)); process.stdout.write('more\\n') }, 300)`
  const run = (light: boolean, listen: boolean) =>
    new Promise<{code: number | null; stderr: string}>((resolve) => {
      const child = spawn(process.execPath, ['-e', program(listen)], {env: {...process.env, LIGHT: light ? '1' : '0'}, stdio: ['ignore', 'pipe', 'pipe']})
      child.stdout.destroy()
      let stderr = ''
      child.stderr.on('data', (d) => {
        stderr += d
      })
      child.on('close', (code) => resolve({code, stderr: stderr.replace(/\n\s+at .*/g, '').replace(/Node\.js v[\d.]+/, '')}))
    })
  for (const listen of [true, false]) {
    const light = await run(true, listen)
    const plain = await run(false, listen)
    assert.equal(light.code, plain.code, `listener: ${listen}`)
    assert.equal(light.stderr.includes('EPIPE'), plain.stderr.includes('EPIPE'), `listener: ${listen}: ${light.stderr} / ${plain.stderr}`)
    if (listen) assert.match(light.stderr, /^listener EPIPE\n/)
  }
})

test('only a pipe or a file gets the stand-in: /dev/null (a character device, as a terminal is) keeps Node’s own stream', () => {
  const program = `const before = Object.getOwnPropertyDescriptor(process, 'stdout').get
    require(${JSON.stringify(runCjs)}).lightStdio('stdout', 1)
    require('node:fs').writeSync(2, String(Object.getOwnPropertyDescriptor(process, 'stdout').get === before))`
  const replaced = (stdout: 'ignore' | 'pipe') => spawnSync(process.execPath, ['-e', program], {stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8'}).stderr
  assert.equal(replaced('ignore'), 'true')
  assert.equal(replaced('pipe'), 'false')
})
