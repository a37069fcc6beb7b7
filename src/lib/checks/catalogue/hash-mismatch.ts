import {classifyChain, endpointChainName} from '../../kube-proxy/names.js'
import type {Chain} from '../../parse/types.js'
import {chainsOf, makeFinding} from '../finding.js'
import type {RulesView} from '../rules-view.js'
import {hashedNameForms, hashMatches, serviceChainHash, servicePortFromComment} from '../service-names.js'
import type {Check, Finding} from '../types.js'

const ALL_PROTOCOLS = ['tcp', 'udp', 'sctp']

/** The Service port the chain's own comments claim (not the hash index: that would be circular). */
function claimedServicePort(chain: Chain): string | undefined {
  for (const rule of chain.rules) {
    const named = servicePortFromComment(rule.comment)
    if (named) return named
  }
  return undefined
}

function endpointHashMatches(view: RulesView, chain: Chain, servicePort: string): boolean {
  const endpoint = view.endpointChains.get(chain.name)?.endpoint
  if (!endpoint) return true // nothing to hash: not this check's business
  return hashedNameForms(servicePort).some((form) =>
    ALL_PROTOCOLS.some((protocol) => endpointChainName(form, protocol, endpoint) === chain.name),
  )
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
    for (const [view, chain] of chainsOf(ctx, 'nat')) {
      const kind = classifyChain(chain.name)
      const hash = serviceChainHash(chain.name)
      if (!hash && kind !== 'sep') continue
      const claimed = claimedServicePort(chain)
      if (!claimed) continue
      const matches = kind === 'sep' ? endpointHashMatches(view, chain, claimed) : hashMatches(hash as string, claimed, ALL_PROTOCOLS)
      if (matches) continue
      findings.push(
        makeFinding(this, ctx, view, {
          service: claimed,
          rule: chain.rules.find((r) => servicePortFromComment(r.comment) === claimed),
          message: `${ctx.node.capture.name}: ${chain.name} claims to be ${claimed}, but its name is not the hash kube-proxy computes for it`,
          hint: 'find what wrote this chain (a hand edit, a copy from another node or cluster); kube-proxy will not clean it up under this name',
        }),
      )
    }
    return findings
  },
}
