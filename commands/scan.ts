import {Args, Flags} from '@oclif/core'

import {scanPaths} from '../src/scan/engine.js'
// Each renderer from its own module: the HTML one (and its graph layout library) loads only for
// --format html, not on every scan.
import {renderJson} from '../src/scan/report/json.js'
import {renderSarif} from '../src/scan/report/sarif.js'
import {renderText} from '../src/scan/report/text.js'
import {SEVERITIES, type ScanReport, type Severity} from '../src/scan/types.js'
import {renderOnnxGraph} from '../src/scan/graph/render.js'
import {ModelsealCommand} from './_lib/base-command.js'
import {writeReportFile} from './_lib/write-report.js'
import {ociVerifyFlags, withVerifiedOciPaths} from './_lib/oci.js'

/** Mermaid drawings of the ONNX files whose graph-backdoor findings are above info. */
function explainReport(report: ScanReport): string {
  const out: string[] = []
  for (const file of report.files) {
    if (file.format !== 'onnx' || !file.findings.some((f) => f.category === 'graph-backdoor' && f.severity !== 'info')) continue
    try {
      out.push(
        `\n${file.path}: graph with trigger paths highlighted (Mermaid)\n\n\`\`\`mermaid\n${renderOnnxGraph(file.path, {format: 'mermaid'}).text}\n\`\`\`\n`,
      )
    } catch {
      // the scan report already says why this file could not be read
    }
  }
  return out.join('')
}

export default class Scan extends ModelsealCommand {
  static override summary = 'Scan model files for graph backdoors, unsafe operators, payloads and format attacks'
  static override description =
    `PATH may be files, directories, or oci://REGISTRY/REPOSITORY[:TAG][@DIGEST] references (pulled and verified first: --verify and its flags, see docs/oci.md); files are recognised by content (magic bytes), not only by extension. ONNX graphs get the data-flow backdoor analysis (triggers on raw input that override learned output), custom-op, external-data, structure and metadata rules; weight files get the weight scanners. Exit codes: 0 no finding at or above --fail-on, 1 some finding is, 3 some input could not be scanned (error or unsupported model file, or nothing to scan), 2 usage. The report goes to stdout (or --output); progress and diagnostics to stderr. See docs/scan.md for rules and the JSON/SARIF shapes.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> model.onnx',
    '<%= config.bin %> <%= command.id %> ./models --format sarif --output modelseal.sarif',
    '<%= config.bin %> <%= command.id %> model.onnx --format html --output scan.html',
    '<%= config.bin %> <%= command.id %> model.onnx --baseline upstream.onnx --fail-on medium --json',
    {
      description: 'A Hugging Face snapshot: skip what is not a model file modelseal reads',
      command:
        '<%= config.bin %> <%= command.id %> ./snapshot --exclude "*.json" --exclude "*.md" --exclude "*.msgpack" --exclude "*.h5" --exclude .gitattributes',
    },
  ]
  static override strict = false
  static override args = {path: Args.string({required: true, description: 'Model files or directories to scan (one or more)'})}
  static override flags = {
    format: Flags.string({description: 'Report format', options: ['text', 'json', 'sarif', 'html'], default: 'text'}),
    output: Flags.string({char: 'o', description: 'Write the report to FILE instead of stdout'}),
    'fail-on': Flags.string({description: 'Lowest severity that makes the scan fail (exit 1)', options: [...SEVERITIES], default: 'high'}),
    baseline: Flags.string({description: 'Trusted reference ONNX export to diff against (added/removed/rewired nodes, changed weights)'}),
    'min-severity': Flags.string({description: 'Lowest severity shown in the text report', options: [...SEVERITIES], default: 'info'}),
    exclude: Flags.string({
      multiple: true,
      description: 'Do not scan files matching GLOB (repeatable): a name glob matches at any depth (*.msgpack), a path glob is relative to PATH (onnx/*.onnx)',
    }),
    'no-weights': Flags.boolean({description: 'Skip tensor/weight checks (graph and format rules only)', default: false}),
    explain: Flags.boolean({
      description:
        'After the text report, draw each ONNX file with graph-backdoor findings as a Mermaid graph, trigger paths highlighted (DOT: `inspect --graph dot`)',
      default: false,
    }),
    strict: Flags.boolean({
      description: 'Deploy gate: any pickle import outside the allowlist (PyTorch weights-only, NumPy reconstruction) is high',
      default: false,
    }),
    ...ociVerifyFlags,
  }

  public async run(): Promise<ScanReport> {
    const {argv, flags} = await this.parse(Scan)
    const json = this.jsonEnabled()
    // oci:// paths are scanned after a verified pull into a temporary directory.
    const {report, exitCode} = await withVerifiedOciPaths(argv as string[], flags, (paths) =>
      scanPaths(paths, {
        failOn: flags['fail-on'] as Severity,
        baseline: flags.baseline,
        skipWeights: flags['no-weights'],
        strict: flags.strict,
        exclude: flags.exclude,
        toolVersion: this.config.version,
        progress: !json,
      }),
    )
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
      writeReportFile(flags.output, body)
      const s = report.summary
      process.stderr.write(
        `modelseal: wrote ${format} report to ${flags.output} (${s.files} files, max severity ${s.maxSeverity ?? 'none'}, exit ${exitCode})\n`,
      )
    } else if (!json) {
      process.stdout.write(`${body}\n`)
      if (flags.explain && format === 'text') process.stdout.write(explainReport(report))
    }
    if (report.summary.files === 0) {
      // An empty directory is not "clean": nothing was checked (exit 3, docs/scan.md).
      process.stderr.write(`modelseal: E_NOTHING_TO_SCAN: nothing to scan: no files in ${(argv as string[]).join(', ')}\n`)
    }
    this.setExitCode(report.summary.files === 0 ? 3 : exitCode)
    return report
  }
}

async function renderHtml(report: ScanReport): Promise<string> {
  const {collectGraphViews, renderScanHtml} = await import('../src/scan/report/html.js')
  return renderScanHtml(report, collectGraphViews(report))
}
