#!/usr/bin/env node
/** `npm run bench`: every benchmark in turn; each prints its figures and its target. */
import {spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
for (const script of ['parse.js', 'commands.js', 'live.js']) {
  console.log(`\n== ${script}`)
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, script), ...process.argv.slice(2)], {stdio: 'inherit'})
  if (r.error?.code === 'ENOENT' || r.status !== 0) console.log(`(${script} exited ${r.status})`)
}
