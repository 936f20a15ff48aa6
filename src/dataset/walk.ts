/**
 * Lists the regular files under a dataset directory: canonical relative paths in byte order.
 * Names that are not valid UTF-8 are refused rather than silently replaced.
 * Symlinks are refused unless allowed, and then only when they resolve to a regular file inside
 * the root; FIFOs, sockets and devices are always refused.
 */
import {readdirSync} from 'node:fs'
import {lstat, realpath, stat} from 'node:fs/promises'
import path from 'node:path'

import {InputError} from '../errors.js'
import {MAX_DIR_DEPTH, MAX_FILES} from './limits.js'
import {MAX_PATH_BYTES, pathProblem, sortPaths} from './paths.js'
import {ProblemList} from './problems.js'

/** A sorted listing; disk names are kept only where they differ from the canonical path. */
export interface Listing {
  root: string
  /** Canonical (NFC) paths in byte order. */
  paths: string[]
  /** Canonical path → path relative to root on disk, when normalization changed it. */
  diskNames: Map<string, string>
  /** Canonical paths that are allowed symlinks (opened following the link). */
  links: Set<string>
}

export interface WalkOptions {
  allowLinks?: boolean
  /** Only paths for which this returns true are listed (others are not even stat'ed). */
  select?: (path: string) => boolean
}

// Printable ASCII names need neither NFC normalization nor the full path check (only these).
const ASCII = /^[\x20-\x7e]+$/
const UNSAFE_ASCII = /[\\/]/

/** All regular files under `root`, sorted by canonical path bytes. */
export async function walkDirectory(root: string, opts: WalkOptions = {}): Promise<Listing> {
  const rootReal = await realpath(root)
  const rootStat = await stat(rootReal)
  if (!rootStat.isDirectory()) throw new InputError('E_IO', `${root} is not a directory`)
  const problems = new ProblemList()
  const out: Listing = {root: rootReal, paths: [], diskNames: new Map(), links: new Set()}
  const stack: {abs: string; rel: string; diskRel: string; depth: number}[] = [{abs: rootReal, rel: '', diskRel: '', depth: 0}]
  while (stack.length > 0) {
    const dir = stack.pop()!
    // Synchronous readdir: the walk is a tight loop of system calls, and thread-pool round trips
    // per directory would cost more than they save. Names that are not valid UTF-8 come back
    // with U+FFFD, which pathProblem refuses.
    for (const d of readdirSync(dir.abs, {withFileTypes: true})) {
      const name = d.name
      const ascii = ASCII.test(name)
      const diskRel = dir.diskRel + name
      const rel = ascii ? dir.rel + name : (dir.rel + name).normalize('NFC')
      const why = ascii && !UNSAFE_ASCII.test(name) && name !== '.' && name !== '..' && rel.length * 3 <= MAX_PATH_BYTES ? undefined : pathProblem(rel)
      if (why) {
        problems.add(diskRel, why)
        continue
      }
      if (d.isDirectory()) {
        if (dir.depth + 1 > MAX_DIR_DEPTH) problems.add(rel, `nested deeper than ${MAX_DIR_DEPTH} directories`)
        else stack.push({abs: path.join(dir.abs, name), rel: `${rel}/`, diskRel: `${diskRel}/`, depth: dir.depth + 1})
        continue
      }
      if (d.isSymbolicLink()) {
        if (!opts.allowLinks) {
          problems.add(rel, 'symbolic link (use --allow-links to follow links inside the dataset)')
          continue
        }
        if (opts.select && !opts.select(rel)) continue
        if (!(await linkOk(problems, rootReal, rel, path.join(dir.abs, name)))) continue
        out.links.add(rel)
      } else if (!d.isFile()) {
        problems.add(rel, 'not a regular file, directory or symlink (device, FIFO or socket)')
        continue
      } else if (opts.select && !opts.select(rel)) continue
      if (diskRel !== rel) out.diskNames.set(rel, diskRel)
      out.paths.push(rel)
      if (out.paths.length > MAX_FILES) throw new InputError('E_DATASET_TOO_MANY_FILES', `more than ${MAX_FILES} files under ${root}`)
    }
  }
  sortPaths(out.paths)
  // Two names that differ only in Unicode normalization share one canonical path.
  for (let i = 1; i < out.paths.length; i++) if (out.paths[i] === out.paths[i - 1]) problems.add(out.paths[i], 'two names with the same NFC form')
  problems.throwIfAny(root)
  return out
}

async function linkOk(problems: ProblemList, rootReal: string, rel: string, abs: string): Promise<boolean> {
  let target: string
  try {
    target = await realpath(abs)
  } catch {
    problems.add(rel, 'dangling symbolic link')
    return false
  }
  const inside = path.relative(rootReal, target)
  if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    problems.add(rel, 'symbolic link pointing outside the dataset')
    return false
  }
  if (!(await lstat(target)).isFile()) {
    problems.add(rel, 'symbolic link to something other than a regular file')
    return false
  }
  return true
}
