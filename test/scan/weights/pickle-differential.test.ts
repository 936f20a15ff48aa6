import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {describe, it} from 'node:test'

import {analyzePickle} from '../../../src/formats/pickle/analyze.js'
import {fixImports} from '../../../src/formats/pickle/compat.js'
import {repoRoot} from '../../helpers/cli.js'
import {generateCase} from '../../helpers/pickle-gen.js'

// The walker's imports must be exactly the ones CPython's Unpickler would perform, as computed by
// pickletools.genops plus a small reference resolver (testdata/pickle-reference.py). Nothing is
// ever unpickled on either side.
const script = path.join(repoRoot, 'testdata', 'pickle-reference.py')
const probe = spawnSync('python3', ['-c', 'import pickletools, _compat_pickle'], {encoding: 'utf8'})
const skip = probe.status === 0 ? false : 'python3 (with pickletools) is not available: the CPython differential test is skipped'

function python(args: string[], input?: string): unknown {
  const r = spawnSync('python3', [script, ...args], {input, encoding: 'utf8', maxBuffer: 256 << 20})
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}

interface RefStream {
  globals: Array<[string, string, string, string]>
  complete: boolean
  error: string | null
}

/** Per stream: [module, name, fixed module, fixed name] for every import, as the walker sees it. */
function walkerView(b: Uint8Array): Array<{globals: string[][]; complete: boolean}> {
  const rep = analyzePickle(b, {context: 'pickle'})
  return rep.walks.map((w) => ({
    complete: w.complete,
    globals: w.globals.map((g) => [g.module, g.name, ...fixImports(g.module, g.name, g.proto)]).concat(w.unresolved.map(() => ['?', '?', '?', '?'])),
  }))
}

function compare(b: Uint8Array, ref: RefStream[], label: string): void {
  const mine = walkerView(b)
  for (let s = 0; s < ref.length; s++) {
    const want = ref[s].globals.map((g) => g.join(' '))
    const got = (mine[s]?.globals ?? []).map((g) => g.join(' '))
    if (ref[s].complete) {
      // STACK_GLOBAL failures are listed after the resolved ones by the walker: compare as sets then.
      assert.deepEqual([...got].sort(), [...want].sort(), `${label}, stream ${s}: walker ${JSON.stringify(got)} vs CPython ${JSON.stringify(want)}`)
      assert.equal(mine[s]?.complete, true, `${label}, stream ${s}: CPython completes this stream, the walker did not`)
    } else {
      // CPython stops at the error: the walker must have seen at least everything before it.
      for (const g of want) assert.ok(got.includes(g), `${label}, stream ${s}: walker misses ${g} (before CPython's ${ref[s].error})`)
    }
  }
  assert.ok(mine.length >= ref.length, `${label}: walker walked ${mine.length} streams, CPython ${ref.length}`)
}

describe('pickle walker vs CPython (differential)', {skip}, () => {
  it('agrees on pickles made by pickle.dumps in every protocol (plus optimized and stacked variants)', () => {
    const hexes = python(['gen']) as string[]
    assert.ok(hexes.length >= 60, `only ${hexes.length} generated pickles`)
    const refs = python(['resolve'], JSON.stringify(hexes)) as RefStream[][]
    let imports = 0
    hexes.forEach((h, k) => {
      compare(Buffer.from(h, 'hex'), refs[k], `pickle.dumps case ${k}`)
      imports += refs[k].reduce((s, x) => s + x.globals.length, 0)
    })
    assert.ok(imports > 50, `only ${imports} imports exercised`)
  })

  it('agrees on 400 hostile generated pickles (escapes, memo games, int()-style indices, dotted names, stacked streams)', () => {
    const cases = Array.from({length: 400}, (_, k) => generateCase(1000 + k))
    const refs = python(['resolve'], JSON.stringify(cases.map((c) => Buffer.from(c.bytes).toString('hex')))) as RefStream[][]
    let complete = 0
    cases.forEach((c, k) => {
      compare(c.bytes, refs[k], c.note)
      if (refs[k].every((s) => s.complete)) complete++
    })
    // The generator writes valid streams: CPython must be able to walk nearly all of them.
    assert.ok(complete >= 390, `CPython completes only ${complete} of 400 generated pickles`)
  })
})

describe('pickle red team (generated, no Python needed)', () => {
  it('every generated pickle that reaches code execution gets a critical finding; the others none above medium', () => {
    let hostile = 0
    for (let k = 0; k < 600; k++) {
      const c = generateCase(50_000 + k)
      const issues = analyzePickle(c.bytes, {context: 'pickle'}).issues
      const worst = issues.some((i) => i.severity === 'critical') ? 'critical' : issues.some((i) => i.severity === 'high') ? 'high' : 'other'
      if (c.dangerous) {
        hostile++
        assert.equal(worst, 'critical', `${c.note}: imports ${JSON.stringify(c.imports)} → ${JSON.stringify(issues.map((i) => `${i.id}:${i.severity}`))}`)
      } else {
        assert.notEqual(worst, 'critical', `${c.note}: benign imports ${JSON.stringify(c.imports)} judged critical`)
      }
    }
    assert.ok(hostile > 300, `only ${hostile} hostile cases`)
  })
})
