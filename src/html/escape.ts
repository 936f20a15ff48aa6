/**
 * Untrusted text → HTML. Every string that reaches a report (node names, doc strings, file names,
 * signer identities, policy reasons) comes from a model, a bundle or a policy an attacker may have
 * written, so it is only ever inserted as escaped text or as an escaped attribute value — never as
 * markup — and made visible: control characters and bidirectional overrides (which can reorder
 * what a reviewer reads, "Trojan Source") are shown as \u escapes, and huge strings are cut.
 */

/** Longest untrusted string shown whole; a 1 MB node name must not make a 1 MB report line. */
export const MAX_SHOWN_CHARS = 400

const HTML_ESCAPES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}

// C0/C1 controls, bidi embeddings/overrides/isolates, zero-width and line/paragraph separators,
// the BOM: all of them change how text looks or reads without being seen.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g

/** Makes invisible and reordering characters visible and bounds the length (before escaping). */
export function visible(text: string, max = MAX_SHOWN_CHARS): string {
  let s = text
  let cut = 0
  if (s.length > max) {
    cut = s.length - max
    s = s.slice(0, max)
    // Never leave half a surrogate pair at the cut.
    if (/[\ud800-\udbff]$/.test(s)) s = s.slice(0, -1)
  }
  s = s.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  // Lone surrogates cannot be encoded as UTF-8 text; show them like the other invisibles.
  s = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
  return cut > 0 ? `${s}… (${cut} more characters)` : s
}

/** Escapes text for an element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c])
}

/** The one way untrusted text enters a report: made visible, bounded, then escaped. */
export function text(value: unknown, max = MAX_SHOWN_CHARS): string {
  if (value === undefined || value === null) return ''
  return escapeHtml(visible(typeof value === 'string' ? value : String(value), max))
}

/** Class names are chosen by the renderer, never taken from input; this guards the invariant. */
export function cls(...names: (string | false | undefined)[]): string {
  const kept = names.filter((n): n is string => typeof n === 'string' && n.length > 0)
  for (const n of kept) if (!/^[a-z][a-z0-9-]*$/.test(n)) throw new Error(`internal: bad class name ${JSON.stringify(n)}`)
  return kept.join(' ')
}
