/**
 * Chat-template checks for GGUF `tokenizer.chat_template*` (Jinja2). Rule GGF-009: server-side
 * template injection gadgets (CVE-2024-34359: llama-cpp-python rendered templates unsandboxed);
 * GGF-010: templates that branch on what the user wrote and inject their own text — a behavioural
 * backdoor that needs no weight change.
 */
import type {FormatIssue} from '../tensor.js'

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

export function checkChatTemplate(key: string, template: string): FormatIssue[] {
  const issues: FormatIssue[] = []
  const code = codeBlocks(template).join('\n')
  const hits = SSTI.filter(([re]) => re.test(code)).map(([re, what]) => ({what, sample: re.exec(code)![0]}))
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
        message: `${key} changes its output when a message contains ${odd.slice(0, 3).map((l) => JSON.stringify(l)).join(', ')} — a trigger phrase pattern`,
        location: {key},
        evidence: {condition: c.trim().slice(0, 200), literals: odd.slice(0, 5)},
      })
      break
    }
  }
  return issues
}
