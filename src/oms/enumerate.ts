/**
 * Lists the files of a model the way model_signing does (root + `glob('**\/*')`): dotfiles
 * included, symlinked directories not descended into, ignored paths skipped (ignored directories
 * are pruned, which yields the same list faster). Symlinks are an error unless allowed; when
 * allowed, a link to a file is listed under the link's name and hashed from its target. Anything
 * that is neither a regular file nor a directory is an error, and so is a name that is not UTF-8.
 */
import fs from 'node:fs'
import path from 'node:path'

import {InputError} from '../errors.js'
import type {IgnoreMatcher} from './ignore.js'
import {resolveLenient} from './ignore.js'
import {assertSafeResourceName, MAX_RESOURCES} from './resource-name.js'

/** Upper bound on files in one model: keeps a hostile tree from exhausting memory. */
/** Files in one model: each is at least one resource, so the resource cap bounds them. */
export const MAX_MODEL_FILES = MAX_RESOURCES

export interface ModelFile {
  /** Resource name: '/'-separated path relative to the model, or '.' for a single-file model. */
  name: string
  /** Absolute path to open. */
  absPath: string
  /** Size when listed (of the target, for an allowed symlink). */
  size: number
  /** Listed through an (allowed) symlink. */
  symlink: boolean
}

export interface Enumeration {
  isFile: boolean
  files: ModelFile[]
  /** onlyFiles mode: requested names that are not (regular or linked) files here. */
  missing: string[]
  warnings: string[]
  /** Allowed symlinks to directories: listed, not followed (a verifier reports them as extra). */
  linkedDirectories: string[]
}

export interface EnumerateOptions {
  ignore: IgnoreMatcher
  allowSymlinks: boolean
  /** Check only these model-relative file names (no directory walk). */
  onlyFiles?: string[]
}

const utf8 = new TextDecoder('utf-8', {fatal: true})

function decodeName(raw: Buffer, dirRel: string): string {
  try {
    return utf8.decode(raw)
  } catch {
    const where = dirRel === '' ? 'the model root' : dirRel
    throw new InputError('E_NON_UTF8_NAME', `a file name in ${where} is not valid UTF-8 (${JSON.stringify(raw.toString('latin1'))}); rename it`)
  }
}

function notFileOrDir(rel: string, why: string): InputError {
  return new InputError('E_NOT_FILE_OR_DIR', `cannot use ${rel}: ${why}`)
}

function symlinkRefused(rel: string): InputError {
  return new InputError('E_SYMLINK', `${rel} is a symlink; use --allow-symlinks to hash its target`)
}

function statOrNull(p: string, follow: boolean): fs.Stats | null {
  try {
    return follow ? fs.statSync(p) : fs.lstatSync(p)
  } catch (err) {
    const code = (err as {code?: string}).code
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null
    throw new InputError('E_IO', `cannot read ${p}: ${(err as Error).message}`)
  }
}

class Walker {
  readonly files: ModelFile[] = []
  readonly warnings: string[] = []
  readonly linkedDirectories: string[] = []
  private realRoot?: string

  constructor(
    private readonly root: string,
    private readonly opts: EnumerateOptions,
  ) {}

  private add(f: ModelFile): void {
    if (this.files.length >= MAX_MODEL_FILES) {
      throw new InputError('E_TOO_MANY_FILES', `the model has more than ${MAX_MODEL_FILES} files`)
    }
    this.files.push(f)
  }

