/**
 * `scan --exclude GLOB`: files the user chose not to scan (a Hugging Face snapshot's tokenizer
 * JSON, README, .msgpack or .h5 weights modelseal cannot read). A glob without `/` matches the
 * file name at any depth (`*.msgpack`); one with `/` matches the path relative to the directory
 * that was given (`onnx/*.onnx`, `**\/tokenizer*.json`). Excluded files are not opened at all.
 */
import path from 'node:path'

import {UsageError} from '../errors.js'

/** picomatch is loaded only when there are globs (a scan without --exclude starts without it). */
export async function excludeFilter(globs: string[] | undefined): Promise<(file: string, root: string) => boolean> {
  if (!globs || globs.length === 0) return () => false
  for (const g of globs) if (typeof g !== 'string' || g.trim() === '') throw new UsageError('E_USAGE', '--exclude needs a non-empty glob')
  const {default: picomatch} = await import('picomatch')
  const matchers = globs.map((g) => picomatch(g, {dot: true, basename: !g.includes('/')}))
  return (file, root) => {
    const rel = path.relative(root, file).split(path.sep).join('/')
    return matchers.some((m) => m(rel === '' ? path.basename(file) : rel))
  }
}
