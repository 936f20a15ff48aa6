/** Schema of each requirement type (see docs/policy.md for the reference). */
import {normDomain} from '../evidence/model.js'
import type {Path} from './checker.js'
import {globProblem} from './globs.js'
import {isCategory, MODES, parseDurationAt, parseSignedBy, parseSizeAt, SEVERITY_CEILINGS, type SchemaContext} from './schema-fields.js'
import type {Category} from '../scan/types.js'
import type {Mode, Requirement, RequirementType, ScanRequirement, SeverityCeiling} from './types.js'

const TYPES: readonly RequirementType[] = ['signature', 'integrity', 'scan', 'onnx', 'datasets', 'limits']
const COMMON = ['id', 'type', 'description', 'mode'] as const
const KEYS: Record<RequirementType, readonly string[]> = {
  signature: ['signedBy', 'maxAge'],
  integrity: ['signedBy', 'allowedAlgorithms', 'allowedSerializations', 'unsignedFiles', 'allowUnsigned', 'symlinks'],
  scan: ['source', 'maxSeverity', 'signedBy', 'maxAge', 'skippable'],
  onnx: ['allowedDomains', 'forbiddenOperators', 'externalData'],
  datasets: ['signedBy', 'source', 'datasets', 'provenanceSignedBy', 'maxAge', 'minDatasets'],
  limits: ['maxTotalBytes', 'maxFileBytes', 'maxFiles'],
}
export const HASH_ALGORITHMS = ['sha256', 'blake2b', 'blake3'] as const
export const SERIALIZATIONS = ['files', 'shards'] as const

