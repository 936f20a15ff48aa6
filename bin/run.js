#!/usr/bin/env node
// `node bin/run.js …` runs the CLI exactly as the installed `modelseal` command does: the
// launcher is bin/run.cjs (package.json "bin"), CommonJS because Node starts a CommonJS file
// faster than an ES module. This file stays for scripts and docs that name it.
import launcher from './run.cjs'

launcher.launch()
