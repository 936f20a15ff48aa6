import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {InputError} from '../../../src/errors.js'
import {MemorySource, parseModelSource} from '../../../src/formats/onnx/index.js'
import {analyzeOnnxGraph} from '../../../src/scan/graph/index.js'
import {repoRoot} from '../../helpers/cli.js'

const fx = (name: string) => path.join(repoRoot, 'testdata', 'onnx', name)

describe('graph analysis on mutated models', () => {
  for (const name of ['backdoor_function.onnx', 'backdoor_if.onnx', 'benign_attention_mask.onnx']) {
    it(`${name}: every parseable mutation is analysed without throwing`, () => {
      const clean = readFileSync(fx(name))
      let analysed = 0
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(clean.length - 1), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 6}), (edits) => {
          const b = Buffer.from(clean)
          for (const [pos, val] of edits) b[pos] = val
          let model
          try {
            model = parseModelSource(new MemorySource(b))
          } catch (e) {
            if (e instanceof InputError) return
            throw e
          }
          analyzeOnnxGraph(model, new MemorySource(b), fx(name))
          analysed++
        }),
        {numRuns: 150, seed: 7},
      )
      assert.ok(analysed > 10, `only ${analysed} mutations parsed`)
    })
  }
})
