/**
 * Lists the regular files under a dataset directory: canonical relative paths in byte order.
 * Names that are not valid UTF-8 are refused rather than silently replaced.
 * Symlinks are refused unless allowed, and then only when they resolve to a regular file inside
 * the root; FIFOs, sockets and devices are always refused.
 *
 * The walk visits each directory's entries sorted by canonical name, a directory's name taken
 * with its trailing '/', so files come out already in global path-byte order: hashing starts
 * with the first directory instead of after the whole tree was listed and sorted.
 */
import {lstatSync, readdirSync, realpathSync, statfsSync} from 'node:fs'
import {realpath, stat} from 'node:fs/promises'
import path from 'node:path'

import {InputError} from '../errors.js'
import {MAX_DIR_DEPTH, MAX_FILES} from './limits.js'
import {comparePaths, MAX_PATH_BYTES, pathProblem} from './paths.js'
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
  /** How errors name the dataset (default: its real path). */
  label?: string
}

/** One file of a walk: its canonical path, its path on disk when that differs, whether it is an allowed symlink. */
export interface WalkedFile {
  path: string
  disk?: string
  link?: boolean
  /** Its directory is not on a file system known to return whole reads (see wholeReads): the hash worker checks for the end of the file. */
  shortReads?: boolean
}

/**
 * Linux file systems (statfs f_type) whose reads of a regular file return every byte asked for up
 * to the end of the file: ext2/3/4, XFS, Btrfs, tmpfs (page-cache reads; only a fatal signal stops
 * one early). Elsewhere (FUSE, network file systems, other systems) a read may return fewer bytes
 * before the end, so the hash worker confirms the end with one more read (hash-worker.ts).
 */
const WHOLE_READ_FS = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994])

/** Directories with fewer files are not asked (see readDir). */
const STATFS_MIN_FILES = 8

/** Whether reads of regular files in directory `abs` return everything up to the end of the file. */
export function wholeReads(abs: string): boolean {
  if (process.platform !== 'linux') return false
  try {
    return WHOLE_READ_FS.has(statfsSync(abs).type)
  } catch {
    return false
  }
}

// Printable ASCII names need neither NFC normalization nor the full path check (only these).
const ASCII = /^[\x20-\x7e]+$/
const UNSAFE_ASCII = /[\\/]/
// Names at or above U+D800 are where UTF-16 order differs from UTF-8 byte order.
const HIGH = /[\uD800-\uFFFF]/

/** The real path of a dataset directory (E_IO when it is not one). */
export async function datasetRoot(root: string): Promise<string> {
  const rootReal = await realpath(root)
  const rootStat = await stat(rootReal)
  if (!rootStat.isDirectory()) throw new InputError('E_IO', `${root} is not a directory`)
  return rootReal
}

interface Entry {
  /** Sort key: canonical name, with '/' after a directory's. */
  key: string
  name: string
  dir: boolean
  link: boolean
}

interface Frame {
  abs: string
  rel: string
  diskRel: string
  depth: number
  entries: Entry[]
  next: number
  /** See wholeReads (asked per directory: a subdirectory may be another mount). */
  whole: boolean
}

/**
 * All regular files under `rootReal` (a real directory path, see datasetRoot), in canonical
 * path-byte order, one at a time. Unsafe entries are collected and refused all at once (thrown
 * after the last file): a consumer that stops early never sees them, so it must drain the walk
 * before it trusts a result.
 */
