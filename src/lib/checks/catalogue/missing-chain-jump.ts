import {chainsOf, makeFinding} from '../finding.js'
import {chainKey} from '../rules-view.js'
import type {Check, Finding} from '../types.js'

/** Chain-like target names: kube-proxy's and CNI plugins' chains. Extension targets are not chains. */
const CHAIN_NAME = /^(KUBE|CNI)-/

export const missingChainJump: Check = {
  id: 'missing-chain-jump',
  summary: 'a jump or goto to a chain that does not exist',
  severity: 'error',
  description:
    'A rule sends traffic to a chain the table does not declare (a partial restore, a hand edit): ' +
    'iptables-restore would reject the ruleset, and the traffic the rule matches goes nowhere.',
  run(ctx) {
    const findings: Finding[] = []
    for (const table of ['nat', 'filter', 'mangle', 'raw']) {
      for (const [view, chain] of chainsOf(ctx, table)) {
        if (view.dump.partial) continue
        for (const rule of chain.rules) {
          const target = rule.target
          if (!target || !(target.typed?.kind === 'jump' || target.goto || CHAIN_NAME.test(target.name))) continue
          if (view.chains.has(chainKey(table, target.name))) continue
          findings.push(
            makeFinding(this, ctx, view, {
              service: view.chainService.get(chain.name),
              rule,
              message: `${ctx.node.capture.name}: ${table} ${chain.name} rule ${rule.index} ${target.goto ? 'goes to' : 'jumps to'} ${target.name}, which does not exist`,
              hint: 'capture the full ruleset with iptables-save (not a grep); if it is complete, restart kube-proxy so it rewrites its chains',
            }),
          )
        }
      }
    }
    return findings
  },
}
