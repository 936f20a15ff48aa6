/**
 * Safe resolution of ONNX external data (docs/ExternalData.md, ExternalDataSecurity.md). A location
 * is only ever stat'ed after it passed every lexical check; it is never opened unless it resolves,
 * through any symlinks, to a regular file inside the model's directory and the byte range fits.
 */
import {lstatSync, realpathSync, statSync} from 'node:fs'
import path from 'node:path'

import {expectedRawBytes} from './tensors.js'
import type {OnnxTensor} from './types.js'

export const ORT_MEMORY_TAGS = ['*/_ORT_MEM_ADDR_/*', '*/_ORT_NATIVE_ENDIAN_MEM_ADDR_/*']
const KNOWN_KEYS = new Set(['location', 'offset', 'length', 'checksum', 'basepath'])

export type ExternalProblemKind = 'escape' | 'ort-memory' | 'link' | 'bounds' | 'keys' | 'missing'

export interface ExternalProblem {
  kind: ExternalProblemKind
  message: string
}

export interface ExternalRef {
  tensor: string
  location: string
  /** Resolved file (only when no blocking problem was found). */
  file?: string
  offset: number
  length: number
  problems: ExternalProblem[]
}

/** Lexical checks that need no filesystem access. */
export function lexicalLocationProblem(location: string): ExternalProblem | undefined {
  if (ORT_MEMORY_TAGS.includes(location)) {
    return {kind: 'ort-memory', message: `location "${location}" is ONNX Runtime's in-memory address tag: the offset would be read as a process memory address`}
  }
  if (location === '') return {kind: 'escape', message: 'empty external data location'}
  if (location.includes('\0')) return {kind: 'escape', message: 'external data location contains a NUL byte'}
  if (/^[\\/]{2}/.test(location)) return {kind: 'escape', message: `UNC/network location "${location}" (may leak credentials over SMB)`}
  if (/^[A-Za-z]:/.test(location)) return {kind: 'escape', message: `drive-letter location "${location}"`}
  if (location.startsWith('/') || location.startsWith('\\')) return {kind: 'escape', message: `absolute location "${location}"`}
  if (location.split(/[\\/]/).includes('..')) return {kind: 'escape', message: `location "${location}" climbs out with ".."`}
  return undefined
}

function parseDecimal(v: string | undefined): number | null | undefined {
  if (v === undefined) return undefined
  if (!/^\d{1,16}$/.test(v)) return null
  return Number(v)
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Resolves one tensor's external reference against the model directory. Never opens the target. */
export function resolveExternal(t: OnnxTensor, modelDir: string, statCache = new Map<string, number>()): ExternalRef {
  const problems: ExternalProblem[] = []
  const seen = new Set<string>()
  const vals = new Map<string, string>()
  for (const {key, value} of t.external) {
    if (!KNOWN_KEYS.has(key)) problems.push({kind: 'keys', message: `unknown external data key "${key}"`})
    if (seen.has(key)) problems.push({kind: 'keys', message: `external data key "${key}" repeated`})
    seen.add(key)
    vals.set(key, value)
  }
  const location = vals.get('location')
  const ref: ExternalRef = {tensor: t.name, location: location ?? '', offset: 0, length: 0, problems}
  if (location === undefined) {
    problems.push({kind: 'escape', message: 'external tensor without a location'})
    return ref
  }
  const lex = lexicalLocationProblem(location)
  if (lex) {
    problems.push(lex)
    return ref
  }
  const offset = parseDecimal(vals.get('offset'))
  const length = parseDecimal(vals.get('length'))
  if (offset === null) problems.push({kind: 'bounds', message: `offset "${vals.get('offset')}" is not a non-negative decimal integer`})
  if (length === null) problems.push({kind: 'bounds', message: `length "${vals.get('length')}" is not a non-negative decimal integer`})
  let realDir: string
  try {
    realDir = realpathSync(modelDir)
  } catch {
    problems.push({kind: 'missing', message: `model directory ${modelDir} cannot be resolved`})
    return ref
  }
  const target = path.resolve(modelDir, location)
  if (!isInside(path.resolve(modelDir), target)) {
    problems.push({kind: 'escape', message: `location "${location}" resolves outside the model directory`})
    return ref
  }
  let real: string
  try {
    lstatSync(target)
    real = realpathSync(target)
  } catch {
    problems.push({kind: 'missing', message: `external data file "${location}" is missing`})
    return ref
  }
  if (!isInside(realDir, real)) {
    problems.push({kind: 'link', message: `location "${location}" is (or passes through) a symlink that leaves the model directory`})
    return ref
  }
  const st = statSync(real)
  if (!st.isFile()) {
    problems.push({kind: 'link', message: `location "${location}" is not a regular file`})
    return ref
  }
  statCache.set(real, st.size)
  const off = offset ?? 0
  const expected = expectedRawBytes(t)
  const len = length ?? st.size - off
  if (problems.length === 0) {
    if (off > st.size) problems.push({kind: 'bounds', message: `offset ${off} is past the end of "${location}" (${st.size} bytes)`})
    else if (off + len > st.size) problems.push({kind: 'bounds', message: `range ${off}+${len} runs past the end of "${location}" (${st.size} bytes)`})
    else if (!Number.isNaN(expected) && len !== expected)
      problems.push({kind: 'bounds', message: `length ${len} differs from the ${expected} bytes the tensor's shape needs`})
  }
  ref.offset = off
  ref.length = len
  if (problems.length === 0) ref.file = real
  return ref
}
