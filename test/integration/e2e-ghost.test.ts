/**
 * End to end on the ghost lab (test/integration/helpers/ghost-lab.ts): the built kpx reads a
 * two-node "cluster" whose rules are really loaded in network namespaces, through the fake API
 * server, and must reach the same answers as the offline example it was built from.
 */
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import type {Scenario} from '../helpers/fake-apiserver.js'
import {requireRoot} from '../helpers/netns.js'
import {type GhostLab, startGhostLab} from './helpers/ghost-lab.js'
import {explainRun, type KpxRun, requireBuild, runKpx} from './helpers/kpx-process.js'
import {expectMatchesSchema} from '../helpers/schema.js'

const PREFIX = 'kpxI-'
const OFFLINE = 'examples/ghost'

/**
 * Line numbers differ between the example file and a fresh iptables-save, and `origin` names
 * the source (a path, or live:NODE): compare everything else.
 */
function withoutLines(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutLines(v))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'line' && k !== 'origin').map(([k, v]) => [k, withoutLines(v)]))
  }
  return value
}

function json(run: KpxRun): unknown {
  try {
    return JSON.parse(run.stdout)
  } catch {
    throw new Error(`not JSON: ${explainRun(run)}`)
  }
}

interface Finding {
  id: string
  node?: string
  message?: string
  [key: string]: unknown
}

const findingsOf = (run: KpxRun): Finding[] => (json(run) as {findings: Finding[]}).findings
const checkIdsOf = (run: KpxRun): string[] => findingsOf(run).map((f) => `${f.id}@${f.node ?? '-'}`).sort()

/** The API forgets pod ghost-…-wn7tj (10.44.0.4) and its endpoint; the nodes' rules still DNAT to it. */
const STALE_POD = 'ghost-7d5b9c6f8d-wn7tj'
const STALE_IP = '10.44.0.4'
function deleteGhostPod(scenario: Scenario): Scenario {
  type Obj = {kind: string; metadata: {name: string}; endpoints?: {addresses: string[]}[]}
  const objects = (scenario.objects as Obj[])
    .filter((o) => !(o.kind === 'Pod' && o.metadata.name === STALE_POD))
    .map((o) => (o.kind === 'EndpointSlice' && o.endpoints ? {...o, endpoints: o.endpoints.filter((e) => !e.addresses.includes(STALE_IP))} : o))
  return {...scenario, objects}
}

describe('e2e: kpx against the live ghost lab', function () {
  this.timeout(120_000)
  let lab: GhostLab | undefined

  before(async function () {
    requireRoot(this)
    requireBuild()
    lab = await startGhostLab(PREFIX)
  })
  after(async () => lab?.close())

  const kube = () => ['--kubeconfig', lab!.server.kubeconfigPath]

  it('kpx trace svc/ghost --nodeport 30966 live gives the offline outcomes on both nodes', async () => {
    const [live, offline] = await Promise.all([
      runKpx(['trace', 'svc/ghost', '--nodeport', '30966', ...kube(), '--json']),
      runKpx(['trace', 'svc/ghost', '--nodeport', '30966', '--snapshot', OFFLINE, '--json']),
    ])
    expect(live.code, explainRun(live)).to.equal(0)
    expect(offline.code, explainRun(offline)).to.equal(0)
    const liveResults = json(live) as {node: string; outcomes: {endpoint?: string; probability: number}[]}[]
    expect(liveResults.map((r) => r.node)).to.deep.equal(['k8s-1', 'k8s-2'])
    // Not vacuous: both ghost endpoints, half each, on every node.
    for (const r of liveResults) expect(r.outcomes.map((o) => [o.endpoint, o.probability])).to.deep.include.members([['10.44.0.3:2368', 0.5], ['10.44.0.4:2368', 0.5]])
    expect(withoutLines(liveResults)).to.deep.equal(withoutLines(json(offline)))
  })

  it('the live text tree is the offline one apart from rule line numbers', async () => {
    const [live, offline] = await Promise.all([
      runKpx(['trace', 'svc/ghost', '--nodeport', '30966', '--node', 'k8s-2', ...kube()]),
      runKpx(['trace', 'svc/ghost', '--nodeport', '30966', '--node', 'k8s-2', '--snapshot', OFFLINE]),
    ])
    expect(live.code, explainRun(live)).to.equal(0)
    const strip = (text: string) => text.replace(/\bline \d+|:\d+\b/g, '#')
    expect(strip(live.stdout)).to.equal(strip(offline.stdout))
    expect(live.stdout).to.include('10.44.0.4')
  })

  it('kpx check --all-nodes on the healthy lab finds what the offline check finds (nothing stale)', async () => {
    const [live, offline] = await Promise.all([runKpx(['check', '--all-nodes', ...kube(), '--json']), runKpx(['check', '--snapshot', OFFLINE, '--json'])])
    expect(live.code, explainRun(live)).to.equal(0)
    expect(checkIdsOf(live)).to.deep.equal(checkIdsOf(offline))
    expect(checkIdsOf(live).some((id) => id.startsWith('stale-endpoint'))).to.equal(false)
  })
})

