import {chainsOf, makeFinding} from '../finding.js'
import type {Check, Finding} from '../types.js'
import {mayHaveModule} from '../../parse/lazy-rule.js'
import {probabilitiesCertainlyInRange} from '../../kube-proxy/rule-facts.js'

export const probabilityOutOfRange: Check = {
  id: 'probability-out-of-range',
  summary: 'a statistic probability outside (0, 1]',
  severity: 'error',
  description:
    'A `statistic --mode random` rule with probability 0 never matches (its endpoint gets nothing); ' +
    'one that is unreadable or above 1 is not what kube-proxy writes. Either way the cascade is broken.',
  run(ctx) {
    const findings: Finding[] = []
    for (const [view, chain] of chainsOf(ctx, 'nat')) {
      for (const rule of chain.rules) {
        // Decode only the rare rule whose line does not settle it (most have no statistic match).
        if (!mayHaveModule(rule, 'statistic') || probabilitiesCertainlyInRange(rule)) continue
        for (const match of rule.matches) {
          const typed = match.typed
          if (typed?.kind !== 'statistic' || typed.mode !== 'random') continue
          const p = typed.probability
          if (p !== undefined && p > 0 && p <= 1) continue
          findings.push(
            makeFinding(this, ctx, view, {
              service: view.chainService.get(chain.name),
              rule,
              message: `${ctx.node.capture.name}: ${chain.name} rule ${rule.index} has probability ${typed.probabilityText ?? p}, outside (0, 1]`,
              hint: 'restart kube-proxy on the node so it rewrites the chain; find out what edited the rules',
            }),
          )
        }
      }
    }
    return findings
  },
}