  /** An allowed symlink: list its target if it is a file, and warn when it leaves the model. */
  link(abs: string, rel: string): 'file' | 'dir' {
    const target = statOrNull(abs, true)
    if (!target) throw notFileOrDir(rel, 'broken symlink or symlink loop')
    if (target.isDirectory()) {
      this.linkedDirectories.push(rel)
      this.warnings.push(`symlink ${rel} points to a directory; its contents are not part of the model (not followed)`)
      return 'dir'
    }
    if (!target.isFile()) throw notFileOrDir(rel, 'symlink to something that is not a regular file')
    this.realRoot ??= resolveLenient(this.root)
    const real = resolveLenient(abs)
    const inside = path.relative(this.realRoot, real)
    if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
      this.warnings.push(`symlink ${rel} points outside the model (${real}); its target's content is hashed`)
    }
    this.add({name: rel, absPath: abs, size: target.size, symlink: true})
    return 'file'
  }

  walk(): void {
    const stack: Array<[string, string]> = [[this.root, '']]
    while (stack.length > 0) {
      const [dirAbs, dirRel] = stack.pop()!
      let entries: fs.Dirent<Buffer>[]
      try {
        entries = fs.readdirSync(dirAbs, {withFileTypes: true, encoding: 'buffer'})
      } catch (err) {
        throw new InputError('E_IO', `cannot list ${dirRel || '.'}: ${(err as Error).message}`)
      }
      for (const d of entries) {
        const name = decodeName(d.name, dirRel)
        const rel = dirRel === '' ? name : `${dirRel}/${name}`
        if (this.opts.ignore.ignores(rel)) continue
        if (name.includes('\\')) throw new InputError('E_UNSAFE_FILE_NAME', `file name ${JSON.stringify(rel)} contains a backslash`)
        const abs = path.join(dirAbs, name)
        let kind: 'file' | 'dir' | 'link' | 'other'
        if (d.isFile()) kind = 'file'
        else if (d.isDirectory()) kind = 'dir'
        else if (d.isSymbolicLink()) kind = 'link'
        else {
          // DT_UNKNOWN on some filesystems: ask lstat.
          const st = statOrNull(abs, false)
          kind = !st ? 'other' : st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other'
        }
        if (kind === 'dir') stack.push([abs, rel])
        else if (kind === 'link') {
          if (!this.opts.allowSymlinks) throw symlinkRefused(rel)
          this.link(abs, rel)
        } else if (kind === 'file') {
          const st = statOrNull(abs, false)
          if (!st?.isFile()) throw new InputError('E_FILE_CHANGED', `${rel} changed while the model was being listed`)
          this.add({name: rel, absPath: abs, size: st.size, symlink: false})
        } else throw notFileOrDir(rel, 'not a regular file or directory (fifo, socket, device?)')
      }
    }
  }

  /** Resolves one requested name without walking; returns false when it is not a file here. */
  only(rel: string): boolean {
    assertSafeResourceName(rel)
    if (this.opts.ignore.ignores(rel)) return true
    const parts = rel.split('/')
    let abs = this.root
    for (let i = 0; i < parts.length; i++) {
      abs = path.join(abs, parts[i])
      const st = statOrNull(abs, false)
      if (!st) return false
      const last = i === parts.length - 1
      if (st.isSymbolicLink()) {
        if (!this.opts.allowSymlinks) throw symlinkRefused(parts.slice(0, i + 1).join('/'))
        // The walk never descends into symlinked directories; neither does this.
        return last && this.link(abs, rel) === 'file'
      }
      if (!last) {
        if (!st.isDirectory()) return false
        continue
      }
      if (st.isDirectory()) return false
      if (!st.isFile()) throw notFileOrDir(rel, 'not a regular file or directory (fifo, socket, device?)')
      this.add({name: rel, absPath: abs, size: st.size, symlink: false})
    }
    return true
  }
}

/** Lists a model (a directory, or a single file whose resource name is '.'). */
export function enumerateModel(modelPath: string, opts: EnumerateOptions): Enumeration {
  const root = path.resolve(modelPath)
  let st = statOrNull(root, false)
  if (!st) throw new InputError('E_MODEL_NOT_FOUND', `model path ${modelPath} does not exist`)
  let rootIsLink = false
  if (st.isSymbolicLink()) {
    if (!opts.allowSymlinks) throw symlinkRefused(modelPath)
    rootIsLink = true
    st = statOrNull(root, true)
    if (!st) throw notFileOrDir(modelPath, 'broken symlink or symlink loop')
  }
  const w = new Walker(root, opts)
  const missing: string[] = []
  if (st.isFile()) {
    if (opts.onlyFiles) {
      for (const n of new Set(opts.onlyFiles)) if (n !== '.') missing.push(n)
      if (!opts.onlyFiles.includes('.')) return {isFile: true, files: [], missing, warnings: w.warnings, linkedDirectories: []}
    }
    return {isFile: true, files: [{name: '.', absPath: root, size: st.size, symlink: rootIsLink}], missing, warnings: w.warnings, linkedDirectories: []}
  }
  if (!st.isDirectory()) throw notFileOrDir(modelPath, 'not a regular file or directory')
  if (opts.onlyFiles) {
    for (const n of new Set(opts.onlyFiles)) {
      if (n === '.' || !w.only(n)) missing.push(n)
    }
  } else {
    w.walk()
  }
  return {isFile: false, files: w.files, missing, warnings: w.warnings, linkedDirectories: w.linkedDirectories}
}
