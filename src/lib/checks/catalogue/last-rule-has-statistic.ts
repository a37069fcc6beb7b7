import {makeFinding} from '../finding.js'
import {formatShare, quantizeProbability} from '../probability.js'
import type {Check, Finding} from '../types.js'

export const lastRuleHasStatistic: Check = {
  id: 'last-rule-has-statistic',
  summary: 'the last endpoint rule of a cascade still has a statistic match: traffic falls through',
  severity: 'error',
  description:
    'kube-proxy writes the last endpoint rule without a probability so that every connection picks ' +
    'an endpoint. With one, the remaining share falls out of the chain un-DNATed and goes nowhere.',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      for (const cascade of view.cascades) {
        const last = cascade.jumps.at(-1)
        if (!last || last.probability === undefined || !(last.probability > 0)) continue
        // p = 1 is stored as 2^31 and always matches: no traffic falls through.
        if (quantizeProbability(last.probability) >= 1) continue
        const fallThrough = cascade.jumps.reduce((left, j) => left * (1 - quantizeProbability(j.probability ?? 1)), 1)
        findings.push(
          makeFinding(this, ctx, view, {
            service: cascade.servicePort,
            rule: last.rule,
            message: `${ctx.node.capture.name}: ${cascade.chain} ends with a probability ${last.probability} rule: ${formatShare(fallThrough)} of new connections to ${cascade.servicePort ?? 'the Service'} match no endpoint`,
            hint: 'restart kube-proxy on the node so it rewrites the chain; find out what edited the rules',
          }),
        )
      }
    }
    return findings
  },
}
