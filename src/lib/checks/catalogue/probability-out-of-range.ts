import {makeFinding} from '../finding.js'
import {serviceOfChain} from '../rules-view.js'
import type {Check, Finding} from '../types.js'

export const probabilityOutOfRange: Check = {
  id: 'probability-out-of-range',
  summary: 'a statistic probability outside (0, 1]',
  severity: 'error',
  description:
    'A `statistic --mode random` rule with probability 0 never matches (its endpoint gets nothing); ' +
    'one that is unreadable or above 1 is not what kube-proxy writes. Either way the cascade is broken.',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      // The view holds the rare rules whose line does not settle it; only these are decoded.
      for (const rule of view.unsettledStatisticRules) {
        for (const match of rule.matches) {
          const typed = match.typed
          if (typed?.kind !== 'statistic' || typed.mode !== 'random') continue
          const p = typed.probability
          if (p !== undefined && p > 0 && p <= 1) continue
          findings.push(
            makeFinding(this, ctx, view, {
              service: serviceOfChain(view, rule.chain),
              rule,
              message: `${ctx.node.capture.name}: ${rule.chain} rule ${rule.index} has probability ${typed.probabilityText ?? p}, outside (0, 1]`,
              hint: 'restart kube-proxy on the node so it rewrites the chain; find out what edited the rules',
            }),
          )
        }
      }
    }
    return findings
  },
}
