#!/usr/bin/env node
// Writes dist/cli.cjs: oclif, every command and the library in ONE file, so that a command starts
// by reading one file instead of resolving and compiling ~500 modules (most of a command's fixed
// cost; bench/startup.mjs measures it). bin/run.js loads it; without it (or with
// MODELSEAL_NO_BUNDLE=1) bin/run.js runs oclif from node_modules and dist/ as before.
//
// - Commands are imported lazily (esbuild turns `import()` into a deferred initialiser inside the
//   bundle), so a command evaluates only its own modules; stacks a command loads lazily (the
//   sigstore network stack, YAML, protobuf) stay lazy.
// - Each module keeps its own `import.meta.url` (the path it has under dist/), so worker threads
//   and files found next to a module resolve exactly as they do unbundled.
// - The Sigstore packages stay outside the bundle (loaded from node_modules when used): they are
//   needed only by keyless commands and are large.
// - Then dist/cli.cjs.<node version>-<arch>.cache: V8's code cache for the bundle, made by this
//   Node after one small command ran (bin/run.js writes one for another Node on its first run).
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')
const out = path.join(dist, 'cli.cjs')
rmSync(out, {force: true})
for (const f of readdirSync(dist)) if (/^cli\.cjs\..*cache$/.test(f)) rmSync(path.join(dist, f), {force: true})

let esbuild
try {
  esbuild = await import('esbuild')
} catch {
  console.warn('dist/cli.cjs not written: esbuild is not installed (the CLI runs unbundled)')
  process.exit(0)
}

const manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'))
const loaders = Object.entries(manifest.commands).map(([id, c]) => {
  const file = path.join(root, ...c.relativePath)
  return `  ${JSON.stringify(id)}: () => import(${JSON.stringify(file)}),`
})

const entry = `
import {Config, Plugin, flush, handle, run} from '@oclif/core'
import {normalizeArgv} from '@oclif/core/help'
const commands = {
${loaders.join('\n')}
}
/**
 * What @oclif/core's execute() does for one of our commands, with two differences that change
 * nothing the user sees: the command classes come from this bundle, and the configuration is
 * given our own plugin instead of discovering plugins (user, dev and core plugins: only
 * @oclif/plugin-help's help command, which this path never runs). Resolves false, having run
 * nothing, when argv does not name one of our commands: the caller then runs oclif in full.
 */
export async function main(argv, root) {
  const plugin = new Plugin({isRoot: true, root})
  await plugin.load()
  const find = plugin.findCommand.bind(plugin)
  plugin.findCommand = async (id, opts) => {
    const load = commands[id]
    if (!load) return find(id, opts)
    const cmd = (await load()).default
    cmd.id = id
    cmd.plugin = plugin
    cmd.isESM = true
    cmd.relativePath = plugin.manifest.commands[id]?.relativePath
    return cmd
  }
  const config = await Config.load({root, plugins: new Map([[plugin.name, plugin]])})
  const [id] = normalizeArgv(config, argv)
  if (!Object.hasOwn(commands, id)) return false
  try {
    await run(argv, config)
    flush()
  } catch (error) {
    await handle(error)
  }
  return true
}
`

/** Gives every bundled module of ours the import.meta.url it has unbundled. */
const keepImportMeta = {
  name: 'keep-import-meta',
  setup(build) {
    build.onLoad({filter: /[\\/]dist[\\/](src|commands)[\\/].*\.js$/}, (args) => {
      const rel = path.relative(dist, args.path).split(path.sep).join('/')
      // a helper from the banner: a module's own `require` may shadow the bundle's at this point
      const text = readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.url', `__modelsealModuleUrl(${JSON.stringify(rel)})`)
        // only reached when running from .ts sources (never in dist)
        .replaceAll('import.meta.resolve', '(() => { throw new Error("import.meta.resolve is not available in the bundle") })')
      return {contents: text, loader: 'js'}
    })
  },
}

/**
 * Packages left outside the bundle are loaded with require(), also where the code says import():
 * the bundle is compiled as a script (for the code cache), and a script's import() would need an
 * experimental Node option. All of them are CommonJS packages (or Node built-ins, `node:*`).
 */
const EXTERNAL = /^(sigstore|@sigstore\/.*|typescript|tsx(\/.*)?|node:.*)$/
const requireExternals = {
  name: 'require-externals',
  setup(build) {
    build.onResolve({filter: EXTERNAL}, (args) =>
      args.kind === 'dynamic-import' ? {path: args.path, namespace: 'external-require'} : {path: args.path, external: true},
    )
    build.onLoad({filter: /.*/, namespace: 'external-require'}, (args) => ({contents: `module.exports = require(${JSON.stringify(args.path)})`, loader: 'js'}))
  },
}

const result = await esbuild.build({
  stdin: {contents: entry, resolveDir: dist, sourcefile: 'cli-entry.mjs', loader: 'js'},
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: out,
  // typescript/tsx: oclif's development mode only; sigstore: keyless commands only, loaded lazily.
  plugins: [keepImportMeta, requireExternals],
  logLevel: 'error',
  legalComments: 'eof',
  banner: {js: 'var __modelsealModuleUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;'},
  // smaller to read and to cache; names kept (error names and class names reach the output)
  minify: process.env.MODELSEAL_BUNDLE_PLAIN !== '1',
  keepNames: true,
  metafile: true,
})
if (result.errors.length > 0) process.exit(1)
if (process.env.MODELSEAL_BUNDLE_META) writeFileSync(process.env.MODELSEAL_BUNDLE_META, JSON.stringify(result.metafile))

// V8 code cache: run one small command through the bundle, then keep what V8 compiled for it.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'modelseal-build-'))
try {
  writeFileSync(path.join(tmp, 'weights.bin'), 'x')
  const cache = spawnSync(process.execPath, [path.join(root, 'bin', 'run.js'), 'digest', path.join(tmp, 'weights.bin'), '--json'], {
    env: {...process.env, MODELSEAL_WRITE_CODE_CACHE: '1'},
    encoding: 'utf8',
  })
  if (cache.status !== 0) console.warn(`the code cache of dist/cli.cjs was not written: ${cache.stderr.trim()}`)
} finally {
  rmSync(tmp, {recursive: true, force: true})
}
console.log(`dist/cli.cjs: ${(readFileSync(out).length / 1e6).toFixed(1)} MB, ${Object.keys(manifest.commands).length} commands`)
