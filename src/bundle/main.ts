/**
 * Entry point of the bundled build (scripts/bundle.js → dist/bundled/), which bin/run.js prefers:
 * kpx and oclif in a few files start ~0.1–0.2 s faster than ~230 separate modules.
 *
 * It runs oclif exactly as `execute({dir})` does, except that commands come from COMMANDS
 * (oclif's "explicit" discovery) instead of a directory: the per-file directory is what the
 * bundle replaces. Help, flags and ids still come from oclif.manifest.json.
 */
import type {Interfaces} from '@oclif/core'
import {execute} from '@oclif/core/execute'
import {readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

/** Runs the CLI of the package at `root` (the directory holding package.json) on process.argv. */
export async function main(root: string): Promise<unknown> {
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Interfaces.PJSON
  // The sibling commands.js of this file, so the bundle's and tsc's copies each use their own.
  const target = './' + relative(root, fileURLToPath(new URL('commands.js', import.meta.url))).split('\\').join('/')
  pjson.oclif = {...pjson.oclif, commands: {strategy: 'explicit', target, identifier: 'COMMANDS'}}
  return execute({loadOptions: {root, pjson}})
}
