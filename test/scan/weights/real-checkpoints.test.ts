import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {scanPaths} from '../../../src/scan/engine.js'
import {severityRank} from '../../../src/scan/types.js'
import {repoRoot} from '../../helpers/cli.js'

// Files written by the real producers (testdata/make-real-weights.py: Debian's torch and numpy,
// torch's own C++ zip writer for the 2.x layout, the published chat templates). A scanner that
// cries wolf on these gets switched off: nothing at medium or above, and every file really read.
const dir = path.join(repoRoot, 'testdata', 'real')

describe('real checkpoints from the real writers', () => {
  it('give no finding at medium or above, with their tensors and pickles really analysed', async () => {
    const names = readdirSync(dir).sort()
    assert.ok(names.length >= 19, `only ${names.length} real fixtures`)
    const {report, exitCode} = await scanPaths([dir], {failOn: 'medium'})
    const noisy = report.files.flatMap((f) =>
      f.findings.filter((x) => severityRank(x.severity) >= severityRank('medium')).map((x) => `${path.basename(f.path)}: ${x.id} ${x.severity} ${x.message}`),
    )
    assert.deepEqual(noisy, [])
    assert.equal(exitCode, 0)
    assert.equal(report.summary.scanned, names.length)
    const stats = Object.fromEntries(report.files.map((f) => [path.basename(f.path), f.stats ?? {}]))
    for (const n of names.filter((x) => x.startsWith('torch'))) {
      assert.ok((stats[n].storages as number) > 0, `${n}: no storages read`)
    }
    assert.equal(stats['torch-legacy.pt'].pickles, 5)
    assert.equal(report.files.find((f) => f.path.endsWith('torch2-shaped.pt'))?.format, 'pytorch-zip')
    for (const n of names.filter((x) => x.endsWith('.gguf'))) assert.equal(stats[n].tensors, 2, n)
  })
})