export function parseRequirement(ctx: SchemaContext, v: unknown, p: Path): Requirement | undefined {
  const {c} = ctx
  // Read `type` first so unknown-key errors list the keys of the right type.
  const pre = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  const type = pre && TYPES.includes(pre.type as RequirementType) ? (pre.type as RequirementType) : undefined
  // With an unknown type, report the type (not every key as unknown).
  const o = c.object(v, p, [...COMMON, ...(type ? KEYS[type] : Object.values(KEYS).flat())])
  if (!o) return undefined
  const id = c.string(c.required(o, 'id', p), [...p, 'id'])
  if (id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id))
    c.error([...p, 'id'], `requirement id "${id}" must be letters, digits, ".", "_" or "-"`)
  if (o.type === undefined) c.report('error', 'MISSING_KEY', p, `missing required key "type" (one of ${TYPES.join(', ')})`)
  else if (!type) c.error([...p, 'type'], `type must be one of ${TYPES.join(', ')}, got ${JSON.stringify(o.type)}`)
  const description = o.description === undefined ? undefined : c.string(o.description, [...p, 'description'])
  const mode = o.mode === undefined ? undefined : (c.oneOf(o.mode, [...p, 'mode'], MODES) as Mode | undefined)
  if (!id || !type) return undefined
  const base = {id, description, mode}
  const dur = (k: string) => (o[k] === undefined ? undefined : parseDurationAt(ctx, o[k], [...p, k]))

  switch (type) {
    case 'signature': {
      const signedBy = parseSignedBy(ctx, c.required(o, 'signedBy', p), [...p, 'signedBy'])
      return signedBy && {...base, type, signedBy, maxAgeMs: dur('maxAge')}
    }
    case 'integrity': {
      const algs = o.allowedAlgorithms === undefined ? undefined : c.stringList(o.allowedAlgorithms, [...p, 'allowedAlgorithms'], {nonEmpty: true})
      algs?.forEach((a, i) => {
        if (!(HASH_ALGORITHMS as readonly string[]).includes(a))
          c.error([...p, 'allowedAlgorithms', i], `unknown hash algorithm "${a}"; one of ${HASH_ALGORITHMS.join(', ')}`)
      })
      const sers = o.allowedSerializations === undefined ? undefined : c.stringList(o.allowedSerializations, [...p, 'allowedSerializations'], {nonEmpty: true})
      sers?.forEach((a, i) => {
        if (!(SERIALIZATIONS as readonly string[]).includes(a))
          c.error([...p, 'allowedSerializations', i], `unknown serialization "${a}"; one of ${SERIALIZATIONS.join(', ')}`)
      })
      const unsignedFiles = o.unsignedFiles === undefined ? 'forbid' : c.oneOf(o.unsignedFiles, [...p, 'unsignedFiles'], ['forbid', 'allow'] as const)
      const symlinks = o.symlinks === undefined ? 'forbid' : c.oneOf(o.symlinks, [...p, 'symlinks'], ['forbid', 'allow'] as const)
      const allowUnsigned = globList(ctx, o.allowUnsigned, [...p, 'allowUnsigned'])
      if (unsignedFiles === 'allow' && o.allowUnsigned !== undefined) c.error([...p, 'allowUnsigned'], 'allowUnsigned has no effect with unsignedFiles: allow')
      // Default (filled in by validatePolicy): the identities of the signature requirements.
      const signedBy = o.signedBy === undefined ? undefined : parseSignedBy(ctx, o.signedBy, [...p, 'signedBy'])
      if (o.signedBy !== undefined && !signedBy) return undefined
      return (
        unsignedFiles &&
        symlinks &&
        allowUnsigned && {...base, type, signedBy, allowedAlgorithms: algs, allowedSerializations: sers, unsignedFiles, allowUnsigned, symlinks}
      )
    }
    case 'scan': {
      const source = o.source === undefined ? 'either' : c.oneOf(o.source, [...p, 'source'], ['attestation', 'inline', 'either'] as const)
      const maxSeverity = parseCeilings(ctx, c.required(o, 'maxSeverity', p), [...p, 'maxSeverity'])
      const signedBy = o.signedBy === undefined ? undefined : parseSignedBy(ctx, o.signedBy, [...p, 'signedBy'])
      // Fail closed at load time: an attestation nobody is trusted to sign could never count.
      if (source !== 'inline' && o.signedBy === undefined)
        c.report('error', 'MISSING_KEY', p, `missing required key "signedBy": who may sign scan attestations (or set source: inline)`)
      if (source === 'inline' && o.signedBy !== undefined) c.error([...p, 'signedBy'], 'signedBy has no effect with source: inline')
      if (source === 'inline' && o.maxAge !== undefined) c.error([...p, 'maxAge'], 'maxAge has no effect with source: inline')
      const skippable = globList(ctx, o.skippable, [...p, 'skippable'])
      if (!source || !maxSeverity || !skippable) return undefined
      const r: ScanRequirement = {...base, type, source, maxSeverity, signedBy, maxAgeMs: dur('maxAge'), skippable}
      return r
    }
    case 'onnx': {
      const allowedDomains = o.allowedDomains === undefined ? undefined : c.stringList(o.allowedDomains, [...p, 'allowedDomains'], {allowEmptyStrings: true})
      const forbiddenOperators: {domain: string; op: string}[] = []
      if (o.forbiddenOperators !== undefined) {
        c.list(o.forbiddenOperators, [...p, 'forbiddenOperators'])?.forEach((f, i) => {
          const s = c.string(f, [...p, 'forbiddenOperators', i])
          if (s === undefined) return
          const cut = s.lastIndexOf(':')
          forbiddenOperators.push(cut < 0 ? {domain: '', op: s} : {domain: normDomain(s.slice(0, cut)), op: s.slice(cut + 1)})
        })
      }
      const externalData = o.externalData === undefined ? 'allow' : c.oneOf(o.externalData, [...p, 'externalData'], ['allow', 'forbid'] as const)
      return externalData && {...base, type, allowedDomains: allowedDomains?.map(normDomain), forbiddenOperators, externalData}
    }
    case 'datasets': {
      const signedBy = parseSignedBy(ctx, c.required(o, 'signedBy', p), [...p, 'signedBy'])
      const source = o.source === undefined ? 'provenance' : c.oneOf(o.source, [...p, 'source'], ['provenance', 'explicit'] as const)
      const datasets: {name?: string; root: string}[] = []
      if (source === 'explicit') {
        c.list(c.required(o, 'datasets', p), [...p, 'datasets'], {nonEmpty: true})?.forEach((d, i) => {
          const dp = [...p, 'datasets', i]
          const dobj = c.object(d, dp, ['name', 'root'])
          if (!dobj) return
          const root = c.string(c.required(dobj, 'root', dp), [...dp, 'root'])
          const m = root && /^(?:sha256:|dsm1-root:)?([0-9a-fA-F]{64})$/.exec(root)
          if (root && !m) c.error([...dp, 'root'], 'must be the 64-hex dataset root (`modelseal dataset manifest --json` prints it under "root")')
          const name = dobj.name === undefined ? undefined : c.string(dobj.name, [...dp, 'name'])
          if (m) datasets.push({name, root: m[1].toLowerCase()})
        })
      } else if (o.datasets !== undefined) c.error([...p, 'datasets'], 'datasets lists roots for source: explicit only')
      const provenanceSignedBy = o.provenanceSignedBy === undefined ? undefined : parseSignedBy(ctx, o.provenanceSignedBy, [...p, 'provenanceSignedBy'])
      if (source === 'provenance' && o.provenanceSignedBy === undefined) {
        c.report('error', 'MISSING_KEY', p, 'missing required key "provenanceSignedBy": who may sign the provenance naming the training datasets')
      }
      const minDatasets = o.minDatasets === undefined ? 1 : c.integer(o.minDatasets, [...p, 'minDatasets'], 0, 10_000)
      if (!signedBy || !source || minDatasets === undefined) return undefined
      return {...base, type, signedBy, source, datasets, provenanceSignedBy, maxAgeMs: dur('maxAge'), minDatasets}
    }
    case 'limits': {
      const r = {...base, type} as Requirement & {type: 'limits'}
      if (o.maxTotalBytes !== undefined) r.maxTotalBytes = parseSizeAt(ctx, o.maxTotalBytes, [...p, 'maxTotalBytes'])
      if (o.maxFileBytes !== undefined) r.maxFileBytes = parseSizeAt(ctx, o.maxFileBytes, [...p, 'maxFileBytes'])
      if (o.maxFiles !== undefined) r.maxFiles = c.integer(o.maxFiles, [...p, 'maxFiles'], 1)
      if (o.maxTotalBytes === undefined && o.maxFileBytes === undefined && o.maxFiles === undefined) {
        c.error(p, 'a limits requirement needs maxTotalBytes, maxFileBytes or maxFiles')
      }
      return r
    }
  }
}

