import type {Rule} from '../../parse/types.js'
import {makeFinding} from '../finding.js'
import {serviceOfChain, type RulesView} from '../rules-view.js'
import type {Check, Finding} from '../types.js'

/**
 * Target names that must be chains: kube-proxy's and CNI plugins'. Other unknown names may be
 * extension targets (CT, NFLOG, TPROXY, ...), which are not chains; a jump the parser itself
 * could not resolve is reported by the parser (missing-jump-target).
 */
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
    for (const view of ctx.node.views) {
      if (view.dump.partial) continue
      for (const [table, unknown] of view.unknownTargets) {
        // Distinct names first (the view matched them against the chains); the rules are looked
        // up only for the rare missing one.
        const missing = unknown.filter((name) => CHAIN_NAME.test(name))
        for (const rule of missing.length > 0 ? rulesOf(view, table) : []) {
          const target = rule.target
          if (!target || !missing.includes(target.name)) continue
          findings.push(
            makeFinding(this, ctx, view, {
              service: serviceOfChain(view, rule.chain),
              rule,
              message: `${ctx.node.capture.name}: ${table} ${rule.chain} rule ${rule.index} ${target.goto ? 'goes to' : 'jumps to'} ${target.name}, which does not exist`,
              hint: 'capture the full ruleset with iptables-save (not a grep); if it is complete, restart kube-proxy so it rewrites its chains',
            }),
          )
        }
      }
    }
    return findings
  },
}

function* rulesOf(view: RulesView, table: string): Generator<Rule> {
  for (const chain of view.dump.tables.find((t) => t.name === table)?.chains ?? []) yield* chain.rules
}
