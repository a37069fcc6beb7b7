import {formatCount, makeFinding} from '../finding.js'
import type {Check, Finding} from '../types.js'

/**
 * Where iptables mode starts to hurt: kube-proxy rewrites the whole nat table on every sync, so
 * sync time and CPU grow with the rule count. The Kubernetes docs recommend nftables mode
 * (GA in 1.33) for clusters with thousands of Services.
 */
export const RULE_COUNT_THRESHOLDS = {rules: 20_000, servicePorts: 1_000}

export const ruleCount: Check = {
  id: 'rule-count',
  summary: 'so many rules that kube-proxy\'s nftables mode would serve the node better',
  severity: 'info',
  description:
    `In iptables mode every sync rewrites all rules and every new connection walks KUBE-SERVICES ` +
    `linearly. Reported at ${formatCount(RULE_COUNT_THRESHOLDS.rules)} rules or ` +
    `${formatCount(RULE_COUNT_THRESHOLDS.servicePorts)} Service ports, with the figures.`,
  run(ctx) {
    const findings: Finding[] = []
    const views = ctx.node.views
    const rules = views.reduce((n, v) => n + v.ruleCount, 0)
    const servicePorts = new Set(views.flatMap((v) => v.cascades.map((c) => c.servicePort ?? c.chain))).size
    const endpoints = views.reduce((n, v) => n + v.endpointChains.size, 0)
    const entryRules = views.reduce((n, v) => n + v.serviceRules.length, 0)
    if (rules < RULE_COUNT_THRESHOLDS.rules && servicePorts < RULE_COUNT_THRESHOLDS.servicePorts) return findings
    findings.push(
      makeFinding(this, ctx, views[0], {
        message:
          `${ctx.node.capture.name}: ${formatCount(rules)} rules for ${formatCount(servicePorts)} Service ports and ` +
          `${formatCount(endpoints)} endpoint chains; a new connection may test up to ${formatCount(entryRules)} KUBE-SERVICES rules`,
        hint: 'consider kube-proxy --proxy-mode=nftables (Kubernetes ≥ 1.31): map lookups instead of linear chains, incremental syncs',
      }),
    )
    return findings
  },
}
