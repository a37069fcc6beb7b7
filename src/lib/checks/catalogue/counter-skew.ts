import {makeFinding} from '../finding.js'
import {effectiveShares, formatShare} from '../probability.js'
import {chiSquareTest} from '../stats.js'
import type {Check, Finding} from '../types.js'

/** Pearson's test needs enough counts: every expected count at least 5, and some volume. */
const MIN_EXPECTED = 5
const MIN_TOTAL = 100
/** Strict, because a node has many Services and each one is a test (multiple comparisons). */
const SIGNIFICANCE = 1e-4

export const counterSkew: Check = {
  id: 'counter-skew',
  summary: 'endpoint packet counters that the probabilities cannot explain (chi-square test)',
  severity: 'warning',
  description:
    'With `iptables-save -c` counters, the new connections each endpoint rule counted are compared ' +
    'with the shares its probabilities give (Pearson chi-square, p < 1e-4, only with at least 100 ' +
    'connections and 5 expected per endpoint; session-affinity chains are skipped because returning ' +
    'clients bypass the probabilities). A skew means the rules changed while traffic flowed, or ' +
    'something else rewrites them.',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      for (const cascade of view.cascades) {
        if (cascade.affinity || cascade.jumps.length < 2) continue
        const observed = cascade.jumps.map((j) => j.packets)
        if (observed.some((c) => c === undefined)) continue
        const raw = effectiveShares(cascade.jumps.map((j) => j.probability))
        const sum = raw.reduce((a, b) => a + b, 0)
        if (!(sum > 0)) continue
        // Shares among the connections that picked some endpoint (fall-through is another check).
        const shares = raw.map((s) => s / sum)
        const test = chiSquareTest(observed as number[], shares)
        if (test.total < MIN_TOTAL || test.expected.some((e) => e < MIN_EXPECTED) || test.pValue >= SIGNIFICANCE) continue
        findings.push(
          makeFinding(this, ctx, view, {
            service: cascade.servicePort,
            rule: cascade.jumps[0].rule,
            message:
              `${ctx.node.capture.name}: ${cascade.servicePort ?? cascade.chain} ${cascade.chain} counted ` +
              `${observed.join('/')} of ${test.total} connections where the probabilities give ` +
              `${shares.map(formatShare).join('/')} (expected ${test.expected.map((e) => e.toFixed(0)).join('/')}); ` +
              `χ²=${test.statistic.toFixed(1)}, df=${test.degreesOfFreedom}, p=${test.pValue.toExponential(1)}`,
            hint: 'compare with an earlier capture: rules rewritten mid-traffic (or by another tool) skew counters; zero the counters (`iptables -t nat -Z`) and capture again',
          }),
        )
      }
    }
    return findings
  },
}
