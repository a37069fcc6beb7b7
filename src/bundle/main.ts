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

import {startExpectationsThread} from '../lib/checks/expectations-start.js'
import {startScanThread} from '../lib/snapshot/cluster-thread.js'
import {SNAPSHOT_FILES} from '../lib/snapshot/files.js'
import {prefetchRules, prefetchSnapshot} from '../lib/snapshot/prefetch.js'

/** Runs the CLI of the package at `root` (the directory holding package.json) on process.argv. */
export async function main(root: string): Promise<unknown> {
  // `kpx trace --snapshot DIR` scans cluster.json on a worker thread: the thread starts up
  // (~0.1 s), and DIR's files are read, while oclif loads, instead of after. Only a head start:
  // readSnapshot works the same without it.
  const traced = tracedSnapshot(process.argv.slice(2))
  if (traced) {
    startScanThread()
    prefetchSnapshot(traced.dir, traced.nodes)
  }
  // `kpx check --snapshot DIR` builds its cluster side on a worker thread that reads cluster.json
  // itself: it starts now, and DIR's rules are read meanwhile.
  const checked = checkedSnapshot(process.argv.slice(2))
  if (checked) {
    startExpectationsThread(join(checked.dir, SNAPSHOT_FILES.cluster))
    prefetchRules(checked.dir, [])
  }
  // (oclif is CommonJS: in the bundle, its exports are the default export of the chunk.)
  const oclif = (await import('@oclif/core/execute')) as typeof import('@oclif/core/execute') & {default?: typeof import('@oclif/core/execute')}
  const execute = oclif.default?.execute ?? oclif.execute
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Interfaces.PJSON
  // The sibling commands.js of this file, so the bundle's and tsc's copies each use their own.
  const target = './' + relative(root, fileURLToPath(new URL('commands.js', import.meta.url))).split('\\').join('/')
  pjson.oclif = {...pjson.oclif, commands: {strategy: 'explicit', target, identifier: 'COMMANDS'}}
  return execute({loadOptions: {root, pjson}})
}

/**
 * The snapshot directory and nodes of `kpx trace … --snapshot DIR [--node NAME…]`, as far as can
 * be told before oclif parses the arguments (a guess wrong either way costs a wasted read).
 */
export function tracedSnapshot(argv: string[]): {dir: string; nodes: string[]} | undefined {
  if (argv[0] !== 'trace') return undefined
  const dir = flagValues(argv, '--snapshot').at(-1)
  return dir === undefined ? undefined : {dir, nodes: flagValues(argv, '--node')}
}

/** The snapshot directory of `kpx check … --snapshot DIR` (check reads every node's rules, --node or not). */
export function checkedSnapshot(argv: string[]): {dir: string} | undefined {
  if (argv[0] !== 'check') return undefined
  const dir = flagValues(argv, '--snapshot').at(-1)
  return dir === undefined ? undefined : {dir}
}

function flagValues(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, k) => (arg === flag && k + 1 < argv.length ? [argv[k + 1]] : arg.startsWith(flag + '=') ? [arg.slice(flag.length + 1)] : []))
}
