/**
 * The 10k-Service dump (bench/generate-dump.js) with a cluster.json that matches it: the whole
 * catalogue must stay far under the 2 s end-to-end budget, say nothing wrong about a healthy
 * big node, and report its size (rule-count).
 */
import {expect} from 'chai'
import {performance} from 'node:perf_hooks'
// @ts-expect-error plain ESM JavaScript without type declarations
import {generateKubeProxyDump} from '../../../bench/generate-dump.js'
import {runChecks} from '../../../src/lib/checks/index.js'
import {buildRulesView} from '../../../src/lib/checks/rules-view.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import type {IptablesDump} from '../../../src/lib/parse/types.js'
import type {ClusterObjects} from '../../../src/lib/snapshot/types.js'
import {findingCounts, snapshotOf} from './helpers.js'

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1000
}

/** Services and EndpointSlices that say exactly what the generated rules do. */
function clusterMatching(dump: IptablesDump): ClusterObjects {
  const view = buildRulesView(dump)
  const cascades = new Map(view.cascades.map((c) => [c.chain, c]))
  const cluster: ClusterObjects = {nodes: [], services: [], endpointSlices: [], pods: [], configMaps: []}
  for (const entry of view.serviceRules) {
    if (!entry.servicePort || !entry.address || entry.target.startsWith('KUBE-EXT-')) continue
    const [key, portName] = entry.servicePort.split(':')
    const [namespace, name] = key.split('/')
    const cascade = cascades.get(entry.target)
    cluster.services.push({metadata: {name, namespace}, spec: {clusterIP: entry.address, ports: [{name: portName, port: entry.port ?? 0, protocol: 'TCP'}]}})
    const endpoints = (cascade?.jumps ?? []).map((j) => j.endpoint as string)
    cluster.endpointSlices.push({
      metadata: {name: `${name}-x`, namespace, labels: {'kubernetes.io/service-name': name}},
      addressType: 'IPv4',
      ports: [{name: portName, port: Number(endpoints[0]?.split(':')[1] ?? 0), protocol: 'TCP'}],
      endpoints: endpoints.map((e) => ({addresses: [e.split(':')[0]], conditions: {ready: true}})),
    })
  }
  for (const {servicePort} of view.noEndpointRules) {
    const [key, portName] = servicePort.split(':')
    const [namespace, name] = key.split('/')
    cluster.services.push({metadata: {name, namespace}, spec: {clusterIP: '172.31.255.1', ports: [{name: portName, port: 80, protocol: 'TCP'}]}})
  }
  return cluster
}

describe('checks at scale: 10k Services × 10 endpoints', function () {
  this.timeout(120_000)
  let text: string
  let dump: IptablesDump
  let parseCpuMs: number

  before(() => {
    text = generateKubeProxyDump({services: 10_000, endpointsPerService: 10, seed: 1})
    const cpu = process.cpuUsage()
    dump = parseRules(text)
    parseCpuMs = cpuMs(cpu)
  })

  // Wall-clock budgets flake on a shared 2-core machine; CPU time relative to parsing the same
  // dump does not (measured: ~0.6-0.9× parse). The bound catches super-linear regressions, which
  // cost 100× at this size; `npm run bench` reports the absolute end-to-end figure.
  it('costs no more CPU than twice parsing the dump, and finds only the size', () => {
    const cluster = clusterMatching(dump)
    const snapshot = snapshotOf([{name: 'big', text}], cluster)
    const cpu = process.cpuUsage()
    const started = performance.now()
    const report = runChecks(snapshot, {parse: () => dump})
    const elapsed = performance.now() - started
    const checkCpuMs = cpuMs(cpu)
    console.log(`      runChecks over ${report.nodes[0].rules} rules, ${cluster.services.length} Services: ${elapsed.toFixed(0)} ms wall, ${checkCpuMs.toFixed(0)} ms CPU (parse: ${parseCpuMs.toFixed(0)} ms CPU)`)
    expect(findingCounts(report), report.findings.slice(0, 5).map((f) => f.message).join('\n')).to.deep.equal({'rule-count': 1})
    expect(report.findings[0].message).to.match(/\d{3},\d{3} rules for 10,\d{3} Service ports/)
    expect(checkCpuMs).to.be.below(2 * parseCpuMs)
  })
})
