import type {ScanReport} from '../types.js'

/** The stable JSON report (docs/scan.md): exactly the ScanReport object. */
export function renderJson(report: ScanReport): string {
  return JSON.stringify(report, null, 2)
}
