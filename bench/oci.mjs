#!/usr/bin/env node
/**
 * OCI benchmark (`npm run bench:oci`, after the build): `modelseal push` and `modelseal pull
 * --verify` against a real registry (Debian's docker-registry) on 127.0.0.1, beside `cp -r` of the
 * same bytes in the same run. Whole processes are timed (start-up included), with peak RSS from
 * /usr/bin/time when present (push and pull stream: RSS must not grow with the model).
 *
 * Model (made once, reused; BENCH_DIR or bench/.data/oci-model): one 1 GiB file and eight 32 MiB
 * files of random bytes. MB/s = 10^6 bytes per second, best of BENCH_RUNS (default 3).
 * Env: BENCH_DIR, BENCH_RUNS, BENCH_SCALE (fraction of the sizes), MODELSEAL_REGISTRY_BIN.
 */
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {makeRandomFile} from './lib/random-file.mjs'
import {shippedBin} from './lib/shipped-bin.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MiB = 1 << 20
const scale = Number(process.env.BENCH_SCALE ?? 1)
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3))
const dataDir = path.resolve(process.env.BENCH_DIR ?? path.join(repo, 'bench', '.data'))
const registryBin = process.env.MODELSEAL_REGISTRY_BIN ?? '/usr/bin/docker-registry'
const cli = shippedBin(repo)
const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

if (!fs.existsSync(registryBin)) {
  console.log(`oci: SKIPPED: ${registryBin} is absent (apt-get install docker-registry)`)
  process.exit(0)
}

const model = path.join(dataDir, 'oci-model')
makeRandomFile(path.join(model, 'model.safetensors'), Math.round(1024 * MiB * scale))
for (let i = 0; i < 8; i++) makeRandomFile(path.join(model, 'shards', `part-${i}.bin`), Math.round(32 * MiB * scale))
const totalBytes = fs
  .readdirSync(model, {recursive: true})
  .map((f) => path.join(model, f))
  .filter((f) => fs.statSync(f).isFile())
  .reduce((n, f) => n + fs.statSync(f).size, 0)

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'modelseal-bench-oci-'))
const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port
    s.close(() => resolve(p))
  })
})
fs.writeFileSync(
  path.join(work, 'config.yml'),
  `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(work, 'storage')}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
)
const registry = spawn(registryBin, ['serve', path.join(work, 'config.yml')], {stdio: 'ignore'})
let cleaned = false
const cleanup = () => {
  if (cleaned) return
  cleaned = true
  registry.kill('SIGTERM')
  fs.rmSync(work, {recursive: true, force: true})
}
process.on('exit', cleanup)
process.on('uncaughtException', (err) => {
  cleanup()
  console.error(`oci: FAILED: ${err.message}`)
  process.exit(1)
})
for (let i = 0; ; i++) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/v2/`)
    await r.body?.cancel()
    break
  } catch {
    if (i > 150) throw new Error('registry did not start')
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Runs a command, returns wall seconds and peak RSS (MB) when /usr/bin/time is there. */
function timed(cmd, args) {
  const full = timeBin ? [timeBin, ['-f', 'MAXRSS_KB=%M', cmd, ...args]] : [cmd, args]
  const t0 = process.hrtime.bigint()
  const r = spawnSync(full[0], full[1], {encoding: 'utf8', env: {...process.env, MODELSEAL_NO_PROGRESS: '1'}})
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  const kb = /MAXRSS_KB=(\d+)/.exec(r.stderr ?? '')
  return {secs, rssMB: kb ? Math.round(Number(kb[1]) / 1024) : undefined}
}

const keys = spawnSync(process.execPath, [cli, 'keys', 'generate', '--private-key', path.join(work, 'k.pem'), '--public-key', path.join(work, 'k.pub')], {
  encoding: 'utf8',
})
if (keys.status !== 0) throw new Error(keys.stderr)

const best = (xs) => xs.reduce((a, b) => (b.secs < a.secs ? b : a))
const cp = []
const push = []
const pull = []
const ref = (i) => `oci://127.0.0.1:${port}/bench/model-${i}:v1`
for (let i = 0; i < runs; i++) {
  cp.push(timed('cp', ['-r', model, path.join(work, `cp-${i}`)]))
  fs.rmSync(path.join(work, `cp-${i}`), {recursive: true, force: true})
  // a fresh repository each run, so every blob is really uploaded
  push.push(timed(process.execPath, [cli, 'push', model, ref(i), '--plain-http']))
}
const s = spawnSync(process.execPath, [cli, 'sign', 'key', ref(0), '--private-key', path.join(work, 'k.pem'), '--plain-http'], {encoding: 'utf8'})
if (s.status !== 0) throw new Error(s.stderr)
for (let i = 0; i < runs; i++) {
  const out = path.join(work, `pulled-${i}`)
  pull.push(timed(process.execPath, [cli, 'pull', ref(0), '-o', out, '--verify', 'key', '--public-key', path.join(work, 'k.pub'), '--plain-http']))
  fs.rmSync(out, {recursive: true, force: true})
}

// Second baseline: curl moving the same blobs to and from the same registry (monolithic PUT,
// plain GET to /dev/null), i.e. what the registry itself costs, without modelseal.
const files = fs
  .readdirSync(model, {recursive: true})
  .map((f) => path.join(model, f))
  .filter((f) => fs.statSync(f).isFile())
const hasCurl = spawnSync('curl', ['--version']).status === 0
const curlUp = []
const curlDown = []
if (hasCurl) {
  const {createHash} = await import('node:crypto')
  const digests = files.map((f) => {
    const h = createHash('sha256')
    const fd = fs.openSync(f, 'r')
    const buf = Buffer.allocUnsafe(4 * MiB)
    for (let n; (n = fs.readSync(fd, buf)) > 0; ) h.update(buf.subarray(0, n))
    fs.closeSync(fd)
    return `sha256:${h.digest('hex')}`
  })
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    files.forEach((f, k) => {
      const post = spawnSync('curl', ['-s', '-D', '-', '-o', '/dev/null', '-X', 'POST', `http://127.0.0.1:${port}/v2/bench/curl-${i}/blobs/uploads/`], {
        encoding: 'utf8',
      })
      const loc = /^location: (\S+)/im.exec(post.stdout)?.[1]
      if (!loc) throw new Error(`curl upload start failed: ${post.stdout}`)
      const url = new URL(loc, `http://127.0.0.1:${port}`)
      url.searchParams.set('digest', digests[k])
      const put = spawnSync('curl', ['-s', '-f', '-o', '/dev/null', '-T', f, '-X', 'PUT', url.toString()])
      if (put.status !== 0) throw new Error('curl upload failed')
    })
    curlUp.push({secs: Number(process.hrtime.bigint() - t0) / 1e9})
    const t1 = process.hrtime.bigint()
    for (const d of digests) {
      const get = spawnSync('curl', ['-s', '-f', '-o', '/dev/null', `http://127.0.0.1:${port}/v2/bench/curl-${i}/blobs/${d}`])
      if (get.status !== 0) throw new Error('curl download failed')
    }
    curlDown.push({secs: Number(process.hrtime.bigint() - t1) / 1e9})
  }
}

