/** JSON.parse for untrusted text with a nesting bound (checked before parsing). */
import {InputError} from '../errors.js'
import {MAX_JSON_DEPTH} from './limits.js'

export function parseBoundedJson(text: string, what: string, maxDepth = MAX_JSON_DEPTH): unknown {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new InputError('E_DATASET_MANIFEST_MALFORMED', `${what}: JSON nests deeper than ${maxDepth}`)
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InputError('E_DATASET_MANIFEST_MALFORMED', `${what}: not valid JSON (${(err as Error).message})`)
  }
}
