// The command as installed: package.json's bin entry (bin/run.cjs), so every benchmark times the
// start-up path users get rather than a wrapper around it.
import {readFileSync} from 'node:fs'
import path from 'node:path'

export function shippedBin(repo) {
  const pj = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'))
  return path.join(repo, pj.bin.modelseal)
}
