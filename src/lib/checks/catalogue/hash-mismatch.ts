import {endpointChainName} from '../../kube-proxy/names.js'
import type {Chain} from '../../parse/types.js'
import {makeFinding} from '../finding.js'
import type {RulesView} from '../rules-view.js'
import {hashedNameForms, hashMatches, serviceChainHash, servicePortFromComment} from '../service-names.js'
import type {Check, CheckContext, Finding} from '../types.js'

const ALL_PROTOCOLS = ['tcp', 'udp', 'sctp']

/** A KUBE-SEP hash also covers the endpoint: sha256(service port + protocol + ip:port). */
function endpointHashMatches(view: RulesView, chain: Chain, servicePort: string): boolean {
  const endpoint = view.endpointChains.get(chain.name)?.endpoint
  if (!endpoint) return true // nothing to hash: not this check's business
  return hashedNameForms(servicePort).some((form) =>
    ALL_PROTOCOLS.some((protocol) => endpointChainName(form, protocol, endpoint) === chain.name),
  )
}

function mismatch(check: Check, ctx: CheckContext, view: RulesView, chain: Chain, claimed: string): Finding {
  return makeFinding(check, ctx, view, {
    service: claimed,
    rule: chain.rules.find((r) => servicePortFromComment(r.comment) === claimed),
    message: `${ctx.node.capture.name}: ${chain.name} claims to be ${claimed}, but its name is not the hash kube-proxy computes for it`,
    hint: 'find what wrote this chain (a hand edit, a copy from another node or cluster); kube-proxy will not clean it up under this name',
  })
}

export const hashMismatch: Check = {
  id: 'hash-mismatch',
  summary: 'a chain-name hash that does not match the Service its comments claim',
  severity: 'warning',
  description:
    'kube-proxy names KUBE-SVC-/SVL-/EXT-/FW-/SEP- chains base32(sha256(service port + protocol ' +
    '[+ endpoint]))[:16]. A chain whose comment claims another Service was written or edited by ' +
    'something else, and kpx (and people) will attribute its traffic to the wrong Service.',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      // Only chains whose own comments name a Service make a claim to verify. Walking the chains
      // (not the claims) looks each claim up by the very string it was stored under: cheap.
      for (const chain of view.chains.get('nat')?.values() ?? []) {
        const name = chain.name
        const claimed = view.commentService.get(name)
        if (claimed === undefined) continue
        const hash = serviceChainHash(name)
        if (!hash && !name.startsWith('KUBE-SEP-')) continue
        const matches = hash ? hashMatches(hash, claimed, ALL_PROTOCOLS) : endpointHashMatches(view, chain, claimed)
        if (!matches) findings.push(mismatch(this, ctx, view, chain, claimed))
      }
    }
    return findings
  },
}
