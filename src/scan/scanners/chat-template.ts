/**
 * Chat templates outside GGUF: a Hugging Face `tokenizer_config.json` (or `chat_template.json`)
 * whose `chat_template` is a string or a list of {name, template}, and `*.jinja` template files.
 * The same checks as GGUF's `tokenizer.chat_template` (MS-GG009/010): transformers renders these
 * templates too, and a sandbox escape there runs code just the same.
 */
import path from 'node:path'

import {checkChatTemplate} from '../../formats/gguf/template.js'
import {FileSource} from '../../formats/tensor.js'
import type {FormatScanner} from '../format-scanner.js'
import {errorReport, report} from './reports.js'

/** Largest template/config file read. */
export const MAX_TEMPLATE_FILE = 16 << 20

const isConfig = (f: string) => /(^|[/\\])(tokenizer_config|chat_template)\.json$/i.test(f)
const isJinja = (f: string) => /\.jinja2?$/i.test(f)

export const chatTemplateScanner: FormatScanner = {
  format: 'chat-template',
  priority: -10,
  detect(head, file) {
    if (isJinja(file)) return true
    return isConfig(file) && /^\s*\{/.test(head.subarray(0, 64).toString('utf8'))
  },
  async scan(file) {
    const src = await FileSource.open(file)
    let text: string
    try {
      if (src.size > MAX_TEMPLATE_FILE)
        return errorReport(file, 'chat-template', 'E_TEMPLATE_TOO_LARGE', `${src.size} bytes is over the ${MAX_TEMPLATE_FILE}-byte limit`)
      text = new TextDecoder().decode(await src.read(0, src.size))
    } finally {
      await src.close()
    }
    const templates: Array<[string, string]> = []
    if (isJinja(file)) templates.push([path.basename(file), text])
    else {
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (err) {
        return errorReport(file, 'chat-template', 'E_JSON', `not valid JSON: ${(err as Error).message}`)
      }
      const t = (json as {chat_template?: unknown})?.chat_template
      if (typeof t === 'string') templates.push(['chat_template', t])
      else if (Array.isArray(t)) {
        for (const [k, x] of t.entries()) {
          const tpl = (x as {template?: unknown})?.template
          const name = (x as {name?: unknown})?.name
          if (typeof tpl === 'string') templates.push([`chat_template.${typeof name === 'string' ? name : k}`, tpl])
        }
      }
    }
    const issues = templates.flatMap(([k, t]) => checkChatTemplate(k, t))
    return report(file, 'chat-template', issues, [], {templates: templates.length})
  },
}
