/**
 * scripts/bundle-rewrite.mjs: esbuild's __toESM objects are replaced only where every use reads
 * `.default` or only other names, and the rewritten code computes the same values.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {test} from 'node:test'

import {repoRoot} from '../helpers/cli.js'

interface Rewrite {
  unwrapToESM(text: string): {text: string; unwrapped: number; kept: number}
}
const load = async (): Promise<Rewrite> => import(pathToFileURL(path.join(repoRoot, 'scripts', 'bundle-rewrite.mjs')).href)

// esbuild's helper as it writes it minified (names vary), and a module-style init as it emits one
const HELPER =
  'var wT=Object.create;var za=Object.defineProperty;var ST=Object.getOwnPropertyDescriptor;var FT=Object.getOwnPropertyNames;var bT=Object.getPrototypeOf,_T=Object.prototype.hasOwnProperty;' +
  'var pD=(t,e,i,n)=>{if(e&&typeof e=="object"||typeof e=="function")for(let s of FT(e))!_T.call(t,s)&&s!==i&&za(t,s,{get:()=>e[s],enumerable:!(n=ST(e,s))||n.enumerable});return t};' +
  'var he=(t,e,i)=>(i=t!=null?wT(bT(t)):{},pD(e||!t||!t.__esModule?za(i,"default",{value:t,enumerable:!0}):i,t));'

/** Runs a snippet as the bundle runs (a CommonJS function body) and returns module.exports. */
function evaluate(code: string): unknown {
  const mod = {exports: {} as unknown}
  new Function('module', 'require', code)(mod, createRequire(import.meta.url))
  return mod.exports
}

test('default-only and named-only imports lose their __toESM object; values stay the same', async () => {
  const {unwrapToESM} = await load()
  const code = `${HELPER}var Xe,Yq,done=(()=>{Xe=he(require("node:path"),1),Yq=he(require("node:os"),1)})();a(f,"Xe");module.exports=[Xe.default.join("a","b"),Xe.default.sep,Yq.EOL,typeof Yq.platform]`
  const r = unwrapToESM(code)
  assert.equal(r.unwrapped, 2)
  assert.equal(r.kept, 0)
  assert.match(r.text, /Xe=\{default:require\("node:path"\)\}/)
  assert.match(r.text, /Yq=require\("node:os"\)/)
  assert.deepEqual(evaluate(r.text.replace('a(f,"Xe");', '')), evaluate(code.replace('a(f,"Xe");', '')))
})

test('every other use keeps __toESM', async () => {
  const {unwrapToESM} = await load()
  const uses = [
    'f(Xe)', // passed on
    'Object.keys(Xe)', // enumerated
    'Xe[k]', // computed read
    'Xe.default.sep;Xe.join', // both kinds of read
    'Xe.foo=1', // written to
    'Xe.foo+=1',
    'Xe.foo++',
    '++Xe.foo',
    'delete Xe.foo',
    'Xe.default;function g(){var Xe;return Xe}', // declared twice (a shadowing local)
    'Xe.default;Xe=1', // assigned again
    'Xe.default;var s="a Xe b"', // in a string with spaces: cannot tell, kept
  ]
  for (const use of uses) {
    const code = `${HELPER}var Xe,init=()=>{Xe=he(require("node:path"),1)};${use}`
    const r = unwrapToESM(code)
    assert.equal(r.unwrapped, 0, use)
    assert.equal(r.text, code, use)
  }
  // no helper in the text (another esbuild, or a bundle without CommonJS imports): nothing to do
  assert.deepEqual(unwrapToESM('var Xe=he(require("node:path"),1);Xe.default'), {text: 'var Xe=he(require("node:path"),1);Xe.default', unwrapped: 0, kept: 0})
})

test("esbuild's own output: the helper is found in a minified bundle with kept names, and the rewrite runs the same", async () => {
  const {unwrapToESM} = await load()
  let esbuild: typeof import('esbuild')
  try {
    esbuild = await import('esbuild')
  } catch {
    return // the build has no esbuild either, and writes no bundle
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'modelseal-rewrite-'))
  try {
    // a module imported dynamically is wrapped in an init function, as the commands are in the bundle
    writeFileSync(path.join(dir, 'entry.mjs'), "export const run = async () => (await import('./mod.mjs')).run()\n")
    writeFileSync(
      path.join(dir, 'mod.mjs'),
      [
        "import path from 'node:path'",
        "import * as os from 'node:os'",
        "import {join} from 'node:path'",
        "import fs from 'node:fs'",
        'export function run() {',
        "  return [path.join('x', 'y'), path.sep, os.EOL, typeof os.platform, join('p', 'q'), typeof fs.readFileSync, run.name]",
        '}',
      ].join('\n'),
    )
    const out = await esbuild.build({
      entryPoints: [path.join(dir, 'entry.mjs')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      keepNames: true,
      write: false,
    })
    const code = out.outputFiles[0].text
    const r = unwrapToESM(code)
    assert.ok(r.unwrapped >= 2, `helper not found or nothing unwrapped (${r.unwrapped} unwrapped, ${r.kept} kept): did esbuild change __toESM?`)
    const run = (text: string) => (evaluate(text) as {run: () => Promise<unknown>}).run()
    assert.deepEqual(await run(r.text), await run(code))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})
