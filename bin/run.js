#!/usr/bin/env node
import {statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

// Prefer the bundled build (scripts/bundle.js): it starts much faster. It is used only when it
// is newer than tsc's output, so a later `tsc` alone never leaves an old bundle running.
const bundled = new URL('../dist/bundled/main.js', import.meta.url)
const compiled = new URL('../dist/bundle/main.js', import.meta.url)
const mtime = (url) => statSync(url, {throwIfNoEntry: false})?.mtimeMs ?? Number.NaN

if (mtime(bundled) >= mtime(compiled)) {
  const {main} = await import(bundled.href)
  await main(fileURLToPath(new URL('..', import.meta.url)))
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
