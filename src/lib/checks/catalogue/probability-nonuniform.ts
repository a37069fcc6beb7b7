import {makeFinding} from '../finding.js'
import {effectiveShares, formatShare, nonUniformRules} from '../probability.js'
import type {Check, Finding} from '../types.js'

export const probabilityNonuniform: Check = {
  id: 'probability-nonuniform',
  summary: 'an endpoint cascade whose shares are not uniform',
  severity: 'warning',
  description:
    'kube-proxy gives rule i of n the probability 1/(n−i) so that every endpoint gets 1/n of the new ' +
    'connections. A cascade that deviates beyond rounding (kube-proxy\'s old 5-decimal values such as ' +
    '0.33333 are fine; the kernel stores p in steps of 2^-31) sends some pods more load than others.',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      for (const cascade of view.cascades) {
        const probabilities = cascade.jumps.map((j) => j.probability)
        if (probabilities.length < 2 || probabilities.some((p) => p !== undefined && !(p > 0 && p <= 1))) continue
        const bad = nonUniformRules(probabilities)
        if (bad.length === 0) continue
        const shares = effectiveShares(probabilities).map(formatShare).join(' / ')
        const first = cascade.jumps[bad[0]]
        findings.push(
          makeFinding(this, ctx, view, {
            service: cascade.servicePort,
            rule: first.rule,
            message: `${ctx.node.capture.name}: ${cascade.servicePort ?? cascade.chain} ${cascade.chain} splits new connections ${shares} over ${probabilities.length} endpoints instead of ${formatShare(1 / probabilities.length)} each (rule ${first.rule.index} has probability ${first.probability ?? 'none'})`,
            hint: 'someone edited the rules by hand or a tool rewrote them: restart kube-proxy on the node so it rewrites the chain',
          }),
        )
      }
    }
    return findings
  },
}
