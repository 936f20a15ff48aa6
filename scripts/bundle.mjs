#!/usr/bin/env node
// Writes dist/cli.cjs: oclif, every command and the library in ONE file, so that a command starts
// by reading one file instead of resolving and compiling ~500 modules (most of a command's fixed
// cost; bench/startup.mjs measures it). bin/run.cjs loads it; without it (or with
// MODELSEAL_NO_BUNDLE=1) bin/run.cjs runs oclif from node_modules and dist/ as before.
//
// - Commands are imported lazily (esbuild turns `import()` into a deferred initialiser inside the
//   bundle), so a command evaluates only its own modules; stacks a command loads lazily (the
//   sigstore network stack, YAML, protobuf) stay lazy.
// - Each module keeps its own `import.meta.url` (the path it has under dist/), so worker threads
//   and files found next to a module resolve exactly as they do unbundled.
// - The Sigstore packages stay outside the bundle (loaded from node_modules when used): they are
//   needed only by keyless commands and are large.
// - Then dist/cli.cjs.<node version>-<arch>.cache: V8's code cache for the bundle, made by this
//   Node after one small command ran (bin/run.cjs writes one for another Node on its first run).
// - And dist/worker.cjs: what a worker thread of the engine runs (src/workers/serve.ts and every
//   handler module), loaded by Node's CommonJS loader (see writeWorkerBundle below).
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {unwrapToESM} from './bundle-rewrite.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')
const out = path.join(dist, 'cli.cjs')
// dist/cli.cjs, dist/cli.<command>.cjs and their code caches, dist/worker.cjs
const OURS = /^(cli(\.[a-z0-9-]+)?\.cjs(\..+\.cache)?|worker\.cjs)$/
for (const f of readdirSync(dist)) if (OURS.test(f)) rmSync(path.join(dist, f), {force: true})

let esbuild
try {
  esbuild = await import('esbuild')
} catch {
  console.warn('dist/cli.cjs not written: esbuild is not installed (the CLI runs unbundled)')
  process.exit(0)
}

const manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'))
const loader = (id) => `  ${JSON.stringify(id)}: () => import(${JSON.stringify(path.join(root, ...manifest.commands[id].relativePath))}),`

// What oclif's Plugin.load() makes of our package for the root plugin, computed here once: at run
// time the bundle builds the same plugin from it (see BundledPlugin below) instead of reading the
// manifest again and sorting the commands with localeCompare (whose first call initialises ICU's
// collator: ~6 ms of every start). test/startup/bundle.test.ts compares the two.
const {Plugin} = await import('@oclif/core')
const real = new Plugin({isRoot: true, root})
await real.load()
const pluginState = {
  oclif: JSON.stringify(real.pjson.oclif),
  version: real.version,
  hooks: JSON.stringify(real.hooks),
  commandDiscoveryOpts: real.commandDiscoveryOpts === undefined ? undefined : JSON.stringify(real.commandDiscoveryOpts),
  order: real.commands.map((c) => c.id),
}

/** JSON with every non-ASCII character escaped: V8 keeps the text a one-byte string (half the size in the code cache). */
const asciiJson = (value) => JSON.stringify(value).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/**
 * The manifest and command order a bundle's plugin is built from. dist/cli.cjs: every command.
 * A command's own bundle runs only that command (main() below hands anything else back to
 * oclif), so its plugin lists that command and the commands below it (`verify key` would list
 * `verify key …`), all a run of it looks up: oclif finds the command and joins the argument
 * words into its id from these ids, and base-command's mistyped-method check reads the ids below
 * it. The rest of the manifest (~120 KB of JSON for 26 commands) would be parsed, turned into
 * plugin commands and kept in the code cache at every start of that one command.
 */
function manifestFor(ids) {
  const wanted = (id) => ids.some((own) => id === own || id.startsWith(`${own}:`))
  const commands = Object.fromEntries(Object.entries(manifest.commands).filter(([id]) => wanted(id)))
  return {manifest: {...manifest, commands}, order: pluginState.order.filter(wanted)}
}

