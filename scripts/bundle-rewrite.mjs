// A rewrite of esbuild's bundle text that makes a command start faster without changing what
// runs. scripts/bundle.mjs applies it; test/startup/bundle-rewrite.test.ts checks it on examples,
// including the cases it must leave alone.

const ID = '[A-Za-z_$][\\w$]*'
const escapeRe = (s) => s.replace(/[$]/g, '\\$&')

// esbuild's __toESM helper, as esbuild writes it plain and minified (the minified name varies).
const PLAIN_HELPER = 'var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps('
const MINIFIED_HELPER = new RegExp(
  `var (${ID})=\\((${ID}),(${ID}),(${ID})\\)=>\\(\\4=\\2!=null\\?${ID}\\(${ID}\\(\\2\\)\\):\\{\\},${ID}\\(\\3\\|\\|!\\2\\|\\|!\\2\\.__esModule\\?${ID}\\(\\4,"default",\\{value:\\2,enumerable:!0\\}\\):\\4,\\2\\)\\)`,
)

/**
 * esbuild imports a CommonJS module (a Node built-in such as node:path, or a package such as
 * @oclif/core) into ES module code as `x = __toESM(require("node:path"), 1)`: a new object with
 * `default` set to the module and one getter per property of the module (node:fs: ~100
 * Object.defineProperty calls and closures, node:path 19 times over in a scan). The code then only
 * ever reads `x.default` (a default import) or `x.name` (named imports). When every use of `x` is
 * such a read, the object is not needed:
 * - only `.default` read: `{default: module}` gives the same value;
 * - only other names read: the module itself gives the same values (each getter returns
 *   module[name]).
 * Anything else keeps __toESM: `x` passed on, enumerated or compared, a computed read, a property
 * written to, both kinds of read, a second declaration or assignment of the name anywhere in the
 * text (a shadowing local counts: the check is on the text, so it only ever says no more often).
 * Returns the text, how many imports were unwrapped and how many kept.
 */
export function unwrapToESM(text) {
  const helper = text.includes(PLAIN_HELPER) ? '__toESM' : MINIFIED_HELPER.exec(text)?.[1]
  if (!helper) return {text, unwrapped: 0, kept: 0}
  const h = escapeRe(helper)
  const assign = new RegExp(`(?<![\\w$.])(${ID}) ?= ?${h}\\((require\\("[^"\\\\]+"\\)|${ID}\\(\\)), ?1\\)`, 'g')
  let kept = 0
  let unwrapped = 0
  const out = text.replace(assign, (whole, name, expr) => {
    const reads = readsOf(text, name, h)
    if (!reads || (reads.includes('default') && !reads.every((p) => p === 'default'))) {
      kept++
      return whole
    }
    unwrapped++
    return `${name}=${reads[0] === 'default' ? `{default:${expr}}` : expr}`
  })
  return {text: out, unwrapped, kept}
}

/**
 * The property names read from `name` across the text, or undefined unless every occurrence is
 * its one declaration (in a `var a, b` list, or `var name = helper(...)`), its one `name = helper(...)`
 * assignment, or a plain read `name.prop` (not assigned to, incremented or deleted).
 */
function readsOf(text, name, helper) {
  const occurrence = new RegExp(`(?<![\\w$.])${escapeRe(name)}(?![\\w$])`, 'g')
  const assignment = new RegExp(`^ ?= ?${helper}\\(`)
  const declBefore = new RegExp(`\\bvar (?:${ID},\\s*)*$`)
  // the list ends with `;` or goes on with a name that has an initialiser (`var a,b,c=f()`)
  const declAfter = new RegExp(`^(?:,\\s*${ID})*(?:;|,\\s*${ID}\\s*=)`)
  const prop = new RegExp(`^\\.(${ID})`)
  const reads = []
  let assignments = 0
  let declarations = 0
  for (const m of text.matchAll(occurrence)) {
    const before = text.slice(Math.max(0, m.index - 2000), m.index)
    const after = text.slice(m.index + name.length, m.index + name.length + 2000)
    // inside a string ("x", as in the minified bundle's __name(f, "x") calls): a name right next
    // to a quote is never a reference
    if (/["']$/.test(before) || /^["']/.test(after)) continue
    if (assignment.test(after)) {
      assignments++
      // `var x = helper(...)`: declared here too
      if (declBefore.test(before)) declarations++
      continue
    }
    if (declBefore.test(before) && declAfter.test(after)) {
      declarations++
      continue
    }
    if (/(?:\+\+|--|\bdelete)\s*$/.test(before)) return undefined
    const p = prop.exec(after)
    if (!p) return undefined
    const rest = after.slice(p[0].length)
    // written to (`x.a = `, `x.a += `, `x.a++`) rather than read
    if (/^\s*(?:[-+*/%&|^]|\*\*|<<|>>>?|&&|\|\||\?\?)?=(?!=)/.test(rest) || /^\s*(?:\+\+|--)/.test(rest)) return undefined
    reads.push(p[1])
  }
  if (assignments !== 1 || declarations !== 1 || reads.length === 0) return undefined
  return reads
}
