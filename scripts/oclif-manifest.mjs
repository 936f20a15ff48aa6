#!/usr/bin/env node
// Writes oclif.manifest.json after the build so the CLI starts without importing every command
// (oclif otherwise globs dist/commands and loads each file on every run, even for --version).
// Same call as the `oclif manifest` command of the oclif dev package, through @oclif/core's API.
// A manifest that misses a command would hide it, so any load failure removes the manifest
// instead (the CLI then falls back to discovering commands at run time) and the build goes on.
import {spawnSync} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Plugin} from '@oclif/core'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, 'oclif.manifest.json')
rmSync(out, {force: true})
try {
  const plugin = new Plugin({errorOnManifestCreate: true, ignoreManifest: true, isRoot: true, respectNoCacheDefault: true, root, type: 'core'})
  await plugin.load()
  if (!plugin.valid) throw new Error('package.json has no oclif section')
  writeFileSync(out, JSON.stringify(plugin.manifest, null, 2) + '\n')
  // bin/run.js prints this for a bare `--help` to a pipe without colours: rendered here by oclif
  // itself (the manifest just written, stdout not a terminal, width 80, colours off).
  const env = {...process.env, NO_COLOR: '1'}
  delete env.OCLIF_COLUMNS
  const help = spawnSync(process.execPath, [path.join(root, 'bin', 'run.js'), '--help'], {cwd: root, env, encoding: 'utf8'})
  if (help.status === 0 && help.stdout && !help.stderr) {
    // The VERSION section names the platform and Node version, which differ at run time.
    const arch = os.arch() === 'ia32' ? 'x86' : os.arch()
    const userAgent = `${plugin.pjson.name}/${plugin.pjson.version} ${os.platform()}-${arch} node-${process.version}`
    const text = help.stdout.split(userAgent).join('{{userAgent}}')
    writeFileSync(out, JSON.stringify({...plugin.manifest, modelsealRootHelp: text}, null, 2) + '\n')
  }
  console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
} catch (err) {
  rmSync(out, {force: true})
  console.warn(`oclif manifest not written (commands are discovered at run time): ${String(err?.message ?? err).split('\n')[0]}`)
}
