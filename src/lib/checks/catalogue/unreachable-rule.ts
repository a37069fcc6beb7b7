import {makeFinding} from '../finding.js'
import {serviceOfChain} from '../rules-view.js'
import type {Check, Finding} from '../types.js'

export {certainlyConditional} from '../blocking-rule.js'

const TABLES = ['nat', 'filter', 'mangle', 'raw']

export const unreachableRule: Check = {
  id: 'unreachable-rule',
  summary: 'rules after an unconditional jump, goto or verdict in the same chain',
  severity: 'warning',
  description:
    'A rule that matches every packet and never returns hides the rules after it. kube-proxy never ' +
    'writes that; an edit by hand or another tool did, and the hidden rules do nothing.',
  run(ctx) {
    const findings: Finding[] = []
    for (const table of TABLES) {
      for (const view of ctx.node.views) {
        // The view found the first such rule of each chain while reading the dump (blocking-rule.ts).
        for (const {table: chainTable, chain, stop} of view.blockedChains) {
          if (chainTable !== table) continue
          const blocker = chain.rules[stop]
          const hidden = chain.rules.length - stop - 1
          findings.push(
            makeFinding(this, ctx, view, {
              service: serviceOfChain(view, chain.name),
              rule: chain.rules[stop + 1],
              message: `${ctx.node.capture.name}: ${table} ${chain.name} rule ${blocker.index} (${blocker.target?.goto ? '-g' : '-j'} ${blocker.target?.name}) matches everything, so the ${hidden} rule${hidden === 1 ? '' : 's'} after it never run${hidden === 1 ? 's' : ''}`,
              hint: 'remove or reorder the rules; if kube-proxy owns the chain, restart it so it rewrites the chain',
            }),
          )
        }
      }
    }
    return findings
  },
}
