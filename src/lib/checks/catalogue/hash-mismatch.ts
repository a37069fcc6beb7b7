import {type EndpointClaim, verifyClaims} from '../endpoint-claims.js'
import type {ClusterExpectations} from '../expectations.js'
import {makeFinding} from '../finding.js'
import type {EndpointChain, RulesView} from '../rules-view.js'
import {hashMatches, serviceChainHash, servicePortFromComment} from '../service-names.js'
import type {Check, CheckContext, Finding} from '../types.js'

const ALL_PROTOCOLS = ['tcp', 'udp', 'sctp']

/**
 * The KUBE-SEP chains whose comments claim a Service port and that DNAT somewhere, in the view's
 * order: what the hash verifies (sha256(service port + protocol + ip:port)). Without an endpoint
 * there is nothing to hash: not this check's business.
 */
export function endpointClaimsOf(view: RulesView): (EndpointChain & EndpointClaim)[] {
  return [...view.endpointChains.values()].filter((sep): sep is EndpointChain & EndpointClaim => Boolean(sep.claimed && sep.endpoint))
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
      // Only chains whose own comments name a Service make a claim to verify; KUBE-SEP chains
      // carry theirs in their records (10^5 of them: no lookup by name each).
      for (const [name, claimed] of view.commentService) {
        const hash = serviceChainHash(name)
        if (hash && !serviceHashMatches(hash, claimed, ctx.cluster)) findings.push(mismatch(this, ctx, view, name, claimed))
      }
      // Verified ahead on another thread when the runner could (claims-thread.ts), else here.
      const claims = endpointClaimsOf(view)
      const verdicts = ctx.endpointClaimVerdicts?.get(view) ?? verifyClaims(claims)
      for (const [k, sep] of claims.entries()) if (!verdicts[k]) findings.push(mismatch(this, ctx, view, sep.chain, sep.claimed))
    }
    return findings
  },
}
