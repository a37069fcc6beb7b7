/**
 * The debug-pod transport end to end: the built kpx creates a privileged pod pinned to the node
 * through the fake API server, reads the node's rules through it, and deletes it — afterwards,
 * and when it is interrupted with SIGINT while waiting for the pod. Zero kpx pods may remain.
 */
import type {ChildProcess} from 'node:child_process'

import {expect} from 'chai'

import {requireRoot} from '../helpers/netns.js'
import {type GhostLab, startGhostLab} from './helpers/ghost-lab.js'
import {explainRun, requireBuild, runKpx} from './helpers/kpx-process.js'
import {expectMatchesSchema} from '../helpers/schema.js'

const PREFIX = 'kpxI-'

interface PodJson {
  metadata: {name: string; namespace: string; labels?: Record<string, string>}
  spec: {
    nodeName?: string
    hostNetwork?: boolean
    hostPID?: boolean
    activeDeadlineSeconds?: number
    tolerations?: {operator?: string}[]
    containers: {securityContext?: {privileged?: boolean}; volumeMounts?: {mountPath: string; readOnly?: boolean}[]}[]
    volumes?: {hostPath?: {path: string}}[]
  }
}

const kpxPods = (lab: GhostLab) => (lab.server.pods() as PodJson[]).filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kpx')

/** Records every kpx pod that exists at any poll while `body` runs (the server is in-process). */
async function watchPods<T>(lab: GhostLab, body: () => Promise<T>): Promise<{result: T; seen: Map<string, PodJson>}> {
  const seen = new Map<string, PodJson>()
  const timer = setInterval(() => {
    for (const pod of kpxPods(lab)) seen.set(pod.metadata.name, pod)
  }, 5)
  try {
    return {result: await body(), seen}
  } finally {
    clearInterval(timer)
  }
}

const waitFor = async (what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const giveUp = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('e2e: --transport debug-pod', function () {
  this.timeout(120_000)
  let lab: GhostLab | undefined

  before(async function () {
    requireRoot(this)
    requireBuild()
    lab = await startGhostLab(PREFIX)
  })
  after(async () => lab?.close())

  it('creates a pod with the safe spec on each node, reads the rules through it, and deletes it', async () => {
    const {result: run, seen} = await watchPods(lab!, () =>
      runKpx(['trace', 'svc/ghost', '--nodeport', '30966', '--transport', 'debug-pod', '--kubeconfig', lab!.server.kubeconfigPath, '--json']),
    )
    expect(run.code, explainRun(run)).to.equal(0)
    const traces = JSON.parse(run.stdout) as {node: string; outcomes: {endpoint?: string}[]}[]
    expect(traces.map((t) => [t.node, t.outcomes.length])).to.deep.equal([['k8s-1', 2], ['k8s-2', 2]])
    const pods = [...seen.values()]
    expect(pods.map((p) => p.spec.nodeName).sort()).to.include.members(['k8s-1', 'k8s-2'])
    for (const pod of pods) {
      expect(pod.metadata.namespace).to.equal('kube-system')
      expect(pod.metadata.labels).to.include({'app.kubernetes.io/managed-by': 'kpx', 'kpx.dev/role': 'node-debug'})
      expect(pod.metadata.labels?.['kpx.dev/session']).to.match(/^[0-9a-f]{8}$/)
      expect(pod.spec).to.include({hostNetwork: true, hostPID: true})
      expect(pod.spec.activeDeadlineSeconds).to.be.a('number').within(1, 3600)
      expect(pod.spec.tolerations).to.deep.include({operator: 'Exists'})
      expect(pod.spec.containers[0].securityContext?.privileged).to.equal(true)
      expect(pod.spec.containers[0].volumeMounts).to.deep.include({name: 'host-root', mountPath: '/host', readOnly: true})
      expect(pod.spec.volumes?.[0]?.hostPath?.path).to.equal('/')
    }
    expect(kpxPods(lab!)).to.deep.equal([])
    const deletes = lab!.server.requests.filter((r) => r.method === 'DELETE' && /\/pods\/kpx-debug-/.test(r.path))
    expect(deletes.length).to.be.at.least(2)
  })
})

describe('e2e: SIGINT while a debug pod is starting', function () {
  this.timeout(120_000)
  let lab: GhostLab | undefined

  before(async function () {
    requireRoot(this)
    requireBuild()
    // Pods stay Pending: kpx is stuck waiting for them when the signal arrives.
    lab = await startGhostLab(PREFIX, (s) => ({...s, faults: {podsNeverRun: true}}))
  })
  after(async () => lab?.close())

  it('deletes every pod it created and dies of the signal', async () => {
    let child: ChildProcess | undefined
    const running = runKpx(['check', '--all-nodes', '--transport', 'debug-pod', '--kubeconfig', lab!.server.kubeconfigPath], {onSpawn: (c) => (child = c)})
    await waitFor('both debug pods', () => kpxPods(lab!).length === 2)
    child!.kill('SIGINT')
    const run = await running
    expect(run.signal ?? run.code, explainRun(run)).to.be.oneOf(['SIGINT', 130])
    expect(kpxPods(lab!)).to.deep.equal([])
    expect(run.stdout).to.equal('')
  })

  it('kpx cleanup removes leftovers by label (as after a SIGKILL)', async () => {
    let child: ChildProcess | undefined
    const running = runKpx(['check', '--all-nodes', '--transport', 'debug-pod', '--kubeconfig', lab!.server.kubeconfigPath], {onSpawn: (c) => (child = c)})
    await waitFor('both debug pods', () => kpxPods(lab!).length === 2)
    child!.kill('SIGKILL')
    await running
    expect(kpxPods(lab!)).to.have.length(2)
    const cleanup = await runKpx(['cleanup', '--kubeconfig', lab!.server.kubeconfigPath, '--json'])
    expect(cleanup.code, explainRun(cleanup)).to.equal(0)
    expectMatchesSchema('cleanup', JSON.parse(cleanup.stdout))
    expect((JSON.parse(cleanup.stdout) as {deleted: string[]}).deleted).to.have.length(2)
    expect(kpxPods(lab!)).to.deep.equal([])
    const ghostPods = (lab!.server.pods() as PodJson[]).filter((p) => p.metadata.name.startsWith('ghost-'))
    expect(ghostPods, 'cleanup touched only kpx pods').to.have.length(2)
  })
})
