import {KUBE_POSTROUTING} from '../../kube-proxy/names.js'
import {hasKubeProxyRules, makeFinding, reaches} from '../finding.js'
import type {Check, Finding} from '../types.js'

export const postroutingJump: Check = {
  id: 'postrouting-jump',
  summary: 'nat POSTROUTING does not reach KUBE-POSTROUTING',
  severity: 'error',
  description:
    'Connections kube-proxy marks for masquerading (0x4000) are SNATed in KUBE-POSTROUTING. Without ' +
    'the jump, replies from pods on other nodes go to an address that cannot answer.',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      if (view.dump.partial || !hasKubeProxyRules(view)) continue
      if (reaches(view, 'nat', 'POSTROUTING', KUBE_POSTROUTING)) continue
      findings.push(
        makeFinding(this, ctx, view, {
          message: `${ctx.node.capture.name}: nat POSTROUTING never reaches ${KUBE_POSTROUTING} (IPv${view.family}): marked Service traffic is not masqueraded`,
          hint: 'restart kube-proxy on the node (it re-adds its jump rules); find what flushed the POSTROUTING chain',
        }),
      )
    }
    return findings
  },
}
