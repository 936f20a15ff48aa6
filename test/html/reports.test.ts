/** HTML reports: structure (parsed with a DOM parser), escaping of hostile strings, bounded size. */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {parseHTML} from 'linkedom'

import {auditHtml} from '../../src/audit/render-html.js'
import {CONTENT_SECURITY_POLICY} from '../../src/html/page.js'
import {escapeHtml, text, visible} from '../../src/html/escape.js'
import {repoRoot, runCli, tempDir} from '../helpers/cli.js'
import {buildReports, HOSTILE, type BuiltReports} from './report-fixtures.js'

const tmp = tempDir('modelseal-html-')
let built: BuiltReports

before(async () => {
  built = await buildReports(tmp.dir)
})
after(() => tmp.cleanup())

function dom(file: string) {
  const html = readFileSync(file, 'utf8')
  return {html, document: parseHTML(html).document}
}

/** What a report may contain: nothing executable, nothing that loads, nothing with handlers. */
function assertInert(file: string): void {
  const {html, document} = dom(file)
  assert.equal(
    document.querySelectorAll('script, iframe, object, embed, img, link, form, a, base, meta[http-equiv="refresh"]').length,
    0,
    `${file}: active element present`,
  )
  assert.equal(document.querySelectorAll('style').length, 1, `${file}: exactly the one pinned stylesheet`)
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      assert.ok(!/^on/i.test(a.name), `${file}: event handler attribute ${a.name}`)
      assert.ok(a.name !== 'style', `${file}: style attribute`)
      assert.ok(!/javascript:/i.test(a.value) || a.name === 'aria-label' || a.name.startsWith('data-'), `${file}: javascript: URL in ${a.name}`)
    }
  }
  const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]')
  assert.equal(csp?.getAttribute('content'), CONTENT_SECURITY_POLICY)
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/)
  assert.ok(!/https?:\/\//.test(html.replaceAll('http://www.w3.org/2000/svg', '')), `${file}: refers to the network`)
}

test('escape: markup, quotes, invisible and bidi characters, lone surrogates, long strings', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
  assert.equal(visible('a\u202eb\u0000c\u2066d'), 'a\\u202eb\\u0000c\\u2066d')
  assert.equal(visible('x\ud800y'), 'x\\ud800y')
  const long = visible('é'.repeat(1000), 10)
  assert.match(long, /^é{10}… \(990 more characters\)$/)
  assert.equal(text(undefined), '')
  assert.equal(text(42), '42')
})

test('scan report: summary, every finding, and an SVG with the trigger path highlighted', () => {
  assertInert(built.scan)
  const {document} = dom(built.scan)
  assert.match(document.querySelector('.verdict')!.textContent!, /FAILED/)
  const findings = document.querySelectorAll('.finding')
  assert.ok(findings.length >= 3, 'one block per finding')
  const svgs = document.querySelectorAll('.graph svg')
  assert.ok(svgs.length >= 3, 'a drawing per graph-backdoor finding')
  for (const svg of svgs) {
    const hl = svg.querySelectorAll('g.g-node.g-hl')
    assert.ok(hl.length >= 3, 'input, trigger and merge highlighted')
    assert.ok(svg.querySelectorAll('polyline.g-edge.g-hl').length >= 2, 'highlighted edges')
    const labels = [...hl].map((g) => g.textContent)
    assert.ok(
      labels.some((l) => /model input/.test(l!)),
      'path starts at a model input',
    )
    assert.ok(
      labels.some((l) => /model output/.test(l!)),
      'path ends at a model output',
    )
    for (const g of svg.querySelectorAll('g.g-node')) assert.ok(g.querySelector('title')?.textContent, 'hover text on every node')
  }
  const where = document.querySelector('.finding[data-rule="MS-GB002"]')
  assert.ok(where, 'the Where/If override rule is shown')
  const steps = [...where!.querySelectorAll('ol.path li')].map((li) => li.textContent)
  assert.ok(
    steps.some((s) => /Where|If/.test(s!)),
    `merge op on the path: ${steps.join(' | ')}`,
  )
  // The clean model is listed without findings.
  assert.ok([...document.querySelectorAll('h3')].some((h) => /clean_cnn\.onnx/.test(h.textContent!)))
})

test('scan report of the demo model: passed, every file listed', () => {
  assertInert(built.demoScan)
  const {document} = dom(built.demoScan)
  assert.match(document.querySelector('.verdict')!.textContent!, /Passed/)
  const files = [...document.querySelectorAll('h3 code')].map((c) => c.textContent)
  assert.ok(files.some((f) => /model\.safetensors$/.test(f!)) && files.some((f) => /model\.onnx$/.test(f!)), files.join(' | '))
})

