#!/usr/bin/env node
/**
 * `npm run bench:scan`: the graph part (bench/scan-graph.mjs: 50k-node model, 1 GiB-weights model)
 * and the weight part (bench/scan-weights.mjs: 1 GiB safetensors vs openssl) when present.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const {runGraphBench} = await import(pathToFileURL(path.join(here, 'scan-graph.mjs')).href)
await runGraphBench()
const weights = path.join(here, 'scan-weights.mjs')
if (existsSync(weights)) {
  const mod = await import(pathToFileURL(weights).href)
  if (typeof mod.runWeightsBench === 'function') await mod.runWeightsBench()
}
