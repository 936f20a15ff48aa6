#!/usr/bin/env node
// The `modelseal` command (package.json "bin"). Pipelines start modelseal often, so start-up is
// kept short (bench/startup.mjs measures it):
// - this launcher is CommonJS: Node starts a CommonJS file without its ES module loader (~4 ms);
// - Node >= 22.1 caches compiled code on disk (module.enableCompileCache) for what is not bundled;
// - `--version` needs only package.json and prints what oclif prints (config.userAgent);
// - a bare `--help` written to a pipe without colours prints the root help that the build rendered
//   with oclif itself (scripts/oclif-manifest.mjs stores it in oclif.manifest.json);
// - a command (not help) runs through dist/cli.cjs, one file holding oclif, the commands and the
//   library (scripts/bundle.mjs), compiled from V8's code cache for this Node; the same oclif code
//   runs, only loaded faster;
// - while a command runs from the bundle, process.stdout and process.stderr on a pipe or a file
//   write with fs.writeSync until something needs the stream itself (lightStdio below);
// - everything else goes through oclif, which reads the manifest instead of importing every command;
// - a command that will hash a big model has its worker threads started first (startWorkersEarly).
'use strict'
const {fstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync} = require('node:fs')
const module_ = require('node:module')
const path = require('node:path')

module_.enableCompileCache?.()

const root = path.join(__dirname, '..')

/**
 * The library's planning figures startWorkersEarly guesses with (this file loads none of the
 * library): BATCH_MAX_BYTES and INLINE_MAX_BYTES of src/hashing/batch.ts, DEFAULT_SHARD_SIZE of
 * src/oms/resource-name.ts (model_signing's), MAX_WORKERS of src/workers/engine.ts;
 * test/workers/bundle.test.ts checks they are equal.
 */
const EARLY_START_PLAN = {batchMaxBytes: 16 << 20, inlineMaxBytes: 32 << 20, defaultShardSize: 1_000_000_000, maxWorkers: 64}

// bin/run.js starts it too (the ES module importing this file); the build's code cache writer
// (scripts/bundle.mjs) only takes loadBundle.
module.exports = {EARLY_START_PLAN, launch, lightStdio, loadBundle, root, startWorkersEarly}
if (require.main === module) launch()

function launch() {
  main(process.argv.slice(2)).catch((err) => {
    // Not reached by a command's own errors (oclif handles and prints those): a launcher failure.
    console.error(err)
    process.exitCode = 1
  })
}

async function main(args) {
  if (fastPath(args)) return
  const command = runsAsCommand(args)
  if (command) {
    try {
      startWorkersEarly(args)
    } catch {
      // only ever a head start (an argument no path can be, no thread to start): the command decides
    }
  }
  const bundle = command ? loadBundle(args) : undefined
  if (bundle && process.env.MODELSEAL_NO_LIGHT_STDIO !== '1') {
    lightStdio('stdout', 1)
    lightStdio('stderr', 2)
  }
  if (await bundle?.main(args, root)) return
  const {execute} = require('@oclif/core/execute')
  await execute({dir: __filename})
}

/** package.json's engines (>= 20.17): older Node goes the long way, where oclif warns about it. */
function nodeAtLeast(major, minor) {
  const [ma, mi] = process.versions.node.split('.').map(Number)
  return ma > major || (ma === major && mi >= minor)
}

/** A command invocation (not help, not a global flag): what the bundle's fast start is for. */
function runsAsCommand(argv) {
  if (process.env.MODELSEAL_NO_BUNDLE === '1' || !nodeAtLeast(20, 17) || argv.length === 0 || argv[0] === 'help' || argv[0].startsWith('-')) return false
  for (const a of argv) {
    if (a === '--') break
    if (a === '--help') return false
  }
  return true
}

/**
 * The bundle for this command line: the build gives the commands pipelines run most a bundle of
 * their own (dist/cli.verify-key.cjs holds just `verify key`: less to load), named by the
 * command's words; dist/cli.cjs holds every command.
 */
function bundleFile(args) {
  const words = []
  for (const a of args.slice(0, 2)) {
    if (!/^[a-z][a-z0-9-]*$/.test(a)) break
    words.push(a)
  }
  for (let n = words.length; n > 0; n--) {
    const own = path.join(root, 'dist', `cli.${words.slice(0, n).join('-')}.cjs`)
    if (statSync(own, {throwIfNoEntry: false})) return own
  }
  return path.join(root, 'dist', 'cli.cjs')
}