test('hostile strings render as text: node names, doc strings, file names, identities, reasons', () => {
  for (const file of [built.hostileScan, built.hostileAudit, built.hostileDecision]) {
    assertInert(file)
    const {html, document} = dom(file)
    const shown = document.body.textContent!
    assert.ok(shown.includes('<script>window.__modelsealCanary'), `${file}: script shown as text`)
    assert.ok(!html.includes('\u202e') && shown.includes('\\u202e'), `${file}: bidi override made visible`)
    // A 1 MB name is cut, never copied whole (into text, attributes or hover titles).
    assert.ok(html.length < 400_000, `${file}: ${html.length} bytes`)
  }
  const {document} = dom(built.hostileScan)
  assert.ok(document.querySelectorAll('.graph svg g.g-hl').length > 0, 'the hostile model still gets its drawing')
  assert.ok(document.querySelector('h3 code')!.textContent!.includes('"><img src=x onerror=alert(1)>'), 'hostile file name shown literally')
  const decision = dom(built.hostileDecision).document
  assert.equal(decision.querySelectorAll('table.requirements tr[data-result]').length, HOSTILE.length)
})

test('audit report: files with signed/unsigned status, signer identity, verified vs read kept distinct', () => {
  assertInert(built.audit)
  const {document} = dom(built.audit)
  const files = [...document.querySelectorAll('table.files tr')].slice(1).map((tr) => tr.textContent)
  assert.ok(
    files.some((t) => /model\.onnx/.test(t!) && /signed/.test(t!)),
    files.join(' | '),
  )
  const sig = document.querySelector('.signature')!
  assert.equal(sig.getAttribute('data-status'), 'verified')
  assert.match(sig.textContent!, /key sha256:[0-9a-f]{64}/)
  const hostile = dom(built.hostileAudit).document
  const att = hostile.querySelector('.attestation')!
  assert.equal(att.getAttribute('data-status'), 'read')
  assert.match(att.textContent!, /Read, not verified/)
  assert.ok(att.querySelector('.badge.b-read'), 'read badge is the dashed one')
  assert.ok(hostile.querySelector('.signature .badge.b-verified'), 'verified badge is the solid one')
})

test('policy decision: requirements table, failing rows marked, waivers with expiry', () => {
  assertInert(built.policyDeny)
  const {document} = dom(built.policyDeny)
  assert.match(document.querySelector('h1')!.textContent!, /deny/)
  const rows = [...document.querySelectorAll('table.requirements tr[data-result]')]
  const failing = rows.find((r) => r.textContent!.includes('release-signed'))!
  assert.equal(failing.getAttribute('data-result'), 'fail')
  assert.match(failing.getAttribute('class')!, /r-fail/)
  const waived = [...dom(built.hostileDecision).document.querySelectorAll('tr[data-result="waived"]')]
  assert.ok(waived.length > 0 && waived.every((r) => /expires/.test(r.textContent!)))
})

test('a report file that cannot be written: one line, E_OUTPUT_WRITE, exit 3, no stack trace', async () => {
  const out = '/nonexistent-dir-modelseal/report.html'
  const onnx = path.join(repoRoot, 'testdata', 'onnx', 'clean_cnn.onnx')
  const demo = path.join(repoRoot, 'testdata', 'demo-model')
  for (const args of [
    ['scan', onnx, '--format', 'html', '--output', out],
    ['audit', demo, '--format', 'html', '--output', out],
  ]) {
    const r = await runCli(args)
    assert.equal(r.code, 3, `${args[0]}: ${r.stderr}`)
    assert.match(r.stderr, /^modelseal: E_OUTPUT_WRITE: cannot write \/nonexistent-dir-modelseal\/report\.html: ENOENT\n$/)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
  }
})

test('audit report: files listed by a signature that failed are never shown as signed', () => {
  const html = auditHtml({
    reportVersion: '1',
    generatedAt: '2026-12-01T00:00:00Z',
    model: {path: 'm', rootDigest: null, files: 1, totalBytes: 1, excludedEvidence: []},
    signatures: [{source: 'forged.sig', status: 'failed', signer: {method: 'key'}, resources: [{name: 'w.bin', algorithm: 'sha256', digest: 'ab'.repeat(32)}]}],
    attestations: [],
    facts: [],
  })
  const row = [...parseHTML(html).document.querySelectorAll('table.files tr')].find((tr) => tr.textContent!.includes('w.bin'))!
  assert.ok(row.querySelector('.badge.b-failed'), row.innerHTML)
  assert.ok(!row.querySelector('.badge.b-signed'))
})
