#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
// Runs the CLI from the TypeScript sources (needs the dev dependency tsx).
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