/** The entry of a bundle holding the commands ids (dist/cli.cjs: all of them). */
const makeEntry = (ids, own = manifestFor(ids)) => `
import {readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {Config, Plugin, flush, handle, run} from '@oclif/core'
import {normalizeArgv} from '@oclif/core/help'
import {getLogger} from '@oclif/core/logger'
const commands = {
${ids.map(loader).join('\n')}
}
const MANIFEST = ${JSON.stringify(asciiJson(own.manifest))}
/** The Node that built this bundle (and wrote its code caches). */
export const builtWith = ${JSON.stringify(`${process.version}-${process.arch}`)}
const STATE = ${JSON.stringify({...pluginState, order: own.order})}

/**
 * The root plugin as Plugin.load() leaves it (the same fields, the commands in the same order),
 * from the manifest and the state the build took from oclif itself, and with the command classes
 * taken from this bundle; in a command's own bundle, with that command's part of the manifest
 * (manifestFor in scripts/bundle.mjs).
 */
class BundledPlugin extends Plugin {
  async load() {
    const pjson = this.options.pjson
    this.type = 'core'
    this.isRoot = true
    this.root = this.options.root
    this.pjson = pjson
    this.flexibleTaxonomy = pjson.oclif.flexibleTaxonomy || false
    this.moduleType = pjson.type === 'module' ? 'module' : 'commonjs'
    this.name = pjson.name
    this.alias = pjson.name
    this._debug = (formatter, ...args) => getLogger(['config', this.name].join(':')).debug(formatter, ...args)
    this.version = pjson.version
    this.valid = true
    // fresh objects each time, as Plugin.load() makes (structuredClone would load more of Node)
    this.hooks = JSON.parse(STATE.hooks)
    this.commandDiscoveryOpts = STATE.commandDiscoveryOpts === undefined ? undefined : JSON.parse(STATE.commandDiscoveryOpts)
    this.manifest = JSON.parse(MANIFEST)
    this.hasManifest = true
    this.commandIDs = Object.keys(this.manifest.commands)
    this.commands = STATE.order.map((id) => ({
      ...this.manifest.commands[id],
      load: async () => this.findCommand(id, {must: true}),
      pluginAlias: this.alias,
      pluginType: this.manifest.commands[id].pluginType === 'jit' ? 'jit' : this.type,
    }))
  }

  async findCommand(id, opts) {
    const load = commands[id]
    if (!load) return super.findCommand(id, opts)
    const cmd = (await load()).default
    cmd.id = id
    cmd.plugin = this
    cmd.isESM = true
    cmd.relativePath = this.manifest.commands[id]?.relativePath
    return cmd
  }
}

/** The plugin of the package at root, or undefined when package.json is not the one the bundle was built for. */
export async function bundledPlugin(dir) {
  const root = resolve(dir)
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  if (!pjson.oclif || JSON.stringify(pjson.oclif) !== STATE.oclif || pjson.version !== STATE.version) return undefined
  const plugin = new BundledPlugin({isRoot: true, root, pjson})
  await plugin.load()
  return plugin
}

/**
 * What @oclif/core's execute() does for one of our commands, with two differences that change
 * nothing the user sees: the command classes come from this bundle, and the configuration is
 * given our own plugin instead of discovering plugins (user, dev and core plugins: only
 * @oclif/plugin-help's help command, which this path never runs). Resolves false, having run
 * nothing, when argv does not name one of our commands: the caller then runs oclif in full.
 */
export async function main(argv, root) {
  const plugin = await bundledPlugin(root)
  if (!plugin) return false
  root = plugin.root
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
 * oclif's modules require one another (and Node built-ins) at the top: loading @oclif/core
 * evaluates nearly all of it — help rendering, templates, spinners, plugin discovery, child
 * processes, readline — though a command run uses a fraction. In the bundle, a module-level
 * `const x = require("…")` of oclif's compiled code becomes a handle that requires the module
 * when first touched (every use of such a binding is a property access: `x.name`, `(0, x.fn)()`),
 * so a run evaluates, and V8 compiles, only what it uses. Same code, same order of use.
 */
const lazyOclifRequires = {
  name: 'lazy-oclif-requires',
  setup(build) {
    build.onLoad({filter: /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/}, (args) => {
      let text = readFileSync(args.path, 'utf8')
        .replace(/^(const|var) (\w+) = ((?:__importDefault|__importStar)\(require\("[^"]+"\)\)|require\("[^"]+"\));$/gm, '$1 $2 = __modelsealLazy(() => $3);')
        .replace(/^exports\.(\w+) = (__importStar\(require\("[^"]+"\)\));$/gm, 'exports.$1 = __modelsealLazy(() => $2);')
      if (/[\\/]lib[\\/]logger\.js$/.test(args.path)) {
        // oclif's logger makes a `debug` logger at every start; the debug package prints only the
        // namespaces $DEBUG names, read once as it loads, and loading it costs ~1 ms (tty,
        // supports-color). Without $DEBUG there is nothing it could print: it is not loaded.
        const make = 'const debug = (0, debug_1.default)(namespace);'
        if (!text.includes(make)) throw new Error(`${args.path}: makeLogger changed; update lazyOclifRequires`)
        text = text.replace(
          make,
          'let instance; const debug = (...args) => { if (instance === undefined && !process.env.DEBUG) return; (instance ??= (0, debug_1.default)(namespace))(...args) };',
        )
      }
      if (/[\\/]lib[\\/]util[\\/]fs\.js$/.test(args.path)) {
        // Config.load() reads the user's theme.json (usually absent) with readJson: through
        // node:fs/promises, which would load it (and, on Node 20, readline) for that one read,
        // and start libuv's four threads for it. The same read with node:fs's readFileSync (the
        // file is a small JSON file; readJson stays async): the same text, the same errors, as
        // a rejected promise.
        const read = "const contents = await (0, promises_1.readFile)(path, 'utf8');"
        if (!text.includes(read)) throw new Error(`${args.path}: readJson changed; update lazyOclifRequires`)
        text = text.replace(read, "const contents = (0, node_fs_1.readFileSync)(path, 'utf8');")
      }
      return {contents: text, loader: 'js'}
    })
  },
}

/**
 * oclif asks wsl-utils at every start whether this is WSL; wsl-utils and powershell-utils load
 * node:child_process (~1.3 ms) and node:fs/promises at the top for functions only WSL and Windows
 * call. node:fs/promises is not cheap either: on Node 20 it loads readline, directory and watcher
 * code with it. There each module is required on the first call instead: the same execFile
 * promisified the same way, the same fs/promises functions and constants (every use is
 * `fs.name` / `fsConstants.NAME`). A changed package is left as it is (the build says so):
 * slower, never different.
 */
const CHILD_PROCESS_AT_TOP = "import childProcess from 'node:child_process';"
const EXEC_FILE_AT_TOP = 'const execFile = promisify(childProcess.execFile);'
const FS_PROMISES_AT_TOP = "import fs, {constants as fsConstants} from 'node:fs/promises';"
const FS_PROMISES_LAZY =
  "const fs = __modelsealLazy(() => require('node:fs/promises')); const fsConstants = __modelsealLazy(() => require('node:fs/promises').constants);"
const deferChildProcess = {
  name: 'defer-child-process',
  setup(build) {
    build.onLoad({filter: /[\\/]node_modules[\\/](wsl-utils|powershell-utils)[\\/]index\.js$/}, (args) => {
      const text = readFileSync(args.path, 'utf8')
      const rest = text.replace(CHILD_PROCESS_AT_TOP, '').replace(FS_PROMISES_AT_TOP, '')
      if (
        !text.includes(CHILD_PROCESS_AT_TOP) ||
        text.split('childProcess.').length !== 2 ||
        !text.includes(EXEC_FILE_AT_TOP) ||
        !text.includes(FS_PROMISES_AT_TOP) ||
        // every other use of the two names is a property access
        /\bfs\b(?!\.)|\bfsConstants\b(?!\.)/.test(rest)
      ) {
        console.warn(`${path.relative(root, args.path)}: not the expected source, node:child_process and node:fs/promises stay loaded at start`)
        return {contents: text, loader: 'js'}
      }
      const deferred = rest
        .replace(EXEC_FILE_AT_TOP, "const execFile = (...args) => promisify(require('node:child_process').execFile)(...args);")
        .replace(/^/, `${FS_PROMISES_LAZY}\n`)
      return {contents: deferred, loader: 'js'}
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

// The handle of lazyOclifRequires: a module namespace whose module loads on first use.
const LAZY = `var __modelsealLazy = (load) => {
  let m;
  const get = () => (m ??= load());
  return new Proxy({}, {
    get: (_, k) => get()[k],
    set: (_, k, v) => { get()[k] = v; return true },
    has: (_, k) => k in get(),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(get(), k); if (d) d.configurable = true; return d },
  });
};`

/**
 * Node built-ins our code imports by name but a short run may never call: node:zlib (archive and
 * zip readers, the weight scan's embedded-zip check: ~0.5 ms to load beside what a command loads
 * anyway), node:worker_threads (the worker engine, idle for small inputs: ~0.5 ms) and node:crypto
 * (hashing and signing; ~2.8 ms alone, and a scan of a small model needs none of it). esbuild
 * turns `import {x} from 'node:zlib'` into `a = require("node:zlib")` and every use into a property
 * access (`(0, a.x)(...)`), so the binding becomes a handle that requires the module when first
 * touched (LAZY below), as lazyOclifRequires does for oclif. Default and namespace imports are
 * wrapped (`__toESM(require(...))`) and stay as they are.
 */
const DEFERRED_BUILTINS = ['node:zlib', 'node:worker_threads', 'node:crypto', 'node:fs/promises']
function deferBuiltins(text) {
  let out = text
  for (const id of DEFERRED_BUILTINS) {
    const call = `require(${JSON.stringify(id)})`
    out = out.replaceAll(`=${call}`, `=__modelsealLazy(()=>${call})`).replaceAll(`= ${call}`, `= __modelsealLazy(() => ${call})`)
  }
  return out
}

async function writeBundle(file, ids) {
  const result = await esbuild.build({
    stdin: {contents: makeEntry(ids), resolveDir: dist, sourcefile: 'cli-entry.mjs', loader: 'js'},
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: file,
    // typescript/tsx: oclif's development mode only; sigstore: keyless commands only, loaded lazily.
    plugins: [keepImportMeta, lazyOclifRequires, deferChildProcess, requireExternals],
    logLevel: 'error',
    legalComments: 'eof',
    banner: {js: `var __modelsealModuleUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;\n${LAZY}`},
    // smaller to read and to cache; names kept (error names and class names reach the output)
    minify: process.env.MODELSEAL_BUNDLE_PLAIN !== '1',
    keepNames: true,
    metafile: true,
  })
  if (result.errors.length > 0) process.exit(1)
  // ASCII only: one non-ASCII character anywhere (esbuild leaves them in regular expressions) makes
  // V8 decode the whole file as UTF-8 into a two-byte string, twice the memory and slower to scan;
  // an ASCII file is read as latin1 into a one-byte string Node does not even copy (bin/run.cjs).
  // `\uXXXX` means the same code unit in strings, regular expressions and identifiers.
  // scripts/bundle-rewrite.mjs: __toESM objects no code needs.
  const text = unwrapToESM(deferBuiltins(readFileSync(file, 'utf8'))).text
  writeFileSync(
    file,
    text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  )
  return result.metafile
}

/** Compiled modules that define a worker-engine handler (`export const h = defineHandler(import.meta.url, …)`). */
function handlerModules() {
  const found = []
  const walk = (dir) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.js') && /=\s*defineHandler\(import\.meta\.url\b/.test(readFileSync(p, 'utf8')))
        found.push(path.relative(dist, p).split(path.sep).join('/'))
    }
  }
  walk(path.join(dist, 'src'))
  return found.sort()
}

/**
 * dist/worker.cjs: a worker thread of the engine (src/workers/engine.ts) starts from this one
 * CommonJS file instead of worker.js and its imports through Node's ES module loader (~10 ms of
 * each thread's start, measured). It holds serve.ts and every handler module, each evaluated on
 * its first task (esbuild's lazy `import()`), each keeping the import.meta.url it has unbundled:
 * the engine names a task's handler by that URL, and a URL not in the bundle (a handler of the
 * tests, say) is imported as worker.js would. Loaded by Node itself (not through a code cache:
 * what a thread compiles is small), so packages outside it are found from dist/ as usual.
 * The engine uses it only when it is newer than the compiled modules, and starts threads from
 * them instead when a thread of the bundle fails before its code has loaded.
 */
async function writeWorkerBundle(file) {
  const handlers = handlerModules()
  const entry = `
