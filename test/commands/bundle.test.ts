import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {COMMAND_LOADERS, COMMANDS} from '../../src/bundle/commands.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = `${ROOT}bin/run.js`
// What bin/run.js did before the bundle, and still does when there is none: oclif on dist/commands.
// (Under -e, process.argv has no script path: run() puts a placeholder where oclif expects one.)
const UNBUNDLED = `import {execute} from '@oclif/core'; await execute({dir: ${JSON.stringify(BIN)}})`

interface Outcome {
  stdout: string
  stderr: string
  code: number
}

async function run(argv: string[], bundled: boolean): Promise<Outcome> {
  const node = bundled ? [BIN, ...argv] : ['--input-type=module', '-e', UNBUNDLED, '--', 'kpx', ...argv]
  const env = {...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, DEBUG: undefined}
  try {
    const {stdout, stderr} = await promisify(execFile)(process.execPath, node, {cwd: ROOT, env, maxBuffer: 64 << 20})
    return {stdout, stderr, code: 0}
  } catch (error) {
    const e = error as {stdout: string; stderr: string; code: number}
    return {stdout: e.stdout, stderr: e.stderr, code: e.code}
  }
}

// Help, every output form, usage errors, input errors and exit codes: the bundled build must be
// indistinguishable from oclif loading dist/commands one file at a time.
const CASES: string[][] = [
  ['--version'],
  ['--help'],
  ...Object.keys(COMMANDS).map((id) => [id, '--help']),
  ['trace', 'svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost', '--json'],
  ['trace', 'svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost', '--verbose'],
  ['trace', '10.254.198.92:80', '--src', '172.17.0.9', '--snapshot', 'examples/nginx'],
  ['check', '--snapshot', 'examples/stale'],
  ['check', '--snapshot', 'examples/stale', '--json'],
  ['check', '--snapshot', 'examples/modern', '--output', 'junit'],
  ['check', '--list'],
  ['rules', '--snapshot', 'examples/ghost'],
  ['rules', '--snapshot', 'examples/nginx', '--json'],
  ['rules', '--snapshot', 'examples/ghost', '--chain', 'KUBE-NOPE'],
  ['services', '--snapshot', 'examples/modern'],
  ['rbac'],
  ['trace', 'svc/ghost', '--proto', 'icmp', '--snapshot', 'examples/ghost'],
  ['trace', 'not a target', '--snapshot', 'examples/ghost', '--json'],
  ['trace', 'svc/ghost', '--snapshot', 'no/such/dir'],
  ['nosuchcommand'],
]

describe('bundled build (dist/bundled, bin/run.js)', function () {
  this.timeout(120_000)

  before(function () {
    if (!existsSync(`${ROOT}dist/bundled/main.js`)) this.skip() // esbuild absent: nothing to compare
  })

  it('COMMANDS holds exactly the commands of the manifest, under the same ids', () => {
    const manifest = JSON.parse(readFileSync(`${ROOT}oclif.manifest.json`, 'utf8')) as {commands: Record<string, unknown>}
    const files = readdirSync(`${ROOT}src/commands`).map((f) => f.replace(/\.ts$/, ''))
    expect(Object.keys(COMMANDS).sort()).to.deep.equal(Object.keys(manifest.commands).sort())
    expect(Object.keys(COMMANDS).sort()).to.deep.equal(files.sort())
  })

  it('each id loads the command class of its own file', async () => {
    for (const [id, load] of Object.entries(COMMAND_LOADERS)) {
      const {default: expected} = (await import(`../../src/commands/${id}.js`)) as {default: unknown}
      expect((await load()).default, id).to.equal(expected)
    }
  })

  for (const argv of CASES) {
    it(`kpx ${argv.join(' ')}: same stdout, stderr and exit code`, async () => {
      const [bundled, unbundled] = await Promise.all([run(argv, true), run(argv, false)])
      expect(bundled).to.deep.equal(unbundled)
    })
  }

  it('loads neither the Kubernetes client nor oclif from node_modules for an offline command', async () => {
    // Module.prototype.load runs once per CommonJS file actually read (a bare resolve is not one).
    const hook = `const M = require('node:module'); const l = M.prototype.load; M.prototype.load = function (f) { if (/node_modules/.test(f)) process.stderr.write('LOADED ' + f + '\\n'); return l.call(this, f) }`
    const {stderr} = await promisify(execFile)(process.execPath, ['-e', `${hook}; process.argv.splice(1, 0, ${JSON.stringify(BIN)}); import(${JSON.stringify(BIN)})`, '--', 'trace', 'svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost', '--json'], {cwd: ROOT})
    expect(stderr).not.to.contain('LOADED')
  })
})
