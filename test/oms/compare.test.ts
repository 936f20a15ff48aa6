import assert from 'node:assert/strict'
import {test} from 'node:test'

import {compareResources, MAX_PROBLEMS} from '../../src/oms/compare.js'

const r = (name: string, digest: string, algorithm = 'sha256') => ({name, algorithm, digest})

test('files: one sorted line per missing, changed and extra file', () => {
  const signed = [r('b', '01'), r('a/x', '02'), r('c', '03'), r('é', '04')]
  const disk = [r('c', '03'), r('a/x', 'ff'), r('z', '05'), r('é', '04'), r('d', '06')]
  assert.deepEqual(compareResources(signed, disk, {method: 'files'}), [
    'changed file: a/x: sha256 digest differs',
    'missing file: b',
    'extra file: d (not covered by the signature)',
    'extra file: z (not covered by the signature)',
  ])
  assert.deepEqual(compareResources(signed, disk, {method: 'files', ignoreUnsignedFiles: true}), [
    'changed file: a/x: sha256 digest differs',
    'missing file: b',
  ])
  assert.deepEqual(compareResources(signed, [...signed].reverse(), {method: 'files'}), [])
  assert.deepEqual(compareResources([r('a', '01')], [r('a', '01', 'blake2b')], {method: 'files'}), ['changed file: a: hashed as blake2b, signed as sha256'])
  assert.deepEqual(compareResources([r('.', '01')], [r('.', '02')], {method: 'files', singleFileLabel: 'model.onnx'}), [
    'changed file: model.onnx: sha256 digest differs',
  ])
})

test('shards: grouped per file, by range', () => {
  const A = 'sha256-sharded-4'
  const signed = [r('w:0:4', '01', A), r('w:4:6', '02', A), r('v:0:2', '03', A), r('a:b:0:1', '04', A)]
  assert.deepEqual(compareResources(signed, [r('w:4:6', '02', A), r('w:0:4', '01', A), r('v:0:2', '03', A), r('a:b:0:1', '04', A)], {method: 'shards'}), [])
  assert.deepEqual(compareResources(signed, [r('w:0:4', '01', A), r('w:4:7', '02', A), r('a:b:0:1', '04', A)], {method: 'shards'}), [
    'missing file: v',
    'changed file: w: size differs (shard ranges do not match)',
  ])
  assert.deepEqual(compareResources(signed, [r('w:0:4', '01', A), r('w:4:6', '09', A), r('v:0:2', '03', A), r('a:b:0:1', '04', A)], {method: 'shards'}), [
    'changed file: w: shard 4-6 digest differs',
  ])
})

test('the report is capped', () => {
  const many = Array.from({length: MAX_PROBLEMS + 5}, (_, i) => r(`f${i}`, '01'))
  const p = compareResources(many, [], {method: 'files'})
  assert.equal(p.length, MAX_PROBLEMS + 1)
  assert.equal(p.at(-1), '... and 5 more problems')
})
