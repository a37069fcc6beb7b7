import {expectedFor, isAcceptableEndpoint, type ClusterExpectations, type ExpectedServicePort} from '../expectations.js'
import {makeFinding} from '../finding.js'
import type {Check, Finding} from '../types.js'

/** Why an address is not acceptable, in the words an on-call engineer needs. */
function whyStale(port: ExpectedServicePort, address: string, cluster: ClusterExpectations): string {
  const listed = port.byAddress.get(address)
  if (listed) return `is listed but not ready${listed.pod ? ` (pod ${listed.pod})` : ''}`
  const ip = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.slice(0, address.lastIndexOf(':'))
  const pod = cluster.podsByIp.get(ip)
  return pod
    ? `is not in its EndpointSlices (the IP now belongs to pod ${pod})`
    : 'is not in its EndpointSlices and no pod has that IP (the pod is gone or moved)'
}

export const staleEndpoint: Check = {
  id: 'stale-endpoint',
  summary: 'a rule DNATs to an address the EndpointSlices do not list as ready or serving',
  severity: 'error',
  needsCluster: true,
  description:
    'kube-proxy sends a share of the Service\'s new connections to an endpoint that the API no longer ' +
    'lists as ready (nor serving, for terminating fallback): those connections fail or reach the wrong pod.',
  run(ctx) {
    const cluster = ctx.cluster
    if (!cluster) return []
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      const reported = new Set<string>() // a SEP shared by KUBE-SVC and KUBE-SVL is one finding
      for (const cascade of view.cascades) {
        const port = expectedFor(cluster, cascade.servicePort)
        if (!port) continue
        for (const jump of cascade.jumps) {
          const address = jump.endpoint
          if (!address || isAcceptableEndpoint(port, address) || reported.has(`${port.servicePort} ${address}`)) continue
          reported.add(`${port.servicePort} ${address}`)
          findings.push(
            makeFinding(this, ctx, view, {
              service: port.servicePort,
              endpoint: address,
              rule: view.endpointChains.get(jump.sepChain)?.dnatRule ?? jump.rule,
              message: `${ctx.node.capture.name}: ${port.servicePort} sends traffic to ${address} (${jump.sepChain}), which ${whyStale(port, address, cluster)}`,
              hint: 'kube-proxy on this node is behind the API: check its logs and sync (restart the kube-proxy pod); if the endpoint should exist, check the pod\'s readiness',
            }),
          )
        }
      }
    }
    return findings
  },
}
