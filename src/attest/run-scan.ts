/**
 * The inline scan used by `attest scan` and by scan requirements with source inline/either:
 * src/scan's engine over the whole model, reporting every finding (the policy, not the scanner
 * threshold, decides what is acceptable). Loaded lazily: policies that only check signatures
 * do not pay for the graph rules.
 */
import type {ScanReport} from '../scan/types.js'

export async function runModelScan(modelPath: string, toolVersion?: string, opts: {weightLanes?: number} = {}): Promise<ScanReport> {
  const {scanPaths} = await import('../scan/engine.js')
  return (await scanPaths([modelPath], {failOn: 'critical', toolVersion, progress: false, weightLanes: opts.weightLanes})).report
}
