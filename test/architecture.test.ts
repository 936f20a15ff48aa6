/**
 * The import rules of docs/architecture.md, checked on the sources: no import cycle between
 * files, no import running back up the layers, no oclif in the library. A new top-level folder
 * under src/ must be placed in LAYERS (and on the map in docs/architecture.md) before it passes.
 */
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, test} from 'node:test'
import {fileURLToPath, pathToFileURL} from 'node:url'

// dist/test/architecture.test.js → repository root
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * Higher imports lower, never the reverse; equal ranks may import each other (the cycle check
 * still applies). commands → src; policy, audit → evidence → oms, signing, scan → formats,
 * hashing → io.
 */
export const LAYERS: Record<string, number> = {
  commands: 100,
  'src/index': 90,
  'src/public': 90,
  'src/policy': 80,
  'src/audit': 80,
  'src/evidence': 70,
  'src/oci': 66,
  'src/attest': 65,
  'src/oms': 60,
  'src/dataset': 60,
  'src/scan': 60,
  'src/signing': 50,
  'src/formats': 40,
  'src/hashing': 40,
  'src/workers': 35,
  'src/html': 30,
  'src/io': 20,
  // Leaf helpers with no internal imports (progress, redaction, identity regexes): errors uses redaction.
  'src/util': 10,
  'src/errors': 10,
}

interface ImportMap {
  graph: Map<string, string[]>
  cycles: string[][]
}

async function importMap(): Promise<{map: ImportMap; folderOf: (f: string) => string}> {
  const mod = await import(pathToFileURL(path.join(ROOT, 'scripts', 'import-map.mjs')).href)
  const cwd = process.cwd()
  process.chdir(ROOT)
  try {
    return {map: mod.importMap(['src', 'commands']), folderOf: mod.folderOf}
  } finally {
    process.chdir(cwd)
  }
}

describe('architecture', () => {
  test('no import cycles', async () => {
    const {map} = await importMap()
    assert.ok(map.graph.size > 100, `only ${map.graph.size} source files found under ${ROOT}`)
    assert.deepEqual(map.cycles, [], `import cycles:\n${map.cycles.map((c) => `  ${c.join(' <-> ')}`).join('\n')}`)
  })

  test('no import runs back up the layers', async () => {
    const {map, folderOf} = await importMap()
    const unplaced = new Set<string>()
    const upward: string[] = []
    for (const [file, deps] of map.graph) {
      const from = folderOf(file)
      for (const dep of deps) {
        const to = folderOf(dep)
        if (from === to) continue
        if (LAYERS[from] === undefined) unplaced.add(from)
        if (LAYERS[to] === undefined) unplaced.add(to)
        if (LAYERS[from] !== undefined && LAYERS[to] !== undefined && LAYERS[to] > LAYERS[from]) upward.push(`${file} → ${dep}`)
      }
    }
    assert.deepEqual([...unplaced], [], 'folders missing from the layer table (test/architecture.test.ts, docs/architecture.md)')
    assert.deepEqual(upward, [], 'imports running back up the layers')
  })

  test('the library never imports oclif; commands never reach into dist or node internals of src', async () => {
    const {map} = await importMap()
    const offenders = [...map.graph.keys()].filter((f) => f.startsWith('src/') && /from\s+['"]@oclif\//.test(readFileSync(path.join(ROOT, f), 'utf8')))
    assert.deepEqual(offenders, [])
  })

  test('test/ mirrors src/: every test folder names a source folder (or a cross-cutting concern)', () => {
    const CROSS_CUTTING = new Set(['helpers', 'fuzz', 'hostile', 'startup', 'ux'])
    const misplaced: string[] = []
    const walk = (rel: string) => {
      for (const e of readdirSync(path.join(ROOT, 'test', rel), {withFileTypes: true})) {
        if (!e.isDirectory()) continue
        const sub = rel ? `${rel}/${e.name}` : e.name
        if (!rel && CROSS_CUTTING.has(e.name)) continue
        if (!existsSync(path.join(ROOT, 'src', sub))) misplaced.push(`test/${sub}`)
        else walk(sub)
      }
    }
    walk('')
    assert.deepEqual(misplaced, [], 'test folders without a src/ folder of the same name')
  })

  test('the checker itself sees a cycle and an upward import', async () => {
    const mod = await import(pathToFileURL(path.join(ROOT, 'scripts', 'import-map.mjs')).href)
    const g = new Map([
      ['src/a/x.ts', ['src/b/y.ts']],
      ['src/b/y.ts', ['src/a/x.ts']],
      ['src/c/z.ts', []],
    ])
    assert.deepEqual(mod.cyclesOf(g), [['src/a/x.ts', 'src/b/y.ts']])
    assert.equal(mod.folderOf('src/scan/graph/flatten.ts'), 'src/scan')
    assert.equal(mod.folderOf('src/index.ts'), 'src/index')
    assert.ok(LAYERS['src/formats'] < LAYERS['src/scan'], 'formats sits below scan')
  })
})
