/**
 * Chat-template checks for GGUF `tokenizer.chat_template*` (Jinja2). Rule GGF-009: server-side
 * template injection gadgets (CVE-2024-34359: llama-cpp-python rendered templates unsandboxed);
 * GGF-010: templates that branch on what the user wrote and inject their own text — a behavioural
 * backdoor that needs no weight change.
 */
import type {FormatIssue} from '../tensor.js'
import {foldedStrings} from './jinja.js'

const SSTI: Array<[RegExp, string]> = [
  [/__(class|mro|subclasses|globals|builtins|init|import|getattribute|dict|base|bases|code|func|self|reduce|reduce_ex)__/, 'dunder attribute access'],
  [/\bimport\b|__import__/, 'import'],
  [/\bos\.(system|popen|exec\w*|spawn\w*|environ)|\bos\s*\[/, 'os access'],
  [/\b(popen|subprocess|check_output)\b/, 'process execution'],
  [/\b(eval|exec|compile)\s*\(/, 'dynamic code'],
  [/\b(lipsum|cycler|joiner)\b/, 'Jinja global used as a gadget'],
  [/namespace\s*\.\s*__|_TemplateReference__context/, 'template internals'],
  [/\b(request|config|self)\s*\.\s*\w/, 'framework object access'],
  [/\|\s*attr\s*\(/, 'attr() filter (attribute access bypass)'],
  [/\\x5f\\x5f|\\u005f\\u005f|\[\s*['"]_['"]\s*\*\s*2/, 'obfuscated underscores'],
]

/** Literals that templates legitimately look for in message text (reasoning/tool-call markup). */
const BENIGN_LITERAL = /^(<\/?[a-z_|]+>|\[\/?[A-Z_]+\]|<\|[a-z_]+\|>|\n|\s*|tool_call|tool_calls|function|json)$/i

function codeBlocks(t: string): string[] {
  const out: string[] = []
  const re = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g
  let m: RegExpExecArray | null
  while ((m = re.exec(t)) && out.length < 100_000) out.push(m[1] ?? m[2])
  return out
}

/** Dunders that reach Python internals from a template object. */
const DUNDER =
  /^__(class|mro|subclasses|globals|builtins|init|import|getattribute|getattr|dict|base|bases|code|func|self|reduce|reduce_ex|loader|spec|module|closure|call|new)__$/i
/** Strings that name code-execution gadgets when used as an attribute or key (role names such as "system" excluded). */
const GADGET_STRINGS =
  /^(os|popen|subprocess|eval|exec|execfile|compile|__import__|import_module|builtins|__builtins__|globals|getattr|check_output|spawn\w*|sys|modules)$/i
const GADGET_NAMES = new Set(['lipsum', 'cycler', 'joiner', '__import__', 'getattr', 'eval', 'exec', 'popen', 'subprocess', 'import_module'])

export function checkChatTemplate(key: string, template: string): FormatIssue[] {
  const issues: FormatIssue[] = []
  const code = codeBlocks(template).join('\n')
  const hits = SSTI.filter(([re]) => re.test(code)).map(([re, what]) => ({what, sample: re.exec(code)![0]}))
  // What the template computes, not how it is spelled: constant-folded strings and identifiers.
  const folded = foldedStrings(template)
  const dunder = [...folded.strings, ...folded.names].find((x) => DUNDER.test(x.trim()) || /__(class|globals|builtins|subclasses|mro|import)__/i.test(x))
  if (dunder && !hits.some((h) => h.what === 'dunder attribute access')) hits.push({what: 'computed dunder attribute', sample: dunder.slice(0, 80)})
  const gadget = folded.strings.find((x) => GADGET_STRINGS.test(x)) ?? folded.names.find((x) => GADGET_NAMES.has(x))
  if (gadget && !hits.some((h) => h.sample === gadget)) hits.push({what: 'code-execution gadget name', sample: gadget})
  if (folded.exhausted) hits.push({what: 'template too large or convoluted to analyse', sample: `${template.length} characters`})
  if (/\|\s*string\s*\)?\s*\|\s*list|\(\s*\)\s*\|\s*select|\|\s*select\s*\|\s*string/.test(code))
    hits.push({what: 'characters harvested from object reprs', sample: '|string|list'})
  if (hits.length) {
    issues.push({
      id: 'MS-GG009',
      severity: 'critical',
      category: 'metadata',
      title: 'Chat template injection gadget',
      message: `${key} contains ${hits.map((h) => `${h.what} ("${h.sample}")`).join(', ')}: rendering it outside a sandbox runs code (CVE-2024-34359)`,
      location: {key},
      evidence: {patterns: hits.map((h) => h.sample)},
    })
  }
  const conds: string[] = []
  const condRe = /\{%-?\s*(?:el)?if\s+([\s\S]*?)-?%\}/g
  let m: RegExpExecArray | null
  while ((m = condRe.exec(template)) && conds.length < 10_000) conds.push(m[1])
  for (const c of conds) {
    if (!/content/.test(c) || !/(\bin\b|startswith|endswith|match|search|regex)/.test(c)) continue
    const literals = [...c.matchAll(/(['"])((?:(?!\1).){1,200})\1/g)].map((x) => x[2])
    const odd = literals.filter((l) => !BENIGN_LITERAL.test(l) && !/^(user|assistant|system|tool|role|content|type|text)$/.test(l))
    if (odd.length) {
      issues.push({
        id: 'MS-GG010',
        severity: 'medium',
        category: 'metadata',
        title: 'Chat template branches on message text',
        message: `${key} changes its output when a message contains ${odd
          .slice(0, 3)
          .map((l) => JSON.stringify(l))
          .join(', ')} — a trigger phrase pattern`,
        location: {key},
        evidence: {condition: c.trim().slice(0, 200), literals: odd.slice(0, 5)},
      })
      break
    }
  }
  return issues
}
