#!/usr/bin/env node
// Pipelines start modelseal often, so start-up is kept short (bench/startup.mjs measures it):
// - Node >= 22.1 caches compiled code on disk (module.enableCompileCache);
// - `--version` needs only package.json and prints what oclif prints (config.userAgent);
// - a bare `--help` written to a pipe without colours prints the root help that the build rendered
//   with oclif itself (scripts/oclif-manifest.mjs stores it in oclif.manifest.json);
// - everything else goes through oclif, which reads the manifest instead of importing every command.
import {readFileSync} from 'node:fs'
import module from 'node:module'
import os from 'node:os'

module.enableCompileCache?.()

const args = process.argv.slice(2)
if (!fastPath(args)) {
  const {execute} = await import('@oclif/core/execute')
  await execute({dir: import.meta.url})
}

function fastPath(argv) {
  if (argv.length === 0) return false
  // WSL is reported as its own platform by oclif; leave that to oclif.
  if (os.platform() === 'linux' && /microsoft/i.test(os.release())) return false
  try {
    const pj = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    // Only `init` hooks run before oclif prints the version or the root help.
    if (pj.oclif?.hooks?.init) return false
    const arch = os.arch() === 'ia32' ? 'x86' : os.arch()
    const userAgent = `${pj.name}/${pj.version} ${os.platform()}-${arch} node-${process.version}`
    if (argv[0] === '--version' && !pj.oclif?.additionalVersionFlags) {
      process.stdout.write(`${userAgent}\n`)
      return true
    }
    if (argv.length === 1 && argv[0] === '--help' && !process.stdout.isTTY && coloursOff(process.env)) {
      const manifest = JSON.parse(readFileSync(new URL('../oclif.manifest.json', import.meta.url), 'utf8'))
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
