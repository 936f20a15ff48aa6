import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {scanPaths} from '../../../src/scan/engine.js'
import {severityRank, type Severity} from '../../../src/scan/types.js'
import {repoRoot, tempDir} from '../../helpers/cli.js'

// One file per bypass class of the scanner-hardening issue (testdata/make-bypass-fixtures.mjs):
// [status, worst severity, rule ids that must be among the findings]. None may exit 0.
const dir = path.join(repoRoot, 'testdata', 'bypass')
const EXPECTED: Record<string, ['scanned' | 'unsupported', Severity, string[]]> = {
  'memo-int-style.pkl': ['scanned', 'critical', ['MS-PK001']],
  'string-escapes.pkl': ['scanned', 'critical', ['MS-PK001']],
  'unicode-escapes.pkl': ['scanned', 'critical', ['MS-PK001']],
  'dotted-argparse-os.pkl': ['scanned', 'critical', ['MS-PK001']],
  'dotted-collections-sys.pkl': ['scanned', 'critical', ['MS-PK001']],
  'fix-imports-py2-module.pkl': ['scanned', 'critical', ['MS-PK001']],
  'starts-with-unicode.bin': ['scanned', 'critical', ['MS-PK001']],
  'starts-with-mark-inst.pt': ['scanned', 'critical', ['MS-PK001']],
  'second-stream.pkl': ['scanned', 'critical', ['MS-PK001', 'MS-PK006']],
  'memo-across-streams.pkl': ['scanned', 'critical', ['MS-PK001']],
  'ext-registry.pkl': ['scanned', 'high', ['MS-PK004']],
  'torch-extra-json-member.pt': ['scanned', 'critical', ['MS-PK001', 'MS-PT003']],
  'torch-junk-prepended.pt': ['scanned', 'critical', ['MS-PK001', 'MS-PT001']],
  'pickle-then-zip-polyglot.pt': ['scanned', 'critical', ['MS-PK001', 'MS-PT001']],
  'zip-pickle-any-name.zip': ['scanned', 'critical', ['MS-PK001']],
  'zip-in-zip.zip': ['scanned', 'critical', ['MS-PK001']],
  'pickle.pkl.gz': ['scanned', 'critical', ['MS-PK001']],
  'pickle.z': ['scanned', 'critical', ['MS-PK001']],
  'model.tar': ['scanned', 'critical', ['MS-PK001']],
  'model.tar.gz': ['scanned', 'critical', ['MS-PK001']],
  'wrapped.7z': ['unsupported', 'info', ['MS-AR002', 'MS-UN001']],
  'encrypted-flag-pickle.pt': ['scanned', 'critical', ['MS-PK001', 'MS-PT001']],
  'encrypted-member.zip': ['unsupported', 'high', ['MS-PT001', 'MS-UN001']],
  'descriptor-mismatch.pt': ['scanned', 'critical', ['MS-PT001']],
  'zip-hidden-local-entry.pt': ['scanned', 'critical', ['MS-PT001', 'MS-PK001']],
  'npy-double-quotes-object.npy': ['scanned', 'critical', ['MS-NP002', 'MS-PK001']],
  'npy-duplicate-descr.npy': ['scanned', 'critical', ['MS-NP002', 'MS-PK001']],
  'npy-nested-object-field.npy': ['scanned', 'critical', ['MS-NP002', 'MS-PK001']],
  'npy-subarray-object.npy': ['scanned', 'critical', ['MS-NP002', 'MS-PK001']],
  'npy-concatenated-descr.npy': ['scanned', 'critical', ['MS-NP002', 'MS-PK001']],
  'elf-across-tensors.safetensors': ['scanned', 'high', ['MS-WG001']],
  'text-across-small-tensors.safetensors': ['scanned', 'high', ['MS-WG002']],
  'xor-payload.safetensors': ['scanned', 'high', ['MS-WG002']],
  'metadata-base64-elf.safetensors': ['scanned', 'high', ['MS-ST008']],
  'metadata-hex-pickle.safetensors': ['scanned', 'high', ['MS-ST008']],
  'gguf-nonzero-padding.gguf': ['scanned', 'high', ['MS-GG012']],
  'gguf-trailing-data.gguf': ['scanned', 'high', ['MS-GG008', 'MS-WG001']],
  'gguf-ssti-concat.gguf': ['scanned', 'critical', ['MS-GG009']],
  'gguf-ssti-join.gguf': ['scanned', 'critical', ['MS-GG009']],
  'gguf-ssti-lower.gguf': ['scanned', 'critical', ['MS-GG009']],
  'gguf-ssti-attr.gguf': ['scanned', 'critical', ['MS-GG009']],
  'gguf-ssti-setvar.gguf': ['scanned', 'critical', ['MS-GG009']],
  'gguf-ssti-escapes.gguf': ['scanned', 'critical', ['MS-GG009']],
  'gguf-ssti-reversed.gguf': ['scanned', 'critical', ['MS-GG009']],
  'notes.txt': ['scanned', 'critical', ['MS-PK001']],
}

describe('scanner bypass classes (testdata/bypass)', () => {
  it('are reproduced byte for byte by testdata/make-bypass-fixtures.mjs', () => {
    const {dir: tmp, cleanup} = tempDir()
    try {
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'testdata', 'make-bypass-fixtures.mjs'), tmp], {encoding: 'utf8'})
      assert.equal(r.status, 0, r.stderr)
      const names = readdirSync(dir).sort()
      assert.deepEqual(readdirSync(tmp).sort(), names)
      for (const n of names) assert.ok(readFileSync(path.join(dir, n)).equals(readFileSync(path.join(tmp, n))), `${n} differs from the generator's output`)
    } finally {
      cleanup()
    }
  })

  it('are each caught at their expected severity, and none exits 0', async () => {
    assert.deepEqual(readdirSync(dir).sort(), Object.keys(EXPECTED).sort())
    for (const [name, [status, worst, ids]] of Object.entries(EXPECTED)) {
      const {report, exitCode} = await scanPaths([path.join(dir, name)], {failOn: 'high'})
      const f = report.files[0]
      const got = f.findings.map((x) => `${x.id}:${x.severity}`)
      assert.equal(f.status, status, `${name}: status ${f.status} (${got.join(' ')})`)
      const max = f.findings.reduce<Severity>((m, x) => (severityRank(x.severity) > severityRank(m) ? x.severity : m), 'info')
      assert.equal(max, worst, `${name}: worst ${max} (${got.join(' ')})`)
      for (const id of ids)
        assert.ok(
          f.findings.some((x) => x.id === id),
          `${name}: no ${id} in ${got.join(' ')}`,
        )
      assert.notEqual(exitCode, 0, `${name} exits 0`)
    }
  })
})
