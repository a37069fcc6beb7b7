import {endpointsKubeProxyUses, expectedFor, placeOf} from '../expectations.js'
import {makeFinding} from '../finding.js'
import type {Check, Finding} from '../types.js'

export const noEndpointsRule: Check = {
  id: 'no-endpoints-rule',
  summary: 'a "has no endpoints" REJECT/DROP rule for a Service the API lists ready endpoints for',
  severity: 'error',
  needsCluster: true,
  description:
    'kube-proxy rejects (or, for "has no local endpoints", drops) connections to a Service that has ' +
    'ready endpoints in the API: kube-proxy is behind, and clients see "connection refused" or time out.',
  run(ctx) {
    const cluster = ctx.cluster
    if (!cluster) return []
    const findings: Finding[] = []
    const node = placeOf(cluster, ctx.node.capture.name)
    for (const view of ctx.node.views) {
      for (const {rule, servicePort, local} of view.noEndpointRules) {
        const port = expectedFor(cluster, servicePort)
        if (!port) continue
        const ready = endpointsKubeProxyUses(port, view.family, {node, chain: local ? 'local' : 'cluster'})
        if (ready.length === 0) continue
        findings.push(
          makeFinding(this, ctx, view, {
            service: servicePort,
            rule,
            message: `${ctx.node.capture.name}: ${rule.target?.name} "${rule.comment}" but the API lists ${ready.length} ${local ? 'local ' : ''}endpoint${ready.length === 1 ? '' : 's'} (${ready.map((e) => e.address).join(', ')})`,
            hint: 'kube-proxy on this node has not seen the endpoints: check its logs and its access to the API server (EndpointSlices watch), then restart it',
          }),
        )
      }
    }
    return findings
  },
}