/**
 * The bundle, compiled from V8's code cache for this Node (<bundle>.<node version>-<arch>.cache):
 * the build writes them for the Node that built, and a run on another Node writes its own once
 * (when dist/ is writable). A cache made after a run holds every function that run compiled,
 * which Node's own compile cache (made before running) does not. V8 checks that a cache matches
 * this V8 and this source, and compiles normally when it does not.
 */
function loadBundle(args = []) {
  const file = bundleFile(args)
  // The bundle is made from dist/ after tsc (npm run build). A later tsc alone rewrites every file
  // of dist/ and leaves the bundle behind: then it is stale and the compiled files run instead.
  const bundled = statSync(file, {throwIfNoEntry: false})
  const compiled = statSync(path.join(root, 'dist', 'src', 'errors.js'), {throwIfNoEntry: false})
  if (!bundled || (compiled && compiled.mtimeMs > bundled.mtimeMs)) return undefined
  // @oclif/core checks, as it loads, that this Node satisfies the engines of the package.json
  // above it — ours inside the bundle, which runsAsCommand() has already checked: skip the
  // second check (it loads and runs semver) while the bundle loads.
  const engineWarning = process.env.OCLIF_DISABLE_ENGINE_WARNING
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  try {
    return compileWithCache(file)
  } finally {
    if (engineWarning === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
    else process.env.OCLIF_DISABLE_ENGINE_WARNING = engineWarning
  }
}

function compileWithCache(file) {
  const vm = require('node:vm')
  const cacheFile = `${file}.${process.version}-${process.arch}.cache`
  // the build (scripts/bundle.mjs) writes each cache after running commands through the bundle
  const rebuild = process.env.MODELSEAL_WRITE_CODE_CACHE === '1'
  let cachedData
  try {
    cachedData = rebuild ? undefined : readFileSync(cacheFile)
  } catch {
    // no cache for this Node yet: compile, and write one after this run
  }
  // The build writes the bundle in ASCII (scripts/bundle.mjs), so latin1 reads it exactly, into a
  // one-byte string Node does not copy; UTF-8 would be decoded (and checked) byte by byte.
  const script = new vm.Script(module_.wrap(readFileSync(file, 'latin1')), {filename: file, cachedData})
  const mod = {exports: {}}
  script.runInThisContext()(mod.exports, module_.createRequire(file), mod, file, path.dirname(file))
  if (!cachedData || script.cachedDataRejected) {
    process.on('exit', (code) => {
      // what the build runs must succeed for its cache to be kept
      if (rebuild && code !== 0) return
      // Written whole under a temporary name, then renamed: a concurrent run never reads half a cache.
      const tmp = `${cacheFile}.${process.pid}.tmp`
      try {
        writeFileSync(tmp, script.createCachedData())
        renameSync(tmp, cacheFile)
      } catch {
        rmSync(tmp, {force: true})
      }
    })
  }
  return mod.exports
}

/**
 * A worker thread of the engine (src/workers/engine.ts) takes ~25 ms to start, and a command
 * reaches its hashing ~20 ms after this file starts (its code, oclif's configuration, the flags):
 * for a command that will hash a big model on several lanes, the threads start here, from the
 * engine's own worker bundle (dist/worker.cjs), and the engine takes them over when it would
 * start its own (the same file, the same code). Told by the path arguments: more than 32 MiB
 * (below that the engine hashes on this thread alone) in two tasks or more (files or shards), and
 * as many threads as the engine would start for them. A wrong guess costs a thread start on
 * another core, never output; threads not taken over are idle and unref'd, and end with the
 * process. Each entry records whether its thread has loaded or failed until the engine takes it
 * over (a thread's 'error' must not go unheard meanwhile).
 */
function startWorkersEarly(argv, bundle = path.join(root, 'dist', 'worker.cjs')) {
  if (!['digest', 'sign', 'verify'].includes(argv[0])) return
  // Tasks the engine will get, as src/hashing/batch.ts plans them: a file (or shard) of 16 MiB or
  // more alone, smaller ones packed into batches of up to 16 MiB.
  const BATCH = EARLY_START_PLAN.batchMaxBytes
  const shards = argv.includes('shards') || argv.includes('--method=shards')
  const at = argv.findIndex((a) => a === '--shard-size' || a.startsWith('--shard-size='))
  const given = at < 0 ? undefined : argv[at].includes('=') ? argv[at].slice('--shard-size='.length) : argv[at + 1]
  const shardSize = Number(given) || EARLY_START_PLAN.defaultShardSize
  let bytes = 0
  let alone = 0
  let packed = 0
  const count = (st) => {
    bytes += st.size
    const whole = shards ? Math.floor(st.size / shardSize) : 0
    const last = st.size - whole * shardSize
    if (shardSize >= BATCH) alone += whole
    else packed += whole * shardSize
    if (last >= BATCH) alone++
    else packed += last
  }
  for (const a of argv.slice(1)) {
    if (a === '--') break
    if (a.startsWith('-')) continue
    const st = statSync(a, {throwIfNoEntry: false})
    if (st?.isFile()) count(st)
    // a model directory's files (not a directory of thousands: no guess there)
    else if (st?.isDirectory() && st.size <= 64 << 10) {
      let names = []
      try {
        names = readdirSync(a)
      } catch {
        // unreadable: no guess
      }
      for (const name of names.slice(0, 256)) {
        const f = statSync(path.join(a, name), {throwIfNoEntry: false})
        if (f?.isFile()) count(f)
      }
    }
  }
  // up to 32 MiB, or one task, the engine hashes on this thread alone
  const tasks = alone + Math.ceil(packed / BATCH)
  if (bytes <= EARLY_START_PLAN.inlineMaxBytes || tasks < 2) return
  const built = statSync(bundle, {throwIfNoEntry: false})
  const compiled = statSync(path.join(root, 'dist', 'src', 'workers', 'serve.js'), {throwIfNoEntry: false})
  if (!built || (compiled && compiled.mtimeMs > built.mtimeMs)) return
  // as the engine counts its lanes (defaultWorkerCount), the main thread being one of them
  const env = Number(process.env.MODELSEAL_WORKERS)
  const lanes = Math.min(EARLY_START_PLAN.maxWorkers, Number.isInteger(env) && env > 0 ? env : require('node:os').availableParallelism())
  const threads = Math.min(lanes - 1, tasks - 1)
  if (threads < 1) return
  const {Worker} = require('node:worker_threads')
  const started = (globalThis[Symbol.for('modelseal.workers.prestarted')] ??= [])
  for (let i = 0; i < threads; i++) {
    const worker = new Worker(bundle)
    const entry = {file: bundle, worker, ready: false, failed: false, release}
    const onMessage = (m) => {
      if (m?.type === 'ready') entry.ready = true
    }
    const onFailure = () => {
      entry.failed = true
    }
    worker.on('message', onMessage)
    worker.on('error', onFailure)
    worker.on('exit', onFailure)
    // after the listeners (a 'message' listener refs the thread)
    worker.unref()
    function release() {
      worker.off('message', onMessage)
      worker.off('error', onFailure)
      worker.off('exit', onFailure)
    }
    started.push(entry)
  }
}

/**
 * process[name] (stdout or stderr) for a pipe or a regular file, made lighter until it is needed.
 * Node makes the stream on first use: for a pipe a net.Socket, which loads net and the streams
 * (~15 M instructions of a ~120 M start, a tiny scan's output and oclif's flush being all it
 * writes). Here process[name] is a stand-in that writes strings and bytes itself, whole, in
 * order, with fs.writeSync (Node writes to a pipe or a file from the main thread too, and as
 * soon as it is asked to), keeps the listeners it is given, and says what the stream would say
 * of `isTTY` (undefined: not a terminal), `fd` and its listener count for 'error' and 'drain'
 * (those it kept). Anything else — another method or property, a write callback's error, a write
 * with another encoding, a write that fails (a closed pipe, a non-blocking pipe that is full) —
 * makes the real stream (Node's own getter), hands it the kept listeners, and from then on the
 * stand-in only passes every use on to it; a failed write hands it the bytes not yet written, so
 * it reports the error as it always did. Not used for a terminal or anything else, nor when Node
 * has already made a stream (its module is loaded).
 */
function lightStdio(name, fd) {
  const original = Object.getOwnPropertyDescriptor(process, name)
  if (!original?.get || !original.configurable) return
  if (process.moduleLoadList?.some((m) => m === 'NativeModule net' || m === 'NativeModule internal/fs/sync_write_stream' || m === 'NativeModule tty')) return
  let stat
  try {
    // bigint: Node keeps the last plain stat in one shared array, which realpathSync reads back
    // for paths it has seen (a pipe there makes it stop resolving symbolic links: node_modules
    // loaded twice); the bigint stats have their own
    stat = fstatSync(fd, {bigint: true})
  } catch {
    return
  }
  if (!stat.isFIFO() && !stat.isFile() && !stat.isSocket()) return
  let real
  const kept = []
  const stream = () => {
    if (!real) {
      real = original.get.call(process)
      for (const [method, event, fn] of kept) real[method](event, fn)
      kept.length = 0
    }
    return real
  }
  const light = {
    write(chunk, encoding, cb) {
      if (typeof encoding === 'function') {
        cb = encoding
        encoding = undefined
      }
      const text = typeof chunk === 'string'
      if (real || !(text || chunk instanceof Uint8Array) || (encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8') || (cb !== undefined && typeof cb !== 'function')) {
        return encoding === undefined ? stream().write(chunk, cb) : stream().write(chunk, encoding, cb)
      }
      const bytes = text ? Buffer.from(chunk, 'utf8') : chunk
      let done = 0
      try {
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done)
      } catch {
        return stream().write(bytes.subarray(done), cb)
      }
      if (cb) process.nextTick(cb, null)
      return true
    },
    on: (event, fn) => keep('on', event, fn),
    addListener: (event, fn) => keep('addListener', event, fn),
    once: (event, fn) => keep('once', event, fn),
    removeListener: (event, fn) => drop('removeListener', event, fn),
    off: (event, fn) => drop('off', event, fn),
    listenerCount(event) {
      if (real || (event !== 'error' && event !== 'drain')) return stream().listenerCount(event)
      return kept.filter(([, e]) => e === event).length
    },
  }
  let proxy
  const keep = (method, event, fn) => {
    if (real || typeof fn !== 'function') real ? real[method](event, fn) : stream()[method](event, fn)
    else kept.push([method, event, fn])
    return proxy
  }
  const drop = (method, event, fn) => {
    if (real) real[method](event, fn)
    else {
      // as EventEmitter does: the most recently added one
      for (let i = kept.length - 1; i >= 0; i--) {
        if (kept[i][1] === event && kept[i][2] === fn) {
          kept.splice(i, 1)
          break
        }
      }
    }
    return proxy
  }
  const passOn = (v, target) => (typeof v === 'function' ? v.bind(target) : v)
  proxy = new Proxy(
    {},
    {
      get(_, k) {
        if (!real) {
          if (Object.hasOwn(light, k)) return light[k]
          if (k === 'isTTY') return undefined
          if (k === 'fd') return fd
        }
        if (k === 'write') return light.write
        const s = stream()
        return passOn(Reflect.get(s, k), s)
      },
      set: (_, k, v) => Reflect.set(stream(), k, v),
      has: (_, k) => k in stream(),
      deleteProperty: (_, k) => Reflect.deleteProperty(stream(), k),
      defineProperty: (_, k, d) => Reflect.defineProperty(stream(), k, d),
      ownKeys: () => Reflect.ownKeys(stream()),
      getOwnPropertyDescriptor(_, k) {
        const d = Reflect.getOwnPropertyDescriptor(stream(), k)
        if (d) d.configurable = true
        return d
      },
      getPrototypeOf: () => Reflect.getPrototypeOf(stream()),
    },
  )
  Object.defineProperty(process, name, {configurable: true, enumerable: original.enumerable, get: () => proxy})
}

function fastPath(argv) {
  // Only these two are answered here: a command must not pay for reading package.json twice.
  if (argv[0] !== '--version' && !(argv.length === 1 && argv[0] === '--help')) return false
  const os = require('node:os')
  // WSL is reported as its own platform by oclif; leave that to oclif.
  if (os.platform() === 'linux' && /microsoft/i.test(os.release())) return false
  try {
    const pj = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
    // Only `init` hooks run before oclif prints the version or the root help.
    if (pj.oclif?.hooks?.init) return false
    const arch = os.arch() === 'ia32' ? 'x86' : os.arch()
    const userAgent = `${pj.name}/${pj.version} ${os.platform()}-${arch} node-${process.version}`
    if (argv[0] === '--version' && !pj.oclif?.additionalVersionFlags) {
      process.stdout.write(`${userAgent}\n`)
      return true
    }
    if (argv.length === 1 && argv[0] === '--help' && !process.stdout.isTTY && coloursOff(process.env)) {
      const manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'))
      const text = manifest.modelsealRootHelp
      if (typeof text !== 'string' || manifest.version !== pj.version) return false
      process.stdout.write(text.split('{{userAgent}}').join(userAgent))
      return true
    }
  } catch {
    // No manifest or no cached help: oclif renders it.
  }
  return false
}

// The cached help was rendered without colours; use it only when oclif (ansis) would not colour
// either, and when the width is oclif's non-terminal default (80).
function coloursOff(env) {
  if (env.OCLIF_COLUMNS) return false
  if (env.NO_COLOR) return true
  const colourHints = ['FORCE_COLOR', 'COLORTERM', 'TF_BUILD', 'CI', 'PM2_HOME', 'NEXT_RUNTIME']
  return !colourHints.some((k) => env[k] !== undefined) && !Object.keys(env).some((k) => k.startsWith('TEAMCI'))
}
