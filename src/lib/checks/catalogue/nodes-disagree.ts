import {endpointsKubeProxyUses, expectedFor, placeOf, type ClusterExpectations} from '../expectations.js'
import {makeFinding} from '../finding.js'
import type {RulesView} from '../rules-view.js'
import type {Check, CheckContext, CheckedNode, Finding} from '../types.js'

/**
 * `family servicePort` → sorted endpoint list of its KUBE-SVC chain, and the topology group it
 * belongs to: '' when every node should hold every endpoint, else the endpoint set topology hints
 * give this node (nodes in different zones legitimately differ, so only same-group nodes compare).
 */
type EndpointSets = Map<string, {endpoints: string[]; view: RulesView; chain: string; group: string}>

const setsByNode = new WeakMap<CheckedNode, EndpointSets>()

function endpointSets(node: CheckedNode, cluster: ClusterExpectations | undefined): EndpointSets {
  let sets = setsByNode.get(node)
  if (sets) return sets
  sets = new Map()
  for (const view of node.views) {
    for (const cascade of view.cascades) {
      if (cascade.kind !== 'svc' || !cascade.servicePort) continue
      const endpoints = cascade.jumps.map((j) => j.endpoint ?? j.sepChain).sort()
      const group = topologyGroup(cluster, cascade.servicePort, view.family, node.capture.name)
      sets.set(`${view.family} ${cascade.servicePort}`, {endpoints, view, chain: cascade.chain, group})
    }
  }
  setsByNode.set(node, sets)
  return sets
}

function topologyGroup(cluster: ClusterExpectations | undefined, servicePort: string, family: 4 | 6, node: string): string {
  const port = cluster && expectedFor(cluster, servicePort)
  if (!port?.topologyRequested) return ''
  const scope = {node: placeOf(cluster, node), chain: 'cluster' as const}
  return endpointsKubeProxyUses(port, family, scope).map((e) => e.address).sort().join(',')
}

/** The endpoint set most other nodes of the same topology group have (ties: the first other node's, by name). */
function referenceSet(ctx: CheckContext, key: string, own: string, group: string): {set: string; nodes: string[]} | undefined {
  const byText = new Map<string, string[]>()
  for (const other of ctx.allNodes) {
    const entry = endpointSets(other, ctx.cluster).get(key)
    if (!entry || entry.group !== group) continue
    const text = entry.endpoints.join(',')
    byText.set(text, [...(byText.get(text) ?? []), other.capture.name])
  }
  const ranked = [...byText.entries()].sort((a, b) => b[1].length - a[1].length || a[1][0].localeCompare(b[1][0]))
  if (ranked.length < 2) return undefined
  const ownCount = byText.get(own)?.length ?? 0
  if (ranked[0][0] === own && ownCount > ranked[1][1].length) return undefined // we are the majority
  const other = ranked.find(([text]) => text !== own)
  return other && {set: other[0], nodes: other[1]}
}

export const nodesDisagree: Check = {
  id: 'nodes-disagree',
  summary: 'the same Service port has different endpoints on different nodes',
  severity: 'warning',
  description:
    'Every node\'s KUBE-SVC chain for a Service port should list the same endpoints (it holds all of ' +
    'them; externalTrafficPolicy/internalTrafficPolicy Local chains, KUBE-SVL and KUBE-XLB, differ by ' +
    'design and are not compared, nor are nodes that topology-aware routing gives different endpoints). A node that differs from the others has a kube-proxy that is behind.',
  run(ctx) {
    if (ctx.allNodes.length < 2) return []
    const findings: Finding[] = []
    for (const [key, {endpoints, view, chain, group}] of endpointSets(ctx.node, ctx.cluster)) {
      const reference = referenceSet(ctx, key, endpoints.join(','), group)
      if (!reference) continue
      const theirs = reference.set === '' ? [] : reference.set.split(',')
      const missing = theirs.filter((e) => !endpoints.includes(e))
      const extra = endpoints.filter((e) => !theirs.includes(e))
      const servicePort = key.slice(key.indexOf(' ') + 1)
      const diff = [missing.length ? `lacks ${missing.join(', ')}` : '', extra.length ? `has extra ${extra.join(', ')}` : '']
      findings.push(
        makeFinding(this, ctx, view, {
          service: servicePort,
          rule: view.cascades.find((c) => c.chain === chain)?.jumps[0]?.rule,
          message: `${ctx.node.capture.name}: ${servicePort} ${chain} ${diff.filter(Boolean).join(' and ')} compared with ${reference.nodes.join(', ')}`,
          hint: 'the node whose set differs from the API (see stale-endpoint/missing-endpoint) runs a kube-proxy that is behind: check its logs and restart it',
        }),
      )
    }
    return findings
  },
}
