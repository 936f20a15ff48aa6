import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {iterateOnnxTensors, openOnnx} from '../../../src/formats/onnx/index.js'
import type {TensorView} from '../../../src/formats/tensor.js'
import {floatTensorStats, scanTensor} from '../../../src/scan/weights/scan-tensor.js'
import {severityRank} from '../../../src/scan/types.js'
import {repoRoot} from '../../helpers/cli.js'

// Real trained weights nobody here wrote: the Silero VAD models shipped in @ricky0123/vad-web.
const distDir = path.join(repoRoot, 'node_modules', '@ricky0123', 'vad-web', 'dist')
const models = ['silero_vad_legacy.onnx', 'silero_vad_v5.onnx', 'silero_vad_v6.onnx'].map((m) => path.join(distDir, m))
const skip = models.every(existsSync) ? false : `@ricky0123/vad-web is not installed (${distDir}); real-weight tests skipped`

function tensorsOf(file: string): TensorView[] {
  const {model, source} = openOnnx(file)
  try {
    // Copy each view: the model's byte source is closed after this function.
    return [...iterateOnnxTensors(model, source, file)].map((t) => (t.data ? {...t, data: Uint8Array.from(t.data)} : t))
  } finally {
    source.close()
  }
}

describe('real trained weights (Silero VAD via @ricky0123/vad-web)', {skip}, () => {
  for (const file of models) {
    it(`${path.basename(file)}: no weight finding at low or above, and the windows were really evaluated`, async () => {
      const tensors = tensorsOf(file)
      let windows = 0
      let minEntropy = 8
      let maxPrintable = 0
      const bad: string[] = []
      for (const t of tensors) {
        for (const f of await scanTensor(t)) if (severityRank(f.severity) >= severityRank('low')) bad.push(`${f.id} ${f.severity} ${f.message}`)
        const st = await floatTensorStats(t)
        if (st) {
          windows += st.windowsEvaluated
          minEntropy = Math.min(minEntropy, st.minEntropy)
          maxPrintable = Math.max(maxPrintable, st.maxPrintable)
        }
      }
      assert.deepEqual(bad, [])
      assert.ok(windows >= 50, `only ${windows} windows evaluated`)
      // The calibration of docs/design-notes.md §5: clean windows stay >= 7.45 bits and <= 0.40 printable.
      assert.ok(minEntropy > 7.2, `min window entropy ${minEntropy}`)
      assert.ok(maxPrintable < 0.45, `max printable ${maxPrintable}`)
    })
  }

  it('the same real weights with an executable hidden in their low bytes are caught', async () => {
    const big = tensorsOf(models[1]).filter((t) => t.dtype === 'f32' && t.byteLength >= 64 * 1024)
    assert.ok(big.length > 0)
    const t = big[0]
    const bytes = Uint8Array.from(t.data ?? readFileSync(t.file!).subarray(t.byteOffset, t.byteOffset + t.byteLength))
    const elf = readFileSync(path.join(repoRoot, 'testdata', 'weights', 'tiny.elf'))
    for (let i = 0; i < elf.length; i++) bytes[(2000 + i) * 4] = elf[i]
    const fs = await scanTensor({...t, data: bytes})
    assert.ok(
      fs.some((f) => f.id === 'MS-WG001' && f.severity === 'high'),
      JSON.stringify(fs.map((f) => f.id)),
    )
  })
})
