import {makeFinding} from '../finding.js'
import type {Check, Finding} from '../types.js'

export const duplicateEndpoint: Check = {
  id: 'duplicate-endpoint',
  summary: 'an endpoint appears twice in one cascade',
  severity: 'warning',
  description:
    'Two rules of one Service chain lead to the same KUBE-SEP chain or the same address, so that ' +
    'endpoint gets a double share. (Session-affinity `--rcheck` rules are expected and ignored.)',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      for (const cascade of view.cascades) {
        const seen = new Map<string, number>()
        for (const jump of cascade.jumps) {
          const key = jump.endpoint ?? jump.sepChain
          const first = seen.get(key)
          if (first === undefined) {
            seen.set(key, jump.index)
            continue
          }
          findings.push(
            makeFinding(this, ctx, view, {
              service: cascade.servicePort,
              endpoint: key.includes(':') ? key : undefined,
              rule: jump.rule,
              message: `${ctx.node.capture.name}: ${cascade.chain} rules ${first} and ${jump.index} both send ${cascade.servicePort ?? 'the Service'} traffic to ${key}`,
              hint: 'restart kube-proxy on the node so it rewrites the chain; check the EndpointSlices for the same address listed twice',
            }),
          )
        }
      }
    }
    return findings
  },
}
