/** Helpers of the dataset tests: fixture paths and small dataset trees in temp dirs. */
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {repoRoot} from '../helpers/cli.js'

export const fixtures = path.join(repoRoot, 'testdata', 'dataset')
export const fixtureTree = path.join(fixtures, 'tree')

export interface Vector {
  name: string
  files: Record<string, string>
  expected: {root: string; dirHash1: string; files: number; bytes: number}
}

export function loadVectors(): Vector[] {
  return (JSON.parse(readFileSync(path.join(fixtures, 'vectors.json'), 'utf8')) as {vectors: Vector[]}).vectors
}

export function writeTree(dir: string, files: Record<string, string | Buffer>): string {
  mkdirSync(dir, {recursive: true})
  for (const [p, body] of Object.entries(files)) {
    const abs = path.join(dir, ...p.split('/'))
    mkdirSync(path.dirname(abs), {recursive: true})
    writeFileSync(abs, body)
  }
  return dir
}
