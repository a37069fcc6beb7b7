import {endpointsKubeProxyUses, expectedFor, placeOf} from '../expectations.js'
import {makeFinding} from '../finding.js'
import type {Check, Finding} from '../types.js'

export const missingEndpoint: Check = {
  id: 'missing-endpoint',
  summary: 'a ready endpoint in the EndpointSlices is absent from the node\'s rules',
  severity: 'error',
  needsCluster: true,
  description:
    'The API lists an endpoint as ready but the Service\'s chain on this node never sends traffic to it ' +
    '(KUBE-SVC for all endpoints; KUBE-SVL/KUBE-XLB for the node\'s local ones): the pod gets no load ' +
    'from this node and the others get more.',
  run(ctx) {
    const cluster = ctx.cluster
    if (!cluster) return []
    const findings: Finding[] = []
    const node = placeOf(cluster, ctx.node.capture.name)
    for (const view of ctx.node.views) {
      for (const cascade of view.cascades) {
        const port = expectedFor(cluster, cascade.servicePort)
        if (!port) continue
        const localOnly = cascade.kind === 'svl' || cascade.kind === 'xlb'
        const present = new Set(cascade.jumps.map((j) => j.endpoint))
        for (const endpoint of endpointsKubeProxyUses(port, view.family, {node, chain: localOnly ? 'local' : 'cluster'})) {
          if (present.has(endpoint.address)) continue
          findings.push(
            makeFinding(this, ctx, view, {
              service: port.servicePort,
              endpoint: endpoint.address,
              rule: cascade.jumps[0]?.rule,
              message: `${ctx.node.capture.name}: ${port.servicePort} endpoint ${endpoint.address}${endpoint.pod ? ` (pod ${endpoint.pod})` : ''} is ${endpoint.ready ? 'ready' : 'serving'} in the API but missing from ${cascade.chain}`,
              hint: 'kube-proxy on this node has not synced since the endpoint became ready: check its logs for sync errors and restart it if it is stuck',
            }),
          )
        }
      }
    }
    return findings
  },
}
