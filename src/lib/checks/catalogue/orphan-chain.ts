import {classifyChain} from '../../kube-proxy/names.js'
import {makeFinding} from '../finding.js'
import {serviceOfChain} from '../rules-view.js'
import type {Check, Finding} from '../types.js'

export const orphanChain: Check = {
  id: 'orphan-chain',
  summary: 'a KUBE-SVC/SVL/EXT/FW/XLB/SEP chain that no rule jumps to',
  severity: 'info',
  description:
    'Leftovers of deleted Services or endpoints. Harmless: in large clusters kube-proxy deletes stale ' +
    'chains lazily (on its periodic full sync), so a few are normal right after a change.',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      if (view.dump.partial) continue
      // The view listed them while it read the dump (rules-view.ts, collectUnusedServiceChains).
      for (const chain of view.unusedServiceChains) {
        findings.push(
          makeFinding(this, ctx, view, {
            service: serviceOfChain(view, chain.name),
            rule: chain.rules[0],
            message: `${ctx.node.capture.name}: ${classifyChain(chain.name).toUpperCase()} chain ${chain.name}${serviceOfChain(view, chain.name) ? ` (${serviceOfChain(view, chain.name)})` : ''} is not used by any rule`,
            hint: 'nothing to do unless it persists after kube-proxy\'s next full sync (--iptables-sync-period); then restart kube-proxy',
          }),
        )
      }
    }
    return findings
  },
}
