/** The SARIF 2.1.0 log envelope shared by every SARIF report modelseal writes (scan, policy). */
export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json'

/** A one-run SARIF log: `driver` describes the tool and its rules; `run` adds results and the rest, in order. */
export function sarifLog(driver: Record<string, unknown>, run: Record<string, unknown>): Record<string, unknown> {
  return {$schema: SARIF_SCHEMA, version: '2.1.0', runs: [{tool: {driver}, ...run}]}
}
