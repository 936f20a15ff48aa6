#!/usr/bin/env node
// The OMS conformance suite's client adapter: `modelseal-oms-conformance sign-model|verify-model …`
// (docs/signing.md, "OMS conformance suite").
import {runConformanceAdapter} from '../dist/commands/_lib/oms-conformance.js'

process.exitCode = await runConformanceAdapter(process.argv.slice(2))
