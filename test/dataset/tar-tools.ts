/** External extractors for the tar tests: GNU tar and every installed Python's tarfile. */
import {spawnSync} from 'node:child_process'
import path from 'node:path'

import {repoRoot} from '../helpers/cli.js'

/** The Pythons to check against: Debian's and the one on PATH, when they differ. */
export function pythons(): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const p of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(p, ['-c', 'import sys, tarfile; print(sys.version.split()[0])'], {encoding: 'utf8'})
    if (r.status !== 0) continue
    const v = `${r.stdout.trim()}`
    if (seen.has(v)) continue
    seen.add(v)
    out.push(p)
  }
  return out
}

export type Tree = Record<string, {size?: number; sha256?: string; link?: string; other?: number}>
type Extraction = Record<string, Record<string, {ok: boolean; tree: Tree} | null>>

export function extractAll(python: string, work: string, archives: string[]): Extraction {
  const r = spawnSync(python, [path.join(repoRoot, 'testdata', 'lib', 'extract-trees.py'), work, ...archives], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 120_000,
  })
  if (r.status !== 0) throw new Error(`extract-trees.py failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as Extraction
}