export {normDomain}

/** A list of model-relative globs (`*`, `**`, `?`, `[...]`, `{a,b}`); absent = empty. */
function globList(ctx: SchemaContext, v: unknown, p: Path): string[] | undefined {
  if (v === undefined) return []
  const l = ctx.c.stringList(v, p)
  if (!l) return undefined
  let ok = true
  l.forEach((g, i) => {
    const why = globProblem(g)
    if (why) {
      ctx.c.error([...p, i], `glob ${JSON.stringify(g)} ${why}`)
      ok = false
    }
  })
  return ok ? l : undefined
}

function parseCeilings(ctx: SchemaContext, v: unknown, p: Path): ScanRequirement['maxSeverity'] | undefined {
  const {c} = ctx
  if (typeof v === 'string') {
    const s = c.oneOf(v, p, SEVERITY_CEILINGS)
    return s && {default: s, categories: {}}
  }
  const o = c.mapping(v, p)
  if (!o) return undefined
  const out: ScanRequirement['maxSeverity'] = {default: 'none', categories: {}}
  let hasDefault = false
  for (const [k, val] of Object.entries(o)) {
    if (k !== 'default' && !isCategory(k)) {
      c.report(
        'error',
        'UNKNOWN_KEY',
        [...p, k],
        `unknown scan category "${k}"; use "default" or a category from \`modelseal scan\` (graph-backdoor, custom-op, ...)`,
      )
      continue
    }
    const s = c.oneOf(val, [...p, k], SEVERITY_CEILINGS) as SeverityCeiling | undefined
    if (!s) continue
    if (k === 'default') {
      out.default = s
      hasDefault = true
    } else out.categories[k as Category] = s
  }
  if (!hasDefault) c.report('error', 'MISSING_KEY', p, 'missing required key "default": the ceiling for categories not listed')
  return out
}
