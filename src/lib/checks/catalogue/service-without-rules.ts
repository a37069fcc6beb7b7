import {clusterIpsExpected} from '../expectations.js'
import {hasKubeProxyRules, makeFinding} from '../finding.js'
import type {Check, Finding} from '../types.js'

export const serviceWithoutRules: Check = {
  id: 'service-without-rules',
  summary: 'a Service with a ClusterIP and ready endpoints has no KUBE-SERVICES rule on the node',
  severity: 'error',
  needsCluster: true,
  description:
    'Connections to the cluster IP from this node or its pods are not load-balanced at all: they go ' +
    'to the cluster IP itself and time out. kube-proxy has not written the Service yet or lost it.',
  run(ctx) {
    const cluster = ctx.cluster
    if (!cluster) return []
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      // A node with no kube-proxy rules at all is one no-kube-proxy-rules finding, not one per Service.
      if (!hasKubeProxyRules(view)) continue
      const entries = new Set(view.serviceRules.map((r) => `${r.address} ${r.port} ${r.protocol}`))
      const noEndpoints = new Set(view.noEndpointRules.map((r) => r.servicePort))
      for (const port of cluster.ports.values()) {
        if (noEndpoints.has(port.servicePort)) continue // another check judges that rule
        for (const ip of clusterIpsExpected(port, view.family)) {
          if (entries.has(`${ip} ${port.port} ${port.protocol}`)) continue
          findings.push(
            makeFinding(this, ctx, view, {
              service: port.servicePort,
              message: `${ctx.node.capture.name}: ${port.servicePort} (${ip}:${port.port}/${port.protocol}) has ready endpoints but no rule in nat KUBE-SERVICES`,
              hint: 'check that kube-proxy runs on this node in iptables mode and syncs (its logs, `kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide`)',
            }),
          )
        }
      }
    }
    return findings
  },
}
