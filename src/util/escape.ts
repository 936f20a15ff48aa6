/**
 * Escaping of untrusted names (file names, tar members, manifest paths) for human-readable
 * output. A name may hold a newline that forges a "Verification succeeded" line, terminal
 * escape sequences, bidi overrides that reorder what is shown, or combining marks that make an
 * NFD name look like its NFC twin. Such characters are printed as \u{…} (a backslash as \\),
 * so two different names never print the same. JSON output is not escaped (it is exact).
 */
// C0/C1 controls, DEL, combining marks (NFD vs NFC), zero-width and bidi format characters,
// line/paragraph separators, lone surrogates, and the backslash itself.
const UNSAFE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: the class lists combining and invisible code points on purpose
  /[\\\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\p{M}]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu

export function escapeName(s: string): string {
  return s.replace(UNSAFE, (c) => (c === '\\' ? '\\\\' : `\\u{${c.codePointAt(0)!.toString(16)}}`))
}
