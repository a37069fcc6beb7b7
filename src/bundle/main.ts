/**
 * Entry point of the bundled build (scripts/bundle.js → dist/bundled/), which bin/run.js prefers:
 * kpx and oclif in a few files start ~0.1–0.2 s faster than ~230 separate modules.
 *
 * It runs oclif exactly as `execute({dir})` does, except that commands come from COMMANDS
 * (oclif's "explicit" discovery) instead of a directory: the per-file directory is what the
 * bundle replaces. Help, flags and ids still come from oclif.manifest.json.
 */
import type {Interfaces} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {startScanThread} from '../lib/snapshot/cluster-thread.js'

/** Runs the CLI of the package at `root` (the directory holding package.json) on process.argv. */
export async function main(root: string): Promise<unknown> {
  // `kpx trace --snapshot` scans cluster.json on a worker thread: the thread starts up (~0.1 s)
  // while oclif loads, instead of after. Only a head start: readSnapshot works without it.
  if (tracesSnapshot(process.argv.slice(2))) startScanThread()
  // (oclif is CommonJS: in the bundle, its exports are the default export of the chunk.)
  const oclif = (await import('@oclif/core/execute')) as typeof import('@oclif/core/execute') & {default?: typeof import('@oclif/core/execute')}
  const execute = oclif.default?.execute ?? oclif.execute
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Interfaces.PJSON
  // The sibling commands.js of this file, so the bundle's and tsc's copies each use their own.
  const target = './' + relative(root, fileURLToPath(new URL('commands.js', import.meta.url))).split('\\').join('/')
  pjson.oclif = {...pjson.oclif, commands: {strategy: 'explicit', target, identifier: 'COMMANDS'}}
  return execute({loadOptions: {root, pjson}})
}

/** `kpx trace … --snapshot DIR`, as far as can be told before oclif parses the arguments. */
export function tracesSnapshot(argv: string[]): boolean {
  return argv[0] === 'trace' && argv.some((arg) => arg === '--snapshot' || arg.startsWith('--snapshot='))
}
