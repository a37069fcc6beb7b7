/**
 * One node failing never sinks the others: the built kpx against the ghost lab with k8s-2's exec
 * hanging or failing must still report k8s-1, say what happened to k8s-2 on stderr, and exit 6.
 */
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import type {Scenario} from '../helpers/fake-apiserver.js'
import {requireRoot} from '../helpers/netns.js'
import {type GhostLab, startGhostLab} from './helpers/ghost-lab.js'
import {explainRun, requireBuild, runKpx} from './helpers/kpx-process.js'

const PREFIX = 'kpxI-'
const PARTIAL = 6
const CLUSTER = 3

/** `error`: what the node's failure says; on stderr it is prefixed by the node's name. */
const faults: {name: string; faults: Scenario['faults']; error: RegExp}[] = [
  {name: 'hangs', faults: {execHang: ['k8s-2']}, error: /no answer within 2000 ms/},
  {name: 'fails', faults: {execFail: ['k8s-2']}, error: /no iptables-save variant could run \(iptables-legacy-save: exit 1/},
]
const onStderr = (error: RegExp) => new RegExp(`k8s-2.*${error.source}`)

for (const fault of faults) {
  describe(`e2e: k8s-2's exec ${fault.name}`, function () {
    this.timeout(120_000)
    let lab: GhostLab | undefined
    let dir: string | undefined

    before(async function () {
      requireRoot(this)
      requireBuild()
      lab = await startGhostLab(PREFIX, (s) => ({...s, faults: fault.faults}))
      dir = await mkdtemp(join(tmpdir(), 'kpxI-partial-'))
    })
    after(async () => {
      await lab?.close()
      if (dir) await rm(dir, {recursive: true, force: true})
    })

    const live = () => ['--kubeconfig', lab!.server.kubeconfigPath, '--node-timeout', '2']

    it('kpx trace reports k8s-1, warns about k8s-2, exits 6', async () => {
      const run = await runKpx(['trace', 'svc/ghost', '--nodeport', '30966', ...live(), '--json'])
      expect(run.code, explainRun(run)).to.equal(PARTIAL)
      const result = JSON.parse(run.stdout) as {node: string; outcomes: unknown[]}
      expect(result.node).to.equal('k8s-1')
      expect(result.outcomes).to.have.length(2)
      expect(run.stderr).to.match(onStderr(fault.error))
      expect(run.stderr).to.match(/partial result: 1 of 2 nodes could not be read/)
      expect(run.stderr).to.not.match(/\n\s+at /)
    })

    it('kpx check --all-nodes checks k8s-1 and exits 6', async () => {
      const run = await runKpx(['check', '--all-nodes', ...live(), '--json'])
      expect(run.code, explainRun(run)).to.equal(PARTIAL)
      const report = JSON.parse(run.stdout) as {nodes: {name: string}[]}
      expect(report.nodes.map((n) => n.name)).to.deep.equal(['k8s-1'])
    })

    it('kpx dump records the failure in k8s-2/meta.json and still writes k8s-1', async () => {
      const out = join(dir!, 'snap')
      const run = await runKpx(['dump', '--output', out, '--all-nodes', ...live(), '--json'])
      expect(run.code, explainRun(run)).to.equal(PARTIAL)
      const result = JSON.parse(run.stdout) as {nodes: {name: string; rules: number; error?: string}[]}
      expect(result.nodes.find((n) => n.name === 'k8s-1')?.rules).to.be.greaterThan(50)
      expect(result.nodes.find((n) => n.name === 'k8s-2')?.error).to.match(fault.error)
      const meta = JSON.parse(await readFile(join(out, 'nodes', 'k8s-2', 'meta.json'), 'utf8')) as {error?: string; errorCode?: string}
      expect(meta.error).to.match(fault.error)
      expect(await readFile(join(out, 'nodes', 'k8s-1', 'iptables-save.txt'), 'utf8')).to.include('-A KUBE-SERVICES')
    })

    it('only the failing node asked for: one-line error, exit 3', async () => {
      const run = await runKpx(['trace', 'svc/ghost', '--nodeport', '30966', '--node', 'k8s-2', ...live()])
      expect(run.code, explainRun(run)).to.equal(CLUSTER)
      expect(run.stderr.split('\n')[0]).to.match(/^kpx: /).and.to.match(onStderr(fault.error))
      expect(run.stdout).to.equal('')
    })
  })
}
