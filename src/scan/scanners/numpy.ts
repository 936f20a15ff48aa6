/** The NumPy .npy scanner. */
import {isNpy, readNpy} from '../../formats/numpy/reader.js'
import type {FormatScanner} from '../format-scanner.js'
import {errorReport, issueToFinding, report, weightFindings} from './reports.js'

export const numpyScanner: FormatScanner = {
  format: 'numpy',
  priority: 10,
  extensions: ['.npy'],
  detect: (head) => isNpy(head),
  async scan(file, ctx) {
    const n = await readNpy(file)
    const bad = n.issues.find((i) => i.id === 'MS-NP001')
    if (bad) return errorReport(file, 'numpy', 'E_NPY_HEADER', bad.message, n.issues.map(issueToFinding))
    return report(file, 'numpy', n.issues, await weightFindings(n.tensors, ctx), n.stats)
  },
}
