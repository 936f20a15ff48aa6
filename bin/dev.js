#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
// Runs the CLI from the TypeScript sources (needs the dev dependency tsx).
import {rmSync} from 'node:fs'

import {execute} from '@oclif/core'

// oclif always trusts oclif.manifest.json, which the build writes (scripts/oclif-manifest.mjs) from
// dist/: from the sources it would hide commands added since the last build. `npm run build`
// writes it again.
rmSync(new URL('../oclif.manifest.json', import.meta.url), {force: true})

await execute({development: true, dir: import.meta.url})
