/**
 * kpx installs a second bin name, kubectl-kpx, so that `kubectl kpx …` runs it (kubectl finds
 * plugins as `kubectl-<name>` on PATH). Proved with the real kubectl and the built binary.
 */
import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtempSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)
const repo = resolve(import.meta.dirname, '..', '..')

describe('kubectl plugin: kubectl kpx', () => {
  let env: NodeJS.ProcessEnv
  before(() => {
    const bin = mkdtempSync(join(tmpdir(), 'kpx-plugin-'))
    symlinkSync(join(repo, 'bin', 'run.js'), join(bin, 'kubectl-kpx'))
    env = {...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1'}
  })

  it('kubectl plugin list finds kubectl-kpx', async () => {
    const {stdout} = await run('kubectl', ['plugin', 'list'], {env}).catch((error) => error)
    expect(stdout).to.contain('kubectl-kpx')
  })

  it('kubectl kpx trace gives the same answer as kpx trace', async () => {
    const args = ['trace', 'svc/ghost', '--nodeport', '30966', '--snapshot', join(repo, 'examples', 'ghost'), '--json']
    const viaKubectl = await run('kubectl', ['kpx', ...args], {env, maxBuffer: 64 << 20})
    const direct = await run(process.execPath, [join(repo, 'bin', 'run.js'), ...args], {env, maxBuffer: 64 << 20})
    expect(JSON.parse(viaKubectl.stdout)).to.deep.equal(JSON.parse(direct.stdout))
  })

  it('reads rules from stdin with --rules -', async () => {
    const child = execFile(process.execPath, [join(repo, 'bin', 'run.js'), 'rules', '--rules', '-', '--json'], {env, maxBuffer: 64 << 20})
    const out = new Promise<string>((ok, fail) => {
      let text = ''
      child.stdout!.on('data', (d) => (text += d))
      child.on('close', (code) => (code === 0 ? ok(text) : fail(new Error(`exit ${code}`))))
    })
    child.stdin!.end('-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A\n-A KUBE-SVC-X -j KUBE-SEP-B\n')
    const result = JSON.parse(await out)
    expect(result.nodes[0].iptables.format).to.equal('fragment')
    expect(result.nodes[0].iptables.tables[0].name).to.equal('nat')
  })
})
