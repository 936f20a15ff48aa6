/**
 * The reports in a real browser: headless Chromium opens each from file://, a screenshot is kept
 * (test-artifacts/html/), and the page must have run no script (the canary in the hostile strings
 * never fires, no console error, no CSP violation, no navigation), while the trigger path is drawn.
 * Skips, saying why, where Chromium is missing outside CI; in CI (.ci/run installs Chromium) a
 * missing browser is a failure.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {after, before, test} from 'node:test'

import {repoRoot, tempDir} from '../helpers/cli.js'
import {buildReports, type BuiltReports} from './report-fixtures.js'

const CHROMIUM = process.env.MODELSEAL_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p))
const skip = CHROMIUM ? false : process.env.CI ? false : 'Chromium is not installed (apt-get install chromium); the real-browser report test is skipped'
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'html')

const tmp = tempDir('modelseal-html-browser-')
let built: BuiltReports
let browser: any

before(async () => {
  if (skip) return
  assert.ok(CHROMIUM, "CI must have Chromium: .ci/run installs Debian's chromium package")
  built = await buildReports(tmp.dir)
  const {chromium} = await import('playwright-core')
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Root in CI needs --no-sandbox; the rest keep Chromium off the (closed) network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  mkdirSync(ARTIFACTS, {recursive: true})
})
after(async () => {
  await browser?.close()
  tmp.cleanup()
})

async function open(file: string, shot: string) {
  const page = await browser.newPage({viewport: {width: 1300, height: 1000}})
  const problems: string[] = []
  const requests: string[] = []
  page.on('console', (m: {type(): string; text(): string}) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e: Error) => problems.push(`page error: ${e.message}`))
  page.on('dialog', (d: {message(): string; dismiss(): Promise<void>}) => {
    problems.push(`dialog: ${d.message()}`)
    void d.dismiss()
  })
  page.on('request', (r: {url(): string}) => requests.push(r.url()))
  const url = pathToFileURL(file).href
  await page.goto(url, {waitUntil: 'load'})
  await page.waitForTimeout(300) // let any (wrongly) scheduled handler fire
  await page.screenshot({path: path.join(ARTIFACTS, shot), fullPage: true})
  // Page-side code as strings: the test compiles without the DOM type library.
  const state = (await page.evaluate('({canary: window.__modelsealCanary, title: document.title, href: location.href})')) as {
    canary?: number
    title: string
    href: string
  }
  return {page, problems, requests, state, url}
}

test('scan, audit and policy reports render from file:// with no script, request or error', {skip}, async () => {
  const cases: [keyof BuiltReports, string][] = [
    ['scan', 'modelseal scan report'],
    ['demoScan', 'modelseal scan report'],
    ['hostileScan', 'modelseal scan report'],
    ['audit', 'modelseal provenance audit'],
    ['policyDeny', 'modelseal policy decision: deny'],
    ['hostileAudit', 'modelseal provenance audit'],
    ['hostileDecision', 'modelseal policy decision: deny'],
  ]
  for (const [name, title] of cases) {
    const {page, problems, requests, state, url} = await open(built[name], `${name}.png`)
    assert.deepEqual(problems, [], `${name}: ${problems.join('; ')}`)
    assert.equal(state.canary, undefined, `${name}: the canary script ran`)
    assert.equal(state.title, title, `${name}: title changed`)
    assert.equal(state.href, url, `${name}: navigated away`)
    assert.deepEqual(requests, [url], `${name}: loaded something besides itself`)
    await page.close()
  }
})

test('the highlighted trigger path is drawn in the rendered SVG', {skip}, async () => {
  const {page, problems} = await open(built.scan, 'scan-trigger-path.png')
  assert.deepEqual(problems, [])
  const drawn = (await page.evaluate(`(() => {
    const hl = [...document.querySelectorAll('.graph svg g.g-node.g-hl')]
    return {
      count: hl.length,
      visible: hl.filter((g) => { const r = g.getBoundingClientRect(); return r.width > 0 && r.height > 0 }).length,
      stroke: hl.length ? getComputedStyle(hl[0].querySelector('rect')).stroke : '',
      edges: document.querySelectorAll('.graph svg polyline.g-edge.g-hl').length,
    }
  })()`)) as {count: number; visible: number; stroke: string; edges: number}
  assert.ok(drawn.count >= 3 && drawn.visible === drawn.count, JSON.stringify(drawn))
  assert.ok(drawn.edges >= 2, JSON.stringify(drawn))
  // The stylesheet applied under the CSP: highlighted nodes are stroked red, not the default.
  assert.equal(drawn.stroke, 'rgb(211, 47, 47)')
  await page.close()
})