describe('e2e: a pod deleted from the API but not from the rules', function () {
  this.timeout(120_000)
  let lab: GhostLab | undefined
  let dumpDir: string | undefined

  before(async function () {
    requireRoot(this)
    requireBuild()
    lab = await startGhostLab(PREFIX, deleteGhostPod)
    dumpDir = await mkdtemp(join(tmpdir(), 'kpxI-dump-'))
  })
  after(async () => {
    await lab?.close()
    if (dumpDir) await rm(dumpDir, {recursive: true, force: true})
  })

  const kube = () => ['--kubeconfig', lab!.server.kubeconfigPath]
  let liveCheck: KpxRun

  it('kpx check --all-nodes reports the stale endpoint on both nodes and exits 1', async () => {
    liveCheck = await runKpx(['check', '--all-nodes', ...kube(), '--json'])
    expect(liveCheck.code, explainRun(liveCheck)).to.equal(1)
    const stale = findingsOf(liveCheck).filter((f) => f.id === 'stale-endpoint')
    expect(stale.map((f) => f.node).sort()).to.deep.equal(['k8s-1', 'k8s-2'])
    for (const f of stale) expect(JSON.stringify(f)).to.include(STALE_IP)
  })

  it('kpx dump -o DIR writes the snapshot layout with meta.json per node', async () => {
    const dump = await runKpx(['dump', '--output', join(dumpDir!, 'snap'), '--all-nodes', ...kube(), '--json'])
    expect(dump.code, explainRun(dump)).to.equal(0)
    const result = json(dump) as {dir: string; nodes: {name: string; transport: string; rules: number; error?: string}[]}
    expectMatchesSchema('dump', result)
    expect(result.nodes.map((n) => [n.name, n.transport, n.error])).to.deep.equal([['k8s-1', 'kube-proxy-exec', undefined], ['k8s-2', 'kube-proxy-exec', undefined]])
    const exampleRules = (await readFile(`${OFFLINE}/nodes/k8s-1/iptables-save.txt`, 'utf8')).match(/^-A /gm)!.length
    expect(result.nodes[0].rules).to.equal(exampleRules)
    const meta = JSON.parse(await readFile(join(dumpDir!, 'snap', 'nodes', 'k8s-1', 'meta.json'), 'utf8')) as {transport: string; backend: string; kubeProxyVersion: string; commands: {argv: string[]; exitCode: number}[]}
    expect(meta).to.include({transport: 'kube-proxy-exec', backend: 'legacy', kubeProxyVersion: 'v1.20.0'})
    expect(meta.commands.map((c) => `${c.argv.join(' ')}=${c.exitCode}`)).to.include('iptables-legacy-save=0')
    const cluster = JSON.parse(await readFile(join(dumpDir!, 'snap', 'cluster.json'), 'utf8')) as {items: {metadata: {name: string}}[]}
    const names = cluster.items.map((i) => i.metadata.name)
    expect(names).to.include('ghost-7d5b9c6f8d-4kqzx')
    expect(names).to.not.include(STALE_POD)
  })

  it('kpx check --snapshot DIR gives the same findings as the live check', async () => {
    const replay = await runKpx(['check', '--snapshot', join(dumpDir!, 'snap'), '--json'])
    expect(replay.code, explainRun(replay)).to.equal(1)
    expect(withoutLines(findingsOf(replay))).to.deep.equal(withoutLines(findingsOf(liveCheck)))
  })

  it('dump refuses a non-empty directory without --force, and replaces it with --force', async () => {
    const again = await runKpx(['dump', '--output', join(dumpDir!, 'snap'), '--all-nodes', ...kube()])
    expect(again.code, explainRun(again)).to.equal(2)
    expect(again.stderr).to.match(/^kpx: .*not empty/)
    const forced = await runKpx(['dump', '--output', join(dumpDir!, 'snap'), '--all-nodes', '--force', ...kube()])
    expect(forced.code, explainRun(forced)).to.equal(0)
    expect(forced.stdout).to.match(/: 2 nodes, \d+ rules, 0 failed/)
  })
})