export function* walkSorted(rootReal: string, opts: WalkOptions = {}): Generator<WalkedFile, void, undefined> {
  const problems = new ProblemList()
  let files = 0
  const stack: Frame[] = [readDir(rootReal, '', '', 0, problems)]
  while (stack.length > 0) {
    const f = stack[stack.length - 1]
    if (f.next === f.entries.length) {
      stack.pop()
      continue
    }
    const e = f.entries[f.next++]
    const rel = f.rel + e.key
    if (e.dir) {
      if (f.depth + 1 > MAX_DIR_DEPTH) problems.add(rel.slice(0, -1), `nested deeper than ${MAX_DIR_DEPTH} directories`)
      else stack.push(readDir(path.join(f.abs, e.name), rel, `${f.diskRel}${e.name}/`, f.depth + 1, problems))
      continue
    }
    if (opts.select && !opts.select(rel)) continue
    if (e.link && !linkOk(problems, rootReal, rel, path.join(f.abs, e.name))) continue
    if (++files > MAX_FILES) throw new InputError('E_DATASET_TOO_MANY_FILES', `more than ${MAX_FILES} files under ${opts.label ?? rootReal}`)
    const diskRel = f.diskRel + e.name
    if (diskRel === rel && !e.link && f.whole) yield {path: rel}
    else yield {path: rel, ...(diskRel === rel ? {} : {disk: diskRel}), ...(e.link ? {link: true} : {}), ...(f.whole ? {} : {shortReads: true})}
  }
  problems.throwIfAny(opts.label ?? rootReal)

  function readDir(abs: string, rel: string, diskRel: string, depth: number, problems: ProblemList): Frame {
    const entries: Entry[] = []
    let high = false
    let normalized = false
    // Synchronous readdir: the walk is a tight loop of system calls, and thread-pool round trips
    // per directory would cost more than they save. Names that are not valid UTF-8 come back
    // with U+FFFD, which pathProblem refuses.
    for (const d of readdirSync(abs, {withFileTypes: true})) {
      const name = d.name
      const ascii = ASCII.test(name)
      const canon = ascii ? name : name.normalize('NFC')
      if (!ascii) {
        normalized = true
        if (HIGH.test(canon)) high = true
      }
      const full = rel + canon
      const why = ascii && !UNSAFE_ASCII.test(name) && name !== '.' && name !== '..' && full.length * 3 <= MAX_PATH_BYTES ? undefined : pathProblem(full)
      if (why) {
        problems.add(diskRel + name, why)
        continue
      }
      if (d.isDirectory()) entries.push({key: `${canon}/`, name, dir: true, link: false})
      else if (d.isSymbolicLink()) {
        if (opts.allowLinks) entries.push({key: canon, name, dir: false, link: true})
        else problems.add(full, 'symbolic link (use --allow-links to follow links inside the dataset)')
      } else if (d.isFile()) entries.push({key: canon, name, dir: false, link: false})
      else problems.add(full, 'not a regular file, directory or symlink (device, FIFO or socket)')
    }
    if (high) entries.sort((a, b) => comparePaths(a.key, b.key))
    else entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    // Two names that differ only in Unicode normalization share one canonical path (only
    // possible when some name was not ASCII).
    if (normalized) {
      const seen = new Set<string>()
      for (const e of entries) {
        const canon = e.dir ? e.key.slice(0, -1) : e.key
        if (seen.has(canon)) problems.add(rel + canon, 'two names with the same NFC form')
        seen.add(canon)
      }
    }
    // A statfs costs about what the end check of three or four small files does: a directory with
    // fewer files than this does without it (its files take the end check).
    let files = 0
    for (const e of entries) if (!e.dir) files++
    return {abs, rel, diskRel, depth, entries, next: 0, whole: files >= STATFS_MIN_FILES && wholeReads(abs)}
  }
}

/** All regular files under `root`, sorted by canonical path bytes. */
export async function walkDirectory(root: string, opts: WalkOptions = {}): Promise<Listing> {
  const rootReal = await datasetRoot(root)
  const out: Listing = {root: rootReal, paths: [], diskNames: new Map(), links: new Set()}
  for (const f of walkSorted(rootReal, {label: root, ...opts})) {
    out.paths.push(f.path)
    if (f.disk !== undefined) out.diskNames.set(f.path, f.disk)
    if (f.link) out.links.add(f.path)
  }
  return out
}

function linkOk(problems: ProblemList, rootReal: string, rel: string, abs: string): boolean {
  let target: string
  try {
    target = realpathSync.native(abs)
  } catch {
    problems.add(rel, 'dangling symbolic link')
    return false
  }
  const inside = path.relative(rootReal, target)
  if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    problems.add(rel, 'symbolic link pointing outside the dataset')
    return false
  }
  if (!lstatSync(target).isFile()) {
    problems.add(rel, 'symbolic link to something other than a regular file')
    return false
  }
  return true
}
