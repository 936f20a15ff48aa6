/**
 * dist/cli.cjs builds oclif's root plugin from what the build took from oclif (scripts/bundle.mjs)
 * instead of running Plugin.load() at every start. It must be the plugin Plugin.load() makes: the
 * same fields and the same commands in the same order (oclif lists them in that order). An oclif
 * upgrade that changes Plugin.load() shows up here.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {test} from 'node:test'

import {Plugin} from '@oclif/core'

import {repoRoot} from '../helpers/cli.js'

const bundle = path.join(repoRoot, 'dist', 'cli.cjs')
const skip = process.env.MODELSEAL_TEST_FROM_SRC === '1' || !existsSync(bundle) ? 'no dist/cli.cjs (npm run build makes it)' : false

const FIELDS = [
  'type',
  'tag',
  'isRoot',
  'root',
  'parent',
  'pjson',
  'flexibleTaxonomy',
  'moduleType',
  'name',
  'alias',
  'version',
  'valid',
  'hooks',
  'commandDiscoveryOpts',
  'manifest',
  'hasManifest',
  'commandIDs',
  'alreadyLoaded',
  'children',
  'topics',
] as const

function withoutLoad(commands: Array<Record<string, unknown>>) {
  return commands.map(({load, ...rest}) => {
    assert.equal(typeof load, 'function')
    return rest
  })
}

test('the bundled root plugin is the plugin Plugin.load() makes', {skip}, async () => {
  const real = new Plugin({isRoot: true, root: repoRoot})
  await real.load()
  const bundled = await createRequire(import.meta.url)(bundle).bundledPlugin(`${repoRoot}${path.sep}`)
  assert.ok(bundled, 'the bundle did not accept this package.json')
  for (const f of FIELDS) assert.deepEqual(bundled[f], (real as unknown as Record<string, unknown>)[f], f)
  assert.deepEqual(withoutLoad(bundled.commands), withoutLoad(real.commands as unknown as Array<Record<string, unknown>>))
  // a command loads from the bundle, with what oclif sets on a command class it found
  const cmd = await bundled.commands.find((c: {id: string}) => c.id === 'digest').load()
  const realCmd = (await real.findCommand('digest', {must: true})) as unknown as {relativePath: string[]; isESM: boolean; flags: object}
  assert.equal(cmd.id, 'digest')
  assert.equal(cmd.plugin, bundled)
  assert.deepEqual(cmd.relativePath, realCmd.relativePath)
  assert.equal(cmd.isESM, realCmd.isESM)
  assert.deepEqual(Object.keys(cmd.flags).sort(), Object.keys(realCmd.flags).sort())
})

test("a command's own bundle: the same plugin, with that command and the commands below it only", {skip}, async () => {
  const real = new Plugin({isRoot: true, root: repoRoot})
  await real.load()
  const realCommands = withoutLoad(real.commands as unknown as Array<Record<string, unknown>>)
  for (const [file, own] of [
    ['cli.scan.cjs', 'scan'],
    ['cli.digest.cjs', 'digest'],
    ['cli.verify-key.cjs', 'verify:key'],
    ['cli.sign-key.cjs', 'sign:key'],
    ['cli.keys-generate.cjs', 'keys:generate'],
  ]) {
    const bundled = await createRequire(import.meta.url)(path.join(repoRoot, 'dist', file)).bundledPlugin(repoRoot)
    assert.ok(bundled, file)
    const mine = (id: unknown) => id === own || String(id).startsWith(`${own}:`)
    assert.deepEqual(Object.keys(bundled.manifest.commands), [own], file)
    assert.deepEqual(bundled.manifest, {...real.manifest, commands: {[own]: real.manifest.commands[own]}}, file)
    assert.deepEqual(bundled.commandIDs, real.commandIDs.filter(mine), file)
    assert.deepEqual(
      withoutLoad(bundled.commands),
      realCommands.filter((c) => mine(c.id)),
      file,
    )
    for (const f of FIELDS.filter((f) => !['manifest', 'commandIDs', 'topics'].includes(f))) {
      assert.deepEqual(bundled[f], (real as unknown as Record<string, unknown>)[f], `${file} ${f}`)
    }
  }
})

test('the bundle falls back to oclif when package.json is not the one it was built for', {skip}, async () => {
  const {bundledPlugin} = createRequire(import.meta.url)(bundle)
  const pj = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'))
  assert.equal(pj.bin.modelseal, './bin/run.cjs')
  // the check itself: version and oclif section are compared (a copy with another version is refused)
  const {mkdtempSync, writeFileSync, rmSync} = await import('node:fs')
  const {tmpdir} = await import('node:os')
  const dir = mkdtempSync(path.join(tmpdir(), 'modelseal-plugin-'))
  try {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({...pj, version: `${pj.version}-other`}))
    assert.equal(await bundledPlugin(dir), undefined)
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({...pj, oclif: {...pj.oclif, topicSeparator: ':'}}))
    assert.equal(await bundledPlugin(dir), undefined)
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pj))
    assert.ok(await bundledPlugin(dir))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})

test('the bundle is ASCII (bin/run.cjs reads it as latin1)', {skip}, () => {
  const bytes = readFileSync(bundle)
  const at = bytes.findIndex((b) => b > 0x7f)
  assert.equal(at, -1, `non-ASCII byte at ${at}`)
})
