#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's built-in runner.
// Node 20 has no glob support in `node --test`, so the files are listed here.
import {spawnSync} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import path from 'node:path'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const testRoot = path.join(root, 'dist', 'test')
const only = process.argv.slice(2)

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (name.endsWith('.test.js')) out.push(p)
  }
  return out
}

let files = walk(testRoot)
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)))
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)')
  process.exit(1)
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files], {
  stdio: 'inherit',
  cwd: root,
})
process.exit(r.status ?? 1)
