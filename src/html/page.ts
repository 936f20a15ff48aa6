/**
 * The shell of every HTML report: one self-contained file (no scripts, fonts, images or network)
 * that works from file:// and as a CI artefact. Its Content-Security-Policy allows nothing but the
 * one stylesheet below, pinned by hash, so even a string that escaped escaping could neither run
 * a script, load a resource nor apply a style attribute.
 */
import {createHash} from 'node:crypto'

import {text} from './escape.js'

const STYLESHEET = `
:root{--fg:#1d232a;--muted:#5b6570;--line:#d7dce1;--bg:#fff;--soft:#f4f6f8;--pass:#1a7f37;--fail:#c62828;--warn:#9a6700;--waived:#5e35b1;--error:#c62828;--info:#57606a;--low:#0969da;--medium:#9a6700;--high:#c62828;--critical:#8e24aa;--hl:#d32f2f}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.sub{color:var(--muted);margin:0 0 16px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}th{background:var(--soft);font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.b-pass,.b-allow,.b-verified,.b-scanned,.b-signed{background:var(--pass)}.b-fail,.b-deny,.b-failed,.b-error,.b-unsigned,.b-changed,.b-missing{background:var(--fail)}
.b-warn,.b-unsupported,.b-skipped{background:var(--warn)}.b-waived{background:var(--waived)}
.b-info{background:var(--info)}.b-low{background:var(--low)}.b-medium{background:var(--medium)}.b-high{background:var(--high)}.b-critical{background:var(--critical)}
.b-read{background:#fff;color:var(--warn);border:1px dashed var(--warn)}
tr.r-fail td,tr.r-error td{background:#fdecea}tr.r-warn td{background:#fff8e1}tr.r-waived td{background:#f3e5f5}
.verdict{font-size:18px;font-weight:700;padding:10px 14px;border-radius:6px;margin:12px 0}
.v-bad{background:#fdecea;color:var(--fail);border:1px solid var(--fail)}.v-good{background:#e8f5e9;color:var(--pass);border:1px solid var(--pass)}.v-incomplete{background:#fff8e1;color:var(--warn);border:1px solid var(--warn)}
.finding{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:8px 0}
.finding .title{font-weight:600}.finding .msg{margin:4px 0}.where{color:var(--muted);font-size:12.5px}
.path{margin:6px 0;padding-left:18px}.path li{margin:1px 0}
.graph{border:1px solid var(--line);border-radius:6px;background:var(--soft);overflow:auto;max-height:720px;margin:8px 0}
.graph svg{display:block}
.g-node rect{fill:#fff;stroke:#8c959f;stroke-width:1}.g-node text{font:11px ui-monospace,Menlo,monospace;fill:var(--fg)}
.g-node.g-hl rect{fill:#ffebee;stroke:var(--hl);stroke-width:2.5}.g-node.g-hl text{font-weight:700}
.g-node.g-io rect{fill:#e3f2fd;stroke:#1565c0}.g-node.g-io.g-hl rect{fill:#ffebee;stroke:var(--hl)}
.g-node.g-collapsed rect{fill:#eceff1;stroke:#90a4ae;stroke-dasharray:4 3}.g-node.g-collapsed text{fill:var(--muted)}
.g-edge{fill:none;stroke:#9aa4ae;stroke-width:1.2}.g-edge.g-hl{stroke:var(--hl);stroke-width:2.6}
.g-arrow{fill:#9aa4ae}.g-arrow-hl{fill:var(--hl)}
.legend{color:var(--muted);font-size:12.5px;margin:4px 0}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}.kv dt{color:var(--muted)}.kv dd{margin:0}
details>summary{cursor:pointer;color:var(--muted)}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`

const STYLE_HASH = createHash('sha256').update(STYLESHEET).digest('base64')

/** default-src 'none' also denies scripts, frames, fonts, images, connections and form targets. */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src data:; base-uri 'none'; form-action 'none'`

export interface PageParts {
  title: string
  /** Already-rendered, already-escaped body HTML from the report writers. */
  body: string
  toolVersion?: string
  generatedAt?: string
}

export function renderPage(p: PageParts): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${text(p.title, 200)}</title>`,
    `<style>${STYLESHEET}</style>`,
    '</head><body>',
    p.body,
    `<footer>modelseal${p.toolVersion ? ` ${text(p.toolVersion)}` : ''}${p.generatedAt ? ` · generated ${text(p.generatedAt)}` : ''} · a self-contained report: no scripts, no network</footer>`,
    '</body></html>',
    '',
  ].join('\n')
}

/** A coloured status badge; the status word is untrusted only in the sense of being data, so the class is mapped, not derived. */
export function badge(status: string): string {
  const known =
    /^(pass|fail|warn|waived|error|allow|deny|verified|read|failed|scanned|unsupported|skipped|signed|unsigned|changed|missing|info|low|medium|high|critical)$/
  const c = known.test(status) ? `badge b-${status}` : 'badge b-info'
  return `<span class="${c}">${text(status)}</span>`
}
