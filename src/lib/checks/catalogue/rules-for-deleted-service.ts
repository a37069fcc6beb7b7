import type {Rule} from '../../parse/types.js'
import {makeFinding} from '../finding.js'
import type {RulesView} from '../rules-view.js'
import type {Check, Finding} from '../types.js'

/**
 * Every Service port the node's rules name that `exists` denies, with the first rule that names
 * it and a count of its chains. The chains' 10^4 distinct names are asked first: the 10^5 chains
 * are walked only when one of them is unknown.
 */
function unknownServicePorts(view: RulesView, exists: (servicePort: string) => boolean): Map<string, {rule?: Rule; chains: number}> {
  const named = new Map<string, {rule?: Rule; chains: number}>()
  const note = (servicePort: string, rule: () => Rule | undefined, chains: number) => {
    const entry = named.get(servicePort) ?? {rule: rule(), chains: 0}
    entry.chains += chains
    named.set(servicePort, entry)
  }
  for (const entry of view.serviceRules) if (entry.servicePort && !exists(entry.servicePort)) note(entry.servicePort, () => entry.rule, 0)
  for (const rule of view.noEndpointRules) if (!exists(rule.servicePort)) note(rule.servicePort, () => rule.rule, 0)
  const unknown = new Set([...view.servicePorts].filter((name) => !exists(name)))
  if (unknown.size === 0) return named
  const nat = view.chains.get('nat')
  for (const [chain, servicePort] of view.chainService) if (unknown.has(servicePort)) note(servicePort, () => nat?.get(chain)?.rules[0], 1)
  for (const sep of view.endpointChains.values()) {
    if (sep.servicePort !== undefined && unknown.has(sep.servicePort)) note(sep.servicePort, () => nat?.get(sep.chain)?.rules[0], 1)
  }
  return named
}

export const rulesForDeletedService: Check = {
  id: 'rules-for-deleted-service',
  summary: 'rules and chains for a Service port that no longer exists',
  severity: 'warning',
  needsCluster: true,
  description:
    'The node still routes a Service port the API no longer has. Harmless until its cluster IP is ' +
    'reused; then new connections go to the old Service\'s pods.',
  run(ctx) {
    const cluster = ctx.cluster
    if (!cluster) return []
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      for (const [servicePort, {rule, chains}] of unknownServicePorts(view, (name) => cluster.ports.has(name))) {
        const service = servicePort.split(':')[0]
        const what = cluster.services.has(service) ? 'has no such port' : 'does not exist'
        findings.push(
          makeFinding(this, ctx, view, {
            service: servicePort,
            rule,
            message: `${ctx.node.capture.name}: rules for ${servicePort} (${chains} chain${chains === 1 ? '' : 's'}), but the Service ${what} in the API`,
            hint: 'kube-proxy removes them on its next full sync; if they stay, restart kube-proxy on this node (and check that cluster.json is complete)',
          }),
        )
      }
    }
    return findings
  },
}
