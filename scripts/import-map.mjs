#!/usr/bin/env node
// Prints the module map of the TypeScript sources: which top-level folder imports which (with
// the number of import lines), and every import cycle between files. Reads the sources as text,
// so it runs without a build:  node scripts/import-map.mjs [--json] [root ...]
// Roots default to src and commands. Type-only imports count: a cycle of types is still a cycle
// a reader has to untangle.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

export function listSources(roots) {
  const out = []
  const walk = (dir) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile() && p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p)
    }
  }
  for (const r of roots) if (statSync(r, {throwIfNoEntry: false})?.isDirectory()) walk(r)
  return out.sort()
}

/** Relative imports of one file, resolved to repository paths (`x.js` → `x.ts`). */
export function importsOf(file) {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[^]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
  const out = new Set()
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3]
    if (!spec.startsWith('.')) continue
    out.add(path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts'))
  }
  return [...out].sort()
}

/** `src/scan/graph/x.ts` → `src/scan`; `commands/x/y.ts` → `commands`. */
export function folderOf(file) {
  const parts = file.split(path.sep)
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1]}` : file.replace(/\.ts$/, '')
  return parts[0]
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cyclesOf(graph) {
  let index = 0
  const idx = new Map()
  const low = new Map()
  const stack = []
  const on = new Set()
  const out = []
  const strong = (v) => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!idx.has(w)) {
        strong(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)))
    }
    if (low.get(v) === idx.get(v)) {
      const comp = []
      let w
      do {
        w = stack.pop()
        on.delete(w)
        comp.push(w)
      } while (w !== v)
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort())
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) strong(v)
  return out.sort((a, b) => a[0].localeCompare(b[0]))
}

export function importMap(roots = ['src', 'commands']) {
  const graph = new Map(listSources(roots).map((f) => [f, importsOf(f)]))
  const folders = new Map()
  for (const [f, deps] of graph) {
    const from = folderOf(f)
    if (!folders.has(from)) folders.set(from, new Map())
    for (const d of deps) {
      const to = folderOf(d)
      if (to === from) continue
      folders.get(from).set(to, (folders.get(from).get(to) ?? 0) + 1)
    }
  }
  return {graph, folders, cycles: cyclesOf(graph)}
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const json = args.includes('--json')
  const roots = args.filter((a) => a !== '--json')
  const {folders, cycles} = importMap(roots.length ? roots : undefined)
  if (json) {
    const obj = Object.fromEntries([...folders].sort().map(([k, v]) => [k, Object.fromEntries([...v].sort())]))
    console.log(JSON.stringify({folders: obj, cycles}, null, 2))
  } else {
    for (const [from, to] of [...folders].sort()) {
      console.log(
        `${from} -> ${
          [...to]
            .sort()
            .map(([t, n]) => `${t}(${n})`)
            .join(' ') || '(nothing)'
        }`,
      )
    }
    console.log(cycles.length ? `\n${cycles.length} import cycle(s):` : '\nno import cycles')
    for (const c of cycles) console.log(`  ${c.join(' <-> ')}`)
  }
}
