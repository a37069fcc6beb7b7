/**
 * Faults injected into a real kernel (issue 4): load a healthy example into a `kpxG-` network
 * namespace with iptables-restore, break it with real iptables commands (or break cluster.json),
 * read it back with iptables-save, and expect exactly the findings the fault should cause.
 * Needs root; skips loudly without it, and fails under CI (where it must run).
 */
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {readSnapshot} from '../../../src/lib/snapshot/index.js'
import type {ClusterObjects, Snapshot} from '../../../src/lib/snapshot/types.js'
import {checkSnapshot, findingCounts, REPO} from './helpers.js'

const NS = `kpxG-faults-${process.pid}`
const SVC = 'KUBE-SVC-I64SNEMOLCWHJHS3' // default/nginx-service-nodeport in examples/nginx
const COMMENT = 'default/nginx-service-nodeport:'
const isRoot = process.getuid?.() === 0

function inNamespace(argv: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', NS, ...argv], {input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe']})
}

function deleteNamespace(): void {
  try {
    execFileSync('ip', ['netns', 'delete', NS], {stdio: 'ignore'})
  } catch {
    // not there: nothing to clean
  }
}

describe('checks: faults injected into a real kernel', function () {
  this.timeout(60_000)
  let healthy: Snapshot

  before(async function () {
    if (!isRoot) {
      if (process.env.CI) throw new Error('kernel fault-injection tests must run as root in CI')
      console.warn('\n  !!! SKIPPED: checks kernel fault-injection tests need root (ip netns, iptables-restore) !!!\n')
      this.skip()
    }
    healthy = await readSnapshot(join(REPO, 'examples', 'nginx'))
  })

  beforeEach(function () {
    if (!isRoot) this.skip()
    deleteNamespace()
    execFileSync('ip', ['netns', 'add', NS])
    inNamespace(['iptables-restore'], healthy.nodes[0].iptables?.text)
  })

  afterEach(deleteNamespace)
  after(deleteNamespace)

  /** The kernel's rules as iptables-save -c prints them, checked against (an edited) cluster.json. */
  function checkKernel(editCluster?: (cluster: ClusterObjects) => void) {
    const cluster = structuredClone(healthy.cluster) as ClusterObjects
    editCluster?.(cluster)
    const node = healthy.nodes[0]
    const text = inNamespace(['iptables-save', '-c'])
    const snapshot: Snapshot = {...healthy, cluster, nodes: [{...node, parsed: undefined, iptables: {origin: `netns:${NS}`, text}}]}
    return checkSnapshot(snapshot)
  }

  const slice = (c: ClusterObjects) => c.endpointSlices.find((s) => s.metadata.name.startsWith('nginx-service-nodeport'))

  it('the healthy example, saved back by the kernel, has no findings', () => {
    expect(findingCounts(checkKernel())).to.deep.equal({})
  })

  it('a probability skewed with iptables -R', () => {
    inNamespace(['iptables', '-t', 'nat', '-R', SVC, '1', '-m', 'comment', '--comment', COMMENT, '-m', 'statistic', '--mode', 'random', '--probability', '0.5', '-j', 'KUBE-SEP-MMWJ6M2J72TU3J64'])
    const report = checkKernel()
    expect(findingCounts(report)).to.deep.equal({'probability-nonuniform': 1})
    expect(report.findings[0].message).to.include('50.0% / 25.0% / 25.0%')
  })

  it('a SEP jump deleted with iptables -D', () => {
    inNamespace(['iptables', '-t', 'nat', '-D', SVC, '2'])
    const report = checkKernel()
    expect(findingCounts(report)).to.deep.equal({'missing-endpoint': 1, 'probability-nonuniform': 1, 'orphan-chain': 1})
    expect(report.findings.find((f) => f.id === 'missing-endpoint')?.endpoint).to.equal('172.17.0.3:80')
  })

  it('a pod deleted from cluster.json while its SEP stays in the kernel', () => {
    const report = checkKernel((c) => {
      const s = slice(c)
      if (s?.endpoints) s.endpoints = s.endpoints.filter((e) => e.addresses[0] !== '172.17.0.3')
      c.pods = c.pods.filter((p) => p.status?.podIP !== '172.17.0.3')
    })
    expect(findingCounts(report)).to.deep.equal({'stale-endpoint': 1})
    expect(report.findings[0]).to.include({endpoint: '172.17.0.3:80', service: 'default/nginx-service-nodeport'})
  })

  it('a ready endpoint added to cluster.json that the kernel does not have', () => {
    const report = checkKernel((c) => {
      slice(c)?.endpoints?.push({addresses: ['172.17.0.5'], conditions: {ready: true, serving: true, terminating: false}, nodeName: 'hjdevelop'})
    })
    expect(findingCounts(report)).to.deep.equal({'missing-endpoint': 1})
    expect(report.findings[0].endpoint).to.equal('172.17.0.5:80')
  })

  /** New TCP connections from the node to the cluster IP (OUTPUT path); the SYNs die on a veth with nothing behind it. */
  function connectFromNode(count: number): void {
    for (const cmd of ['ip link set lo up', 'ip link add kpxg0 type veth peer name kpxg1', 'ip link set kpxg1 up', 'ip addr add 172.17.0.1/16 dev kpxg0', 'ip link set kpxg0 up', 'ip route add default dev kpxg0']) {
      inNamespace(cmd.split(' '))
    }
    const script = `const net = require('node:net'); for (let i = 0; i < ${count}; i++) { const s = net.connect({host: '10.254.198.92', port: 80}); s.on('error', () => {}); setTimeout(() => s.destroy(), 500) }`
    inNamespace([process.execPath, '-e', script])
  }

  function ruleCounters(index: number): string[] {
    const line = inNamespace(['iptables-save', '-c', '-t', 'nat']).split('\n').filter((l) => l.includes(`-A ${SVC} `))[index - 1]
    return /^\[(\d+):(\d+)\]/.exec(line)?.slice(1, 3) ?? []
  }

  it('real traffic: counters that fit the probabilities, then probabilities edited under them', () => {
    connectFromNode(600)
    const fair = checkKernel()
    expect(findingCounts(fair)).to.deep.equal({})
    const counted = ruleCounters(1)
    expect(Number(counted[0])).to.be.within(120, 280) // ~200 of 600
    // Keep the counters (-c) but change the probability, as a hand edit under load would.
    inNamespace(['iptables', '-t', 'nat', '-R', SVC, '1', '-c', counted[0], counted[1], '-m', 'comment', '--comment', COMMENT, '-m', 'statistic', '--mode', 'random', '--probability', '0.9', '-j', 'KUBE-SEP-MMWJ6M2J72TU3J64'])
    const report = checkKernel()
    expect(findingCounts(report)).to.deep.equal({'counter-skew': 1, 'probability-nonuniform': 1})
    expect(report.findings.find((f) => f.id === 'counter-skew')?.message).to.match(/of 600 connections where the probabilities give 90\.0%\/5\.0%\/5\.0%/)
  })

  it('nat OUTPUT flushed: Services stop working for the node itself', () => {
    inNamespace(['iptables', '-t', 'nat', '-F', 'OUTPUT'])
    expect(findingCounts(checkKernel())).to.deep.equal({'service-portals-jump': 1})
  })
})
