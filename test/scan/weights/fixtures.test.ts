import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {scanPaths} from '../../../src/scan/engine.js'
import type {FileReport} from '../../../src/scan/types.js'
import {repoRoot, tempDir} from '../../helpers/cli.js'

const dir = path.join(repoRoot, 'testdata', 'weights')

/** What every committed fixture must produce: status and the sorted "id:severity" list. */
const EXPECTED: Record<string, [FileReport['status'], string]> = {
  'broken-after-payload.pkl': ['scanned', 'MS-PK001:critical MS-PK005:high'],
  'clean-compressed.npz': ['scanned', ''],
  'clean.gguf': ['scanned', ''],
  'clean.npy': ['scanned', ''],
  'clean.npz': ['scanned', ''],
  'clean.pkl': ['scanned', ''],
  'clean.safetensors': ['scanned', ''],
  'gguf-backdoor-template.gguf': ['scanned', 'MS-GG010:medium'],
  'gguf-bad-alignment.gguf': ['scanned', 'MS-GG005:high'],
  'gguf-count-bomb.gguf': ['scanned', 'MS-GG002:high'],
  'gguf-ssti-template.gguf': ['scanned', 'MS-GG009:critical'],
  'model.h5': ['unsupported', 'MS-UN001:info'],
  'model.tflite': ['unsupported', 'MS-UN001:info'],
  'nan-inf.safetensors': ['scanned', 'MS-WG004:info MS-WG004:medium'],
  'object-os-system.npy': ['scanned', 'MS-NP002:medium MS-PK001:critical'],
  'payload-elf-low16.safetensors': ['scanned', 'MS-WG001:high'],
  'payload-elf-low24.safetensors': ['scanned', 'MS-WG001:high'],
  'payload-elf-low8.safetensors': ['scanned', 'MS-WG001:high MS-WG002:high'],
  'payload-text-low8.safetensors': ['scanned', 'MS-WG002:high'],
  'proto0-os-system.pkl': ['scanned', 'MS-PK001:critical'],
  'sklearn-like.pkl': ['scanned', 'MS-PK002:medium'],
  'stack-global-memo.pkl': ['scanned', 'MS-PK001:critical'],
  'stack-global-unresolved.pkl': ['scanned', 'MS-PK003:critical'],
  'sts-bad-metadata.safetensors': ['scanned', 'MS-ST007:medium'],
  'sts-duplicate-key.safetensors': ['scanned', 'MS-ST003:high MS-ST006:high'],
  'sts-gap.safetensors': ['scanned', 'MS-ST006:high'],
  'sts-header-past-eof.safetensors': ['error', 'MS-ST001:high'],
  'sts-header-too-large.safetensors': ['error', 'MS-ST001:high'],
  'sts-invalid-json.safetensors': ['error', 'MS-ST002:high'],
  'sts-not-covering.safetensors': ['scanned', 'MS-ST006:high'],
  'sts-overlap.safetensors': ['scanned', 'MS-ST006:high MS-ST006:high'],
  'sts-past-eof.safetensors': ['scanned', 'MS-ST006:high'],
  'sts-reversed.safetensors': ['scanned', 'MS-ST005:high MS-ST006:high'],
  'sts-size-mismatch.safetensors': ['scanned', 'MS-ST005:high'],
  'sts-trailing.safetensors': ['scanned', 'MS-ST006:high MS-WG001:high'],
  'sts-unknown-dtype.safetensors': ['scanned', 'MS-ST004:high MS-ST006:high'],
  'sts-unsorted-ok.safetensors': ['scanned', ''],
  'tiny.elf': ['unsupported', 'MS-UN001:info MS-UN002:high'],
  'torch-clean.pt': ['scanned', ''],
  'torch-crc-name-quirks.pt': ['scanned', 'MS-PK001:critical MS-PT001:high MS-PT001:high'],
  'torch-legacy.pt': ['scanned', ''],
  'torch-os-system.pt': ['scanned', 'MS-PK001:critical'],
  'torch-payload-storage.pt': ['scanned', 'MS-WG001:high'],
  'torch-truncated.pt': ['scanned', 'MS-PT001:high'],
  'upcast-clean.safetensors': ['scanned', ''],
  'upcast-payload-elf.safetensors': ['scanned', 'MS-WG001:high MS-WG003:medium'],
  'upcast-payload-random.safetensors': ['scanned', 'MS-WG003:medium'],
}

describe('weight fixtures', () => {
  it('are reproduced byte for byte by testdata/make-weight-fixtures.mjs (and stay small)', () => {
    const {dir: tmp, cleanup} = tempDir()
    try {
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'testdata', 'make-weight-fixtures.mjs'), tmp], {encoding: 'utf8'})
      assert.equal(r.status, 0, r.stderr)
      const names = readdirSync(dir).sort()
      assert.deepEqual(readdirSync(tmp).sort(), names)
      let total = 0
      for (const n of names) {
        const a = readFileSync(path.join(dir, n))
        total += a.length
        assert.ok(a.equals(readFileSync(path.join(tmp, n))), `${n} differs from the generator's output`)
      }
      assert.ok(total < 2 << 20, `fixtures total ${total} bytes`)
    } finally {
      cleanup()
    }
  })

  it('each produce exactly their documented findings through the scan engine', async () => {
    const {report} = await scanPaths([dir], {failOn: 'high'})
    const got: Record<string, [string, string]> = {}
    for (const f of report.files) {
      got[path.basename(f.path)] = [
        f.status,
        f.findings
          .map((x) => `${x.id}:${x.severity}`)
          .sort()
          .join(' '),
      ]
    }
    assert.deepEqual(got, EXPECTED)
    for (const f of report.files) {
      for (const x of f.findings) {
        if (x.category === 'embedded-payload' && x.id.startsWith('MS-WG')) {
          assert.equal(typeof x.location.tensor, 'string', `${f.path}: ${x.id} names its tensor`)
          assert.ok((x.location.byteEnd as number) > (x.location.byteStart as number), `${f.path}: ${x.id} has a byte range`)
        }
      }
    }
  })

  it('reads the tensors of every clean format (weights really were checked)', async () => {
    const names = ['clean.safetensors', 'torch-clean.pt', 'torch-legacy.pt', 'clean.npy', 'clean.npz', 'clean.gguf']
    const {report} = await scanPaths(
      names.map((n) => path.join(dir, n)),
      {failOn: 'high'},
    )
    const stats = Object.fromEntries(report.files.map((f) => [path.basename(f.path), f.stats]))
    assert.equal(stats['clean.safetensors']?.tensors, 4)
    assert.equal(stats['torch-clean.pt']?.storages, 2)
    assert.equal(stats['torch-legacy.pt']?.storages, 1)
    assert.equal(stats['clean.gguf']?.tensors, 2)
    assert.equal(report.summary.failed, false)
  })
})