const mbs = (t) => totalBytes / 1e6 / t.secs
const bc = best(cp)
const rows = [
  ['cp -r (baseline)', bc],
  ...(hasCurl
    ? [
        ['curl PUT blobs (registry cost)', best(curlUp)],
        ['curl GET blobs (registry cost)', best(curlDown)],
      ]
    : []),
  ['modelseal push', best(push)],
  ['modelseal pull --verify key', best(pull)],
]
console.log(`oci: ${(totalBytes / 1e6).toFixed(0)} MB in 9 files, registry docker-registry on 127.0.0.1, best of ${runs}`)
console.log('case                             seconds    MB/s   vs cp   peak RSS')
for (const [name, t] of rows) {
  console.log(
    `${name.padEnd(31)} ${t.secs.toFixed(2).padStart(8)} ${mbs(t).toFixed(0).padStart(7)} ${(mbs(t) / mbs(bc)).toFixed(2).padStart(6)}× ${t.rssMB === undefined ? '' : `${t.rssMB} MB`}`,
  )
}
if (process.env.BENCH_RESULT_FILE) {
  for (const [name, t] of rows.filter(([n]) => n.startsWith('modelseal'))) {
    fs.appendFileSync(
      process.env.BENCH_RESULT_FILE,
      `${JSON.stringify({
        metric: `${name}, ${(totalBytes / 1e6).toFixed(0)} MB to/from a registry on 127.0.0.1`,
        value: Math.round(mbs(t)),
        unit: 'MB/s',
        baseline: {
          name: `cp -r${hasCurl ? `; curl ${name.includes('push') ? 'PUT' : 'GET'} ${Math.round(mbs(best(name.includes('push') ? curlUp : curlDown)))} MB/s` : ''}`,
          value: Math.round(mbs(bc)),
          unit: 'MB/s',
        },
        ratio: mbs(t) / mbs(bc),
        rss: t.rssMB === undefined ? undefined : `${t.rssMB} MB`,
      })}\n`,
    )
  }
}
cleanup()
process.exit(0)
