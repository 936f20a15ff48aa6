import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {assertCleanFailure, parseJson, repoRoot, runCli, tempDir} from '../../helpers/cli.js'

const fx = (n: string) => path.join(repoRoot, 'testdata', 'weights', n)

describe('modelseal scan on weight formats (CLI)', () => {
  it('fails (exit 1) on a PyTorch checkpoint whose pickle calls os.system, naming the member', async () => {
    const r = await runCli(['scan', fx('torch-os-system.pt'), '--format', 'json'])
    assert.equal(r.code, 1, r.stderr)
    const j = parseJson(r)
    const f = j.files[0]
    assert.equal(f.format, 'pytorch-zip')
    assert.equal(f.findings[0].id, 'MS-PK001')
    assert.equal(f.findings[0].severity, 'critical')
    assert.equal(f.findings[0].location.member, 'archive/data.pkl')
  })

  it('passes (exit 0) on clean weight files of every format, in one report', async () => {
    const names = ['clean.safetensors', 'torch-clean.pt', 'torch-legacy.pt', 'clean.npy', 'clean.npz', 'clean.gguf', 'clean.pkl']
    const r = await runCli(['scan', ...names.map(fx), '--format', 'json'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const j = parseJson(r)
    assert.deepEqual(j.files.map((f: {format: string}) => f.format).sort(), ['gguf', 'npz', 'numpy', 'pickle', 'pytorch-legacy', 'pytorch-zip', 'safetensors'])
  })

  it('exits 3 on an unreadable safetensors header when findings stay under the threshold', async () => {
    const r = await runCli(['scan', fx('sts-header-too-large.safetensors'), '--format', 'json', '--fail-on', 'critical'])
    assert.equal(r.code, 3)
    assertCleanFailure(r)
    assert.equal(parseJson(r).files[0].error.code, 'E_SAFETENSORS_HEADER')
  })

  it('puts weight rules into SARIF with a security-severity', async () => {
    const r = await runCli(['scan', fx('payload-elf-low24.safetensors'), '--format', 'sarif'])
    assert.equal(r.code, 1)
    const s = JSON.parse(r.stdout)
    const rule = s.runs[0].tool.driver.rules.find((x: {id: string}) => x.id === 'MS-WG001')
    assert.ok(rule, 'MS-WG001 in rules[]')
    assert.ok(Number(rule.properties['security-severity']) >= 7)
    assert.equal(s.runs[0].results[0].ruleId, 'MS-WG001')
  })
})

describe('scan discovery and --strict (CLI)', () => {
  it('lists every file it does not analyse in skipped[] with a reason, and finds a pickle by content under any name', async () => {
    const {dir, cleanup} = tempDir()
    try {
      mkdirSync(path.join(dir, 'node_modules', 'pkg'), {recursive: true})
      mkdirSync(path.join(dir, '.git'))
      writeFileSync(path.join(dir, 'node_modules', 'pkg', 'model.pkl'), readFileSync(fx('proto0-os-system.pkl')))
      writeFileSync(path.join(dir, 'README.md'), '# a model\n')
      writeFileSync(path.join(dir, 'notes.txt'), readFileSync(fx('proto0-os-system.pkl')))
      writeFileSync(path.join(dir, 'weights.bin'), readFileSync(fx('clean.pkl')))
      symlinkSync(path.join(dir, 'weights.bin'), path.join(dir, 'again.bin'))
      const r = await runCli(['scan', dir, '--format', 'json'])
      assert.equal(r.code, 1, r.stderr)
      const j = parseJson(r)
      const skipped = Object.fromEntries(j.skipped.map((s: {path: string; kind: string; reason: string}) => [path.basename(s.path), s]))
      assert.deepEqual(Object.keys(skipped).sort(), ['.git', 'README.md', 'again.bin', 'node_modules'])
      assert.equal(skipped.node_modules.kind, 'directory')
      assert.match(skipped.node_modules.reason, /node_modules/)
      assert.equal(skipped['again.bin'].kind, 'symlink')
      for (const s of j.skipped) assert.ok(s.reason.length > 10, `${s.path} has a reason`)
      assert.equal(j.summary.skipped, 4)
      const files = Object.fromEntries(j.files.map((f: {path: string}) => [path.basename(f.path), f]))
      assert.equal(files['notes.txt'].format, 'pickle')
      assert.equal(files['notes.txt'].findings[0].id, 'MS-PK001')
      assert.equal(files['weights.bin'].format, 'pickle')
    } finally {
      cleanup()
    }
  })

  it('--strict makes an import outside the allowlist high (exit 1); without it, medium (exit 0)', async () => {
    const plain = await runCli(['scan', fx('sklearn-like.pkl'), '--format', 'json'])
    assert.equal(plain.code, 0, plain.stderr)
    assert.equal(parseJson(plain).files[0].findings[0].severity, 'medium')
    const strict = await runCli(['scan', fx('sklearn-like.pkl'), '--format', 'json', '--strict'])
    assert.equal(strict.code, 1, strict.stderr)
    const j = parseJson(strict)
    assert.equal(j.summary.strict, true)
    assert.deepEqual(
      j.files[0].findings.map((f: {id: string; severity: string}) => `${f.id}:${f.severity}`),
      ['MS-PK002:high'],
    )
    // Real checkpoints stay clean under --strict: everything they import is on the allowlist.
    const real = await runCli(['scan', path.join(repoRoot, 'testdata', 'real'), '--format', 'json', '--strict', '--fail-on', 'medium'])
    assert.equal(real.code, 0, real.stdout.slice(0, 2000))
  })
})

describe('chat templates outside GGUF (tokenizer_config.json, *.jinja)', () => {
  it('judges a Hugging Face tokenizer_config.json template like a GGUF one, and leaves the published ones clean', async () => {
    const {dir, cleanup} = tempDir()
    try {
      writeFileSync(
        path.join(dir, 'tokenizer_config.json'),
        JSON.stringify({model_max_length: 2048, chat_template: [{name: 'default', template: "{% for m in messages %}{{ m['__cl' ~ 'ass__'] }}{% endfor %}"}]}),
      )
      mkdirSync(path.join(dir, 'clean'))
      writeFileSync(
        path.join(dir, 'clean', 'chat_template.jinja'),
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}",
      )
      writeFileSync(
        path.join(dir, 'clean', 'tokenizer_config.json'),
        JSON.stringify({chat_template: "{% if '</think>' in message['content'] %}{{ message['content'].split('</think>')[-1] }}{% endif %}"}),
      )
      const r = await runCli(['scan', dir, '--format', 'json'])
      assert.equal(r.code, 1, r.stderr)
      const files = Object.fromEntries(parseJson(r).files.map((f: {path: string}) => [path.relative(dir, f.path), f]))
      assert.equal(files['tokenizer_config.json'].format, 'chat-template')
      assert.deepEqual(
        files['tokenizer_config.json'].findings.map((f: {id: string; severity: string}) => `${f.id}:${f.severity}`),
        ['MS-GG009:critical'],
      )
      assert.deepEqual(files['clean/chat_template.jinja'].findings, [])
      assert.deepEqual(files['clean/tokenizer_config.json'].findings, [])
    } finally {
      cleanup()
    }
  })
})
