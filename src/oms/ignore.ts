/**
 * Ignore paths, as model_signing treats them: every ignore is a model-relative path and a file is
 * skipped when the ignore is a component-wise prefix of its path (ignoring a directory ignores its
 * subtree; `cache` matches `<root>/cache` only). User paths are resolved like the Python CLI does
 * (against the current directory, symlinks resolved; absolute paths inside MODEL_PATH accepted;
 * paths outside the model dropped). The git defaults apply at the top level only.
 */
import fs from 'node:fs'
import path from 'node:path'

import {InputError, UsageError} from '../errors.js'
import {comparePaths} from './resource-name.js'

/** Ignored by default (ignore_git_paths), top level only; `.gitmodules` is deliberately not here. */
export const DEFAULT_GIT_IGNORES: readonly string[] = ['.git', '.gitattributes', '.github', '.gitignore']

export interface IgnoreSpec {
  /** User paths (CLI semantics: relative to `cwd`, or absolute). */
  ignorePaths?: string[]
  /** Model-relative paths, e.g. the `ignore_paths` recorded in a signed predicate. */
  recordedIgnorePaths?: string[]
  /** Add DEFAULT_GIT_IGNORES (default true). */
  ignoreGitPaths?: boolean
  /** The signature file (CLI semantics); excluded when it lies inside the model. */
  signaturePath?: string
  /** Base for relative user paths; default process.cwd(). */
  cwd?: string
}

export interface ResolvedIgnores {
  /** Model-relative, '/'-separated, unique, in canonical order: what is recorded as ignore_paths. */
  paths: string[]
  warnings: string[]
}

/** Like Python's Path.resolve(strict=False): symlinks resolved in the part that exists. */
export function resolveLenient(p: string): string {
  const abs = path.resolve(p)
  try {
    return fs.realpathSync.native(abs)
  } catch {
    const parent = path.dirname(abs)
    if (parent === abs) return abs
    return path.join(resolveLenient(parent), path.basename(abs))
  }
}

/** Validates and canonicalises a model-relative (recorded) ignore path ('a//b/./c' → 'a/b/c'). */
export function normalizeRelativeIgnore(p: string): string {
  const bad = (why: string) => new InputError('E_BAD_RECORDED_IGNORE_PATH', `invalid recorded ignore path ${JSON.stringify(p)}: ${why}`)
  if (typeof p !== 'string') throw bad('not a string')
  if (p.includes('\0')) throw bad('contains NUL')
  if (p.startsWith('/')) throw bad('absolute')
  const parts = p.split('/').filter((c) => c !== '' && c !== '.')
  if (parts.includes('..')) throw bad('contains ..')
  // An empty path would ignore the whole model, and a signature over nothing verifies anything.
  if (parts.length === 0) throw bad('it names the model root')
  return parts.join('/')
}

/** One user (CLI) path → model-relative path, or undefined when it lies outside the model. */
function userPathToRelative(modelRoot: string, p: string, cwd: string): string | undefined {
  const candidate = resolveLenient(path.isAbsolute(p) ? p : path.join(cwd, p))
  const rel = path.relative(modelRoot, candidate)
  if (rel === '') return ''
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined
  return rel.split(path.sep).join('/')
}

/** Everything that is ignored, as recorded in `ignore_paths`, plus warnings about dropped paths. */
export function resolveIgnores(modelPath: string, spec: IgnoreSpec = {}): ResolvedIgnores {
  const cwd = spec.cwd ?? process.cwd()
  const modelRoot = resolveLenient(modelPath)
  const out = new Set<string>()
  const warnings: string[] = []
  if (spec.ignoreGitPaths ?? true) for (const p of DEFAULT_GIT_IGNORES) out.add(p)
  for (const p of spec.ignorePaths ?? []) {
    if (typeof p !== 'string' || p.length === 0 || p.includes('\0')) throw new UsageError('E_BAD_IGNORE_PATH', `invalid ignore path ${JSON.stringify(p)}`)
    const rel = userPathToRelative(modelRoot, p, cwd)
    if (rel === undefined) {
      warnings.push(`ignore path ${p} is outside the model (resolved against ${cwd}); not applied`)
      continue
    }
    if (rel === '') throw new UsageError('E_BAD_IGNORE_PATH', `ignore path ${p} is the model itself`)
    out.add(normalizeRelativeIgnore(rel))
  }
  if (spec.signaturePath !== undefined) {
    const rel = userPathToRelative(modelRoot, spec.signaturePath, cwd)
    if (rel === '') throw new UsageError('E_BAD_SIGNATURE_PATH', `the signature path ${spec.signaturePath} is the model itself`)
    if (rel !== undefined) out.add(normalizeRelativeIgnore(rel))
  }
  for (const p of spec.recordedIgnorePaths ?? []) out.add(normalizeRelativeIgnore(p))
  return {paths: [...out].sort(comparePaths), warnings}
}

/**
 * The '/'-separated model-relative paths recorded as `ignore_paths`: the git defaults (unless
 * disabled), the user's paths that lie inside the model, and the signature file when inside.
 */
export function normalizeIgnorePaths(
  modelPath: string,
  paths: string[],
  cwd: string = process.cwd(),
  opts: {ignoreGitPaths?: boolean; signaturePath?: string} = {},
): string[] {
  return resolveIgnores(modelPath, {ignorePaths: paths, cwd, ...opts}).paths
}

/** Fast membership test: a path is ignored when it or one of its parent directories is listed. */
export class IgnoreMatcher {
  private readonly set: Set<string>
  constructor(paths: readonly string[]) {
    this.set = new Set(paths)
  }
  get size(): number {
    return this.set.size
  }
  ignores(rel: string): boolean {
    if (this.set.size === 0 || rel === '.') return false
    if (this.set.has(rel)) return true
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) {
      if (this.set.has(rel.slice(0, i))) return true
    }
    return false
  }
}