import {serve} from './src/workers/serve.js'
const bundled = new Map([
${handlers.map((rel) => `  [__modelsealModuleUrl(${JSON.stringify(rel)}), () => import(${JSON.stringify(`./${rel}`)})],`).join('\n')}
])
const importUrl = (url) => import(url)
serve((url) => (bundled.get(url) ?? importUrl)(url))
`
  const result = await esbuild.build({
    stdin: {contents: entry, resolveDir: dist, sourcefile: 'worker-entry.mjs', loader: 'js'},
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: file,
    // hash-wasm (blake3 only) is imported on first use from node_modules, as unbundled
    external: ['hash-wasm', 'node:*'],
    plugins: [keepImportMeta],
    logLevel: 'error',
    legalComments: 'eof',
    banner: {js: 'var __modelsealModuleUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;'},
    minify: process.env.MODELSEAL_BUNDLE_PLAIN !== '1',
    keepNames: true,
  })
  if (result.errors.length > 0) process.exit(1)
  return handlers
}

const workerHandlers = await writeWorkerBundle(path.join(dist, 'worker.cjs'))

const meta = await writeBundle(out, Object.keys(manifest.commands))
if (process.env.MODELSEAL_BUNDLE_META) writeFileSync(process.env.MODELSEAL_BUNDLE_META, JSON.stringify(meta))

// The commands pipelines run most also get a bundle of their own, dist/cli.<id, ":" as "-">.cjs,
// holding just that command (bin/run.cjs takes it when the command line starts with its words):
// V8 deserialises a code cache whole, and one made for a bundle of every command carries what
// compiling the whole file left (~330 KB before anything runs).
const tmp = mkdtempSync(path.join(os.tmpdir(), 'modelseal-build-'))
const t = (f) => path.join(tmp, f)
const onnx = path.join(root, 'testdata', 'onnx', 'benign_last_token.onnx')
const frequent = {
  'keys:generate': [['keys', 'generate', '--private-key', t('key.pem'), '--public-key', t('key.pub'), '--force']],
  'sign:key': [['sign', 'key', t('model'), '--private-key', t('key.pem'), '--signature', t('model.sig')]],
  digest: [
    ['digest', t('model/weights.bin')],
    ['digest', t('model/weights.bin'), '--json'],
  ],
  'verify:key': [['verify', 'key', t('model'), '--signature', t('model.sig'), '--public-key', t('key.pub')]],
  scan: [['scan', onnx]],
  // Dataset hashing starts its workers once the command's code has loaded: compiling that code
  // on the main thread (~50-80 ms without a cache of its own) came before any file was hashed.
  'dataset:manifest': [['dataset', 'manifest', t('dataset'), '--output', t('manifest'), '--force']],
  'dataset:verify': [['dataset', 'verify', t('dataset'), '--manifest', t('manifest'), '--unsigned']],
}
for (const id of Object.keys(frequent)) await writeBundle(path.join(dist, `cli.${id.replaceAll(':', '-')}.cjs`), [id])

// V8 code caches, one per bundle (bin/run.cjs writes the cache of the bundle it loaded at exit
// when MODELSEAL_WRITE_CODE_CACHE=1): the commands above, small, run through the bundle as
// bin/run.cjs loads it, then what V8 compiled for them is kept. The cache of dist/cli.cjs comes
// from running them all in ONE process: a command missing there still starts from it and
// compiles its own functions as they first run.
try {
  mkdirSync(t('model'))
  writeFileSync(t('model/weights.bin'), 'x')
  // enough small files in a few directories for the hashing and shard code to run as it does on a real dataset
  for (let i = 0; i < 1200; i++) {
    const dir = t(`dataset/d${i % 3}`)
    if (i < 3) mkdirSync(dir, {recursive: true})
    writeFileSync(path.join(dir, `f${i}.bin`), `file ${i}\n`)
  }
  if (!existsSync(onnx)) delete frequent.scan
  const writeCache = (bundleArgs, runs) => {
    const writer = `
      const launcher = require(${JSON.stringify(path.join(root, 'bin', 'run.cjs'))})
      const bundle = launcher.loadBundle(${JSON.stringify(bundleArgs)})
      ;(async () => {
        for (const argv of ${JSON.stringify(runs)}) {
          if (!(await bundle.main(argv, launcher.root)) || process.exitCode) throw new Error('modelseal ' + argv.join(' ') + ' failed')
        }
        process.exit(0)
      })().catch((err) => { console.error(err); process.exit(1) })`
    const env = {...process.env, MODELSEAL_WRITE_CODE_CACHE: '1', NO_COLOR: '1'}
    const r = spawnSync(process.execPath, ['-e', writer], {env, encoding: 'utf8'})
    // (a writer that failed half-way writes none)
    if (r.status !== 0) console.warn(`a code cache (${bundleArgs.join(' ') || 'every command'}) was not written: ${r.stderr.trim()}`)
  }
  // (dist/cli.cjs's cache leaves the dataset commands out: it would grow by what they compile,
  // which every other command would then load)
  writeCache(
    [],
    Object.entries(frequent)
      .filter(([id]) => !id.startsWith('dataset:'))
      .flatMap(([, runs]) => runs),
  )
  for (const runs of Object.values(frequent)) writeCache(runs[0], runs)
} finally {
  rmSync(tmp, {recursive: true, force: true})
}
console.log(
  `dist/cli.cjs: ${(readFileSync(out).length / 1e6).toFixed(1)} MB, ${Object.keys(manifest.commands).length} commands; own bundles: ${Object.keys(frequent).join(', ')}; dist/worker.cjs: ${workerHandlers.length} handler modules`,
)
