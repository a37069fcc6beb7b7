import {makeFinding} from '../finding.js'
import {endpointOfJump, type RulesView} from '../rules-view.js'
import type {Check, CheckContext, CheckedNode, Finding} from '../types.js'

/** `family servicePort` → sorted endpoint list of its KUBE-SVC chain (all endpoints, every node alike). */
type EndpointSets = Map<string, {endpoints: string[]; view: RulesView; chain: string}>

const setsByNode = new WeakMap<CheckedNode, EndpointSets>()

function endpointSets(node: CheckedNode): EndpointSets {
  let sets = setsByNode.get(node)
  if (sets) return sets
  sets = new Map()
  for (const view of node.views) {
    for (const cascade of view.cascades) {
      if (cascade.kind !== 'svc' || !cascade.servicePort) continue
      const endpoints = cascade.jumps.map((j) => endpointOfJump(view, j) ?? j.sepChain).sort()
      sets.set(`${view.family} ${cascade.servicePort}`, {endpoints, view, chain: cascade.chain})
    }
  }
  setsByNode.set(node, sets)
  return sets
}

/** The endpoint set most other nodes have (ties: the first other node's, by name). */
function referenceSet(ctx: CheckContext, key: string, own: string): {set: string; nodes: string[]} | undefined {
  const byText = new Map<string, string[]>()
  for (const other of ctx.allNodes) {
    const entry = endpointSets(other).get(key)
    if (!entry) continue
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
    'design and are not compared). A node that differs from the others has a kube-proxy that is behind.',
  run(ctx) {
    if (ctx.allNodes.length < 2) return []
    const findings: Finding[] = []
    for (const [key, {endpoints, view, chain}] of endpointSets(ctx.node)) {
      const reference = referenceSet(ctx, key, endpoints.join(','))
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
