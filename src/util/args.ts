/**
 * Argument checks at the library's entry points: a caller passing the wrong type gets a typed
 * UsageError (`E_BAD_ARGUMENT`, naming the function and the argument) instead of a TypeError from
 * deep inside, and never a half-done operation.
 */
import {UsageError} from '../errors.js'

export function requirePath(fn: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '' || v.includes('\0')) {
    throw new UsageError('E_BAD_ARGUMENT', `${fn}: ${name} must be a non-empty path string, got ${describe(v)}`)
  }
  return v
}

export function requirePaths(fn: string, name: string, v: unknown): string[] {
  if (!Array.isArray(v)) throw new UsageError('E_BAD_ARGUMENT', `${fn}: ${name} must be an array of paths, got ${describe(v)}`)
  v.forEach((p, i) => requirePath(fn, `${name}[${i}]`, p))
  return v as string[]
}

/** An options object, or undefined when the options are optional. */
export function optionalObject<T extends object>(fn: string, name: string, v: unknown): T | undefined {
  if (v === undefined) return undefined
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError('E_BAD_ARGUMENT', `${fn}: ${name} must be an object, got ${describe(v)}`)
  return v as T
}

export function requireObject<T extends object>(fn: string, name: string, v: unknown): T {
  const o = optionalObject<T>(fn, name, v)
  if (o === undefined) throw new UsageError('E_BAD_ARGUMENT', `${fn}: ${name} is required`)
  return o
}

export function requireOneOf<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new UsageError('E_BAD_ARGUMENT', `${fn}: ${name} must be one of ${allowed.join(', ')}, got ${describe(v)}`)
  }
  return v as T
}

export function requireDate(fn: string, name: string, v: unknown): Date {
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw new UsageError('E_BAD_ARGUMENT', `${fn}: ${name} must be a valid Date`)
  return v
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return v === '' ? 'an empty string' : 'a string with a NUL byte'
  return typeof v === 'object' ? 'an object' : `${typeof v}`
}
