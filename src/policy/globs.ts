/**
 * Model-relative globs in policies (`allowUnsigned`, `skippable`): `*` and `?` never cross a
 * `/`, `**` spans directories, dotfiles match like any file (a hidden file is still a file).
 * Matched with picomatch; paths are bounded by the OMS name rules, patterns here.
 */
import picomatch from 'picomatch'

export const MAX_GLOB_LENGTH = 512

export function globProblem(g: string): string | undefined {
  if (g.length > MAX_GLOB_LENGTH) return `is longer than ${MAX_GLOB_LENGTH} characters`
  if (g.startsWith('/') || /^[A-Za-z]:/.test(g)) return 'must be relative to the model'
  if (g.split('/').includes('..')) return 'must not contain ".."'
  if (g.includes('\\')) return 'must use "/" (a backslash is not a separator)'
  return undefined
}

const cache = new Map<string, (p: string) => boolean>()

/** The first glob that matches the model-relative path, if any. */
export function matchingGlob(globs: readonly string[], file: string): string | undefined {
  for (const g of globs) {
    let m = cache.get(g)
    if (!m) {
      m = picomatch(g, {dot: true, nonegate: true, noextglob: true})
      cache.set(g, m)
    }
    if (m(file)) return g
  }
  return undefined
}
