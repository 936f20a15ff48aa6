// Preloaded (node --import) into each CLI run of the hostile suite: records the process's peak
// resident set size at exit, so the suite can bound memory without strace or /usr/bin/time.
import {writeFileSync} from 'node:fs'

const out = process.env.MODELSEAL_RSS_FILE
if (out) {
  process.on('exit', () => {
    try {
      writeFileSync(out, String(process.resourceUsage().maxRSS))
    } catch {
      // the suite reports a missing figure
    }
  })
}
