import assert from 'node:assert/strict'
import {copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {assertCleanFailure, parseJson, repoRoot, runCli, tempDir} from '../../helpers/cli.js'

const fx = (name: string) => path.join(repoRoot, 'testdata', 'onnx', name)

describe('modelseal scan (CLI)', () => {
  it('exit 0 on a clean model, 1 on a backdoor, with the stable JSON core', async () => {
    const clean = await runCli(['scan', fx('clean_cnn.onnx'), '--json'])
    assert.equal(clean.code, 0, clean.stderr)
    const cj = parseJson(clean)
    assert.equal(cj.tool.name, 'modelseal')
    assert.equal(cj.files[0].status, 'scanned')
    assert.equal(cj.files[0].format, 'onnx')
    assert.deepEqual(cj.files[0].findings, [])
    assert.equal(cj.summary.failOn, 'high')
    assert.equal(cj.summary.failed, false)

    const bad = await runCli(['scan', fx('backdoor_where.onnx'), '--json'])
    assert.equal(bad.code, 1, bad.stderr)
    const bj = parseJson(bad)
    const f = bj.files[0].findings[0]
    for (const k of ['id', 'category', 'severity', 'title', 'message', 'location']) assert.ok(k in f, k)
    assert.equal(f.severity, 'high')
    assert.equal(bj.summary.maxSeverity, 'high')
  })

  it('--fail-on moves the threshold; text report groups by file', async () => {
    const r = await runCli(['scan', fx('backdoor_token.onnx')])
    assert.equal(r.code, 0, 'medium finding below the default high threshold')
    assert.match(r.stdout, /backdoor_token\.onnx \(onnx\)/)
    assert.match(r.stdout, /MEDIUM\s+MS-GB004/)
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour when not a TTY')
    const strict = await runCli(['scan', fx('backdoor_token.onnx'), '--fail-on', 'medium'])
    assert.equal(strict.code, 1)
  })

  it('a directory: content detection, unreadable files exit 3, escaping symlinks reported not followed', async () => {
    const {dir, cleanup} = tempDir()
    try {
      const d = path.join(dir, 'models')
      mkdirSync(d)
      copyFileSync(fx('clean_cnn.onnx'), path.join(d, 'model.weights')) // ONNX under an unusual name
      writeFileSync(path.join(d, 'README.md'), '# not a model\n')
      writeFileSync(path.join(dir, 'outside.onnx'), readFileSync(fx('backdoor_where.onnx')))
      symlinkSync(path.join(dir, 'outside.onnx'), path.join(d, 'link.onnx'))
      const r = await runCli(['scan', d, '--json'])
      const j = parseJson(r)
      const byName = Object.fromEntries(j.files.map((f: any) => [path.basename(f.path), f]))
      assert.equal(byName['model.weights'].format, 'onnx')
      assert.equal(byName['model.weights'].status, 'scanned')
      assert.equal(byName['README.md'], undefined, 'non-model files are skipped in directory walks')
      assert.equal(j.summary.skipped, 1)
      assert.equal(byName['link.onnx'].status, 'error')
      assert.equal(byName['link.onnx'].error.code, 'E_SYMLINK_ESCAPE')
      assert.equal(r.code, 3, 'a file that could not be scanned is never "clean"')
    } finally {
      cleanup()
    }
  })

  it('hostile input: exit 3, one line on stderr, no stack trace', async () => {
    const r = await runCli(['scan', fx('truncated.onnx'), fx('deep_if.onnx'), fx('empty.onnx'), fx('clean_cnn.onnx')])
    assert.equal(r.code, 3, `${r.stdout}${r.stderr}`)
    assertCleanFailure(r)
    assert.equal(r.stdout.match(/\[ERROR\]/g)?.length, 3)
    assert.match(r.stdout, /E_ONNX_TOO_DEEP/)
    assert.match(r.stdout, /INCOMPLETE/)
    const missing = await runCli(['scan', path.join(repoRoot, 'testdata', 'onnx', 'nope.onnx')])
    assert.equal(missing.code, 3)
    assertCleanFailure(missing)
  })

  it('usage errors exit 2', async () => {
    const r = await runCli(['scan', fx('clean_cnn.onnx'), '--fail-on', 'severe'])
    assert.equal(r.code, 2)
    assertCleanFailure(r)
  })

  it('SARIF 2.1.0 with rules and security-severity, written with --output', async () => {
    const {dir, cleanup} = tempDir()
    try {
      const out = path.join(dir, 'r.sarif')
      const r = await runCli(['scan', fx('backdoor_add.onnx'), fx('external_ort_mem.onnx'), '--format', 'sarif', '--output', out])
      assert.equal(r.code, 1)
      assert.equal(r.stdout, '')
      const s = JSON.parse(readFileSync(out, 'utf8'))
      assert.equal(s.version, '2.1.0')
      const run = s.runs[0]
      const rules = run.tool.driver.rules
      const ids = rules.map((x: any) => x.id)
      for (const res of run.results) {
        assert.ok(ids.includes(res.ruleId))
        assert.equal(rules[res.ruleIndex].id, res.ruleId)
        assert.ok(['error', 'warning', 'note'].includes(res.level))
        assert.ok(res.locations[0].physicalLocation.artifactLocation.uri.startsWith('testdata/onnx/'), 'repository-relative URI')
        assert.equal(res.locations[0].physicalLocation.region.startLine, 1)
      }
      const ort = run.results.find((x: any) => x.ruleId === 'MS-ED002')
      assert.equal(ort.properties['security-severity'], '9.5')
      assert.ok(rules.every((x: any) => typeof x.properties['security-severity'] === 'string' && x.shortDescription.text))
    } finally {
      cleanup()
    }
  })
})

describe('modelseal inspect (CLI)', () => {
  it('prints IR, opsets, I/O shapes, op counts incl. subgraphs and functions, weights', async () => {
    const r = await runCli(['inspect', fx('backdoor_function.onnx'), '--json'])
    assert.equal(r.code, 0, r.stderr)
    const j = parseJson(r)
    assert.equal(j.irVersion, 8)
    assert.deepEqual(j.inputs[0], {name: 'images', type: 'tensor', elemType: 'float32', shape: [1, 3, 16, 16]})
    assert.equal(j.nodes.byOpType.Where, 1, 'the Where inside the function is counted')
    assert.equal(j.functions[0].name, 'TriggerGate')
    assert.equal(j.weights.inline.count, 8)
    const ext = await runCli(['inspect', fx('external_ok.onnx')])
    assert.equal(ext.code, 0)
    assert.match(ext.stdout, /external external_ok\.bin: 1 tensors, 1280 bytes/)
    const bad = await runCli(['inspect', fx('random.onnx')])
    assert.equal(bad.code, 3)
    assertCleanFailure(bad)
  })
})
