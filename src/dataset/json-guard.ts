/** JSON.parse for untrusted dataset-manifest text: the shared bounded parser with the dataset's code and limits. */
import {parseBoundedJson as parseJson} from '../io/index.js'
import {MAX_JSON_DEPTH} from './limits.js'

/** Dataset headers and statements are small; the largest accepted one is far above any real one. */
const MAX_JSON_BYTES = 64 * 1024 * 1024

export function parseBoundedJson(text: string, what: string, maxDepth = MAX_JSON_DEPTH): unknown {
  return parseJson(text, what, {code: 'E_DATASET_MANIFEST_MALFORMED', maxBytes: MAX_JSON_BYTES, maxDepth})
}
