import {isEndpointChainName} from '../../kube-proxy/names.js'
import type {ClusterExpectations} from '../expectations.js'
import {makeFinding} from '../finding.js'
import type {EndpointChain, RulesView} from '../rules-view.js'
import {hashedNameForms, hashMatches, serviceChainHash, servicePortFromComment} from '../service-names.js'
import type {Check, CheckContext, Finding} from '../types.js'

const ALL_PROTOCOLS = ['tcp', 'udp', 'sctp']

/** A KUBE-SEP hash also covers the endpoint: sha256(service port + protocol + ip:port). */
function endpointHashMatches(sep: EndpointChain, servicePort: string): boolean {
  const endpoint = sep.endpoint
  if (!endpoint) return true // nothing to hash: not this check's business
  for (const form of hashedNameForms(servicePort)) {
    for (const protocol of ALL_PROTOCOLS) if (isEndpointChainName(sep.chain, form, protocol, endpoint)) return true
  }
  return false
}

/**
 * A service chain's hash: the cluster's hash index (built once from every Service port) answers
 * the common case, a claim that is right, without hashing again; anything else is hashed.
 */
function serviceHashMatches(hash: string, servicePort: string, cluster: ClusterExpectations | undefined): boolean {
  return cluster?.hashIndex.get(hash) === servicePort || hashMatches(hash, servicePort, ALL_PROTOCOLS)
}

function mismatch(check: Check, ctx: CheckContext, view: RulesView, chain: string, claimed: string): Finding {
  return makeFinding(check, ctx, view, {
    service: claimed,
    rule: view.chains.get('nat')?.get(chain)?.rules.find((r) => servicePortFromComment(r.comment) === claimed),
    message: `${ctx.node.capture.name}: ${chain} claims to be ${claimed}, but its name is not the hash kube-proxy computes for it`,
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
      // Only chains whose own comments name a Service make a claim to verify. KUBE-SEP chains
      // carry theirs in their records (10^5 of them: no lookup by name each).
      for (const [name, claimed] of view.commentService) {
        const hash = serviceChainHash(name)
        if (hash && !serviceHashMatches(hash, claimed, ctx.cluster)) findings.push(mismatch(this, ctx, view, name, claimed))
      }
      for (const sep of view.endpointChains.values()) {
        if (sep.claimed && !endpointHashMatches(sep, sep.claimed)) findings.push(mismatch(this, ctx, view, sep.chain, sep.claimed))
      }
    }
    return findings
  },
}
