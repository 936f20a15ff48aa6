import {writeFileSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {scanPaths} from '../src/scan/engine.js'
// Each renderer from its own module: the HTML one (and its graph layout library) loads only for
// --format html, not on every scan.
import {renderJson} from '../src/scan/report/json.js'
import {renderSarif} from '../src/scan/report/sarif.js'
import {renderText} from '../src/scan/report/text.js'
import {SEVERITIES, type ScanReport, type Severity} from '../src/scan/types.js'
import {ModelsealCommand} from './_lib/base-command.js'

export default class Scan extends ModelsealCommand {
  static override summary = 'Scan model files for graph backdoors, unsafe operators, payloads and format attacks'
  static override description = `PATH may be files or directories; files are recognised by content (magic bytes), not only by extension. ONNX graphs get the data-flow backdoor analysis (triggers on raw input that override learned output), custom-op, external-data, structure and metadata rules; weight files get the weight scanners. Exit codes: 0 no finding at or above --fail-on, 1 some finding is, 3 some input could not be scanned (error or unsupported model file, or nothing to scan), 2 usage. The report goes to stdout (or --output); progress and diagnostics to stderr. See docs/scan.md for rules and the JSON/SARIF shapes.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> model.onnx',
    '<%= config.bin %> <%= command.id %> ./models --format sarif --output modelseal.sarif',
    '<%= config.bin %> <%= command.id %> model.onnx --format html --output scan.html',
    '<%= config.bin %> <%= command.id %> model.onnx --baseline upstream.onnx --fail-on medium --json',
  ]
  static override strict = false
  static override args = {}
  static override flags = {
    format: Flags.string({description: 'Report format', options: ['text', 'json', 'sarif', 'html'], default: 'text'}),
    output: Flags.string({char: 'o', description: 'Write the report to FILE instead of stdout'}),
    'fail-on': Flags.string({description: 'Lowest severity that makes the scan fail (exit 1)', options: [...SEVERITIES], default: 'high'}),
    baseline: Flags.string({description: 'Trusted reference ONNX export to diff against (added/removed/rewired nodes, changed weights)'}),
    'min-severity': Flags.string({description: 'Lowest severity shown in the text report', options: [...SEVERITIES], default: 'info'}),
    'no-weights': Flags.boolean({description: 'Skip tensor/weight checks (graph and format rules only)', default: false}),
  }

  public async run(): Promise<ScanReport> {
    const {argv, flags} = await this.parse(Scan)
    const json = this.jsonEnabled()
    const {report, exitCode} = await scanPaths(argv as string[], {
      failOn: flags['fail-on'] as Severity,
      baseline: flags.baseline,
      skipWeights: flags['no-weights'],
      toolVersion: this.config.version,
      progress: !json,
    })
    const format = json ? 'json' : flags.format
    const color = !flags.output && process.stdout.isTTY === true && !process.env.NO_COLOR
    const body =
      format === 'sarif'
        ? JSON.stringify(renderSarif(report), null, 2)
        : format === 'html'
          ? await renderHtml(report)
        : format === 'json'
          ? renderJson(report)
          : renderText(report, {color, minSeverity: flags['min-severity'] as Severity})
    if (flags.output) {
      writeFileSync(flags.output, `${body}\n`)
      const s = report.summary
      process.stderr.write(`modelseal: wrote ${format} report to ${flags.output} (${s.files} files, max severity ${s.maxSeverity ?? 'none'}, exit ${exitCode})\n`)
    } else if (!json) {
      process.stdout.write(`${body}\n`)
    }
    this.setExitCode(exitCode)
    return report
  }
}

async function renderHtml(report: ScanReport): Promise<string> {
  const {collectGraphViews, renderScanHtml} = await import('../src/scan/report/html.js')
  return renderScanHtml(report, collectGraphViews(report))
}
