import {KUBE_SERVICES} from '../../kube-proxy/names.js'
import {hasKubeProxyRules, makeFinding, reaches} from '../finding.js'
import type {Check, Finding} from '../types.js'

export const servicePortalsJump: Check = {
  id: 'service-portals-jump',
  summary: 'nat PREROUTING or OUTPUT does not reach KUBE-SERVICES',
  severity: 'error',
  description:
    'kube-proxy installs `-A PREROUTING -j KUBE-SERVICES` (traffic from pods and outside) and ' +
    '`-A OUTPUT -j KUBE-SERVICES` (traffic from the node). Without them no Service works on that path; ' +
    'usually another tool flushed the built-in chains.',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      if (view.dump.partial || !hasKubeProxyRules(view)) continue
      for (const hook of ['PREROUTING', 'OUTPUT']) {
        if (reaches(view, 'nat', hook, KUBE_SERVICES)) continue
        findings.push(
          makeFinding(this, ctx, view, {
            message: `${ctx.node.capture.name}: nat ${hook} never reaches ${KUBE_SERVICES} (IPv${view.family}): Services do not work for ${hook === 'OUTPUT' ? 'connections from the node itself' : 'pods and external clients'}`,
            hint: `restart kube-proxy on the node (it re-adds its jump rules); find what flushed the ${hook} chain (a firewall service, a CNI script)`,
          }),
        )
      }
    }
    return findings
  },
}
