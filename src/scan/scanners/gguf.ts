/** The GGUF scanner (versions 2 and 3; others are reported as unsupported). */
import {isGguf, readGguf} from '../../formats/gguf/reader.js'
import type {FormatScanner} from '../format-scanner.js'
import {issueToFinding, report, stringFindings, weightFindings} from './reports.js'

export const ggufScanner: FormatScanner = {
  format: 'gguf',
  priority: 10,
  extensions: ['.gguf'],
  detect: (head) => isGguf(head),
  async scan(file, ctx) {
    const g = await readGguf(file)
    if (g.version !== 2 && g.version !== 3) {
      return {path: file, format: 'gguf', status: 'unsupported', findings: g.issues.map(issueToFinding), stats: {version: g.version}}
    }
    return report(file, 'gguf', g.issues, [...stringFindings('MS-GG011', g.metadata), ...(await weightFindings(g.tensors, ctx))], g.stats)
  },
}
