import {clusterIpsExpected, type ClusterExpectations} from '../expectations.js'
import {hasKubeProxyRules, makeFinding} from '../finding.js'
import type {RulesView} from '../rules-view.js'
import type {Check} from '../types.js'

/** Modes whose Service rules are not in iptables nat: an empty nat table is normal there. */
const NON_IPTABLES_MODES = new Set(['ipvs', 'nftables'])

/**
 * A dump that could hold kube-proxy's nat rules: it has a nat table, or no table at all (an empty
 * file). A dump of other tables only (`--table filter`) says nothing about nat.
 */
function coversNat(view: RulesView): boolean {
  return view.dump.tables.length === 0 || view.dump.tables.some((t) => t.name === 'nat')
}

/** Service ports with a cluster IP of the view's family and usable endpoints. */
function expectedPorts(cluster: ClusterExpectations, view: RulesView): string[] {
  return [...cluster.ports.values()].filter((p) => clusterIpsExpected(p, view.family).length > 0).map((p) => p.servicePort)
}

export const noKubeProxyRules: Check = {
  id: 'no-kube-proxy-rules',
  summary: 'the node has no kube-proxy rules in nat while the cluster has Services with ready endpoints',
  severity: 'error',
  needsCluster: true,
  description:
    'No KUBE-SERVICES chain and no service chains: the nat table was flushed, kube-proxy never ran or ' +
    'crashed before its first sync, or the rules file is empty. Every cluster IP is dead from this node ' +
    'and its pods. When meta.json says kube-proxy runs in ipvs or nftables mode this is expected and ' +
    'reported as info: kpx check reads iptables rules only.',
  run(ctx) {
    const cluster = ctx.cluster
    if (!cluster) return []
    const bare = ctx.node.views.filter((v) => !v.dump.partial && coversNat(v) && !hasKubeProxyRules(v))
    const ports = [...new Set(bare.flatMap((v) => expectedPorts(cluster, v)))]
    if (ports.length === 0) return []
    const node = ctx.node.capture.name
    const view = bare[0]
    const count = `${ports.length} Service port${ports.length === 1 ? '' : 's'}`
    const mode = ctx.node.capture.meta?.kubeProxyMode
    if (mode && NON_IPTABLES_MODES.has(mode)) {
      return [
        makeFinding(this, ctx, view, {
          severity: 'info',
          message: `${node}: kube-proxy runs in ${mode} mode (meta.json), so its ${count} are not in the iptables nat table and were not checked`,
          hint: `check the ${mode} state on the node directly (${mode === 'ipvs' ? 'ipvsadm -Ln' : 'nft list table ip kube-proxy'})`,
        }),
      ]
    }
    const files = bare.map((v) => v.origin ?? `IPv${v.family} rules`).join(', ')
    return [
      makeFinding(this, ctx, view, {
        message: `${node}: no kube-proxy rules in nat (no KUBE-SERVICES, no service chains) in ${files}, but the API lists ${count} with ready endpoints (${ports.slice(0, 3).join(', ')}${ports.length > 3 ? ', ...' : ''})`,
        hint: 'check that kube-proxy runs on this node in iptables mode and syncs (`kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide`, its logs); if nat was flushed by hand, restart kube-proxy to rewrite it',
      }),
    ]
  },
}
