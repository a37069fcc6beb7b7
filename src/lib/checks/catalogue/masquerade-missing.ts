import {KUBE_MARK_MASQ, KUBE_POSTROUTING} from '../../kube-proxy/names.js'
import {hasKubeProxyRules, makeFinding} from '../finding.js'
import {chainOf} from '../rules-view.js'
import type {Check, Finding} from '../types.js'

export const masqueradeMissing: Check = {
  id: 'masquerade-missing',
  summary: 'KUBE-POSTROUTING has no MASQUERADE (or KUBE-MARK-MASQ sets no mark)',
  severity: 'error',
  description:
    'kube-proxy marks connections that need source NAT in KUBE-MARK-MASQ and masquerades them in ' +
    'KUBE-POSTROUTING. If either half is missing, NodePort and external traffic to pods on other ' +
    'nodes gets no reply.',
  run(ctx) {
    const findings: Finding[] = []
    for (const view of ctx.node.views) {
      if (view.dump.partial || !hasKubeProxyRules(view)) continue
      const postrouting = chainOf(view, 'nat', KUBE_POSTROUTING)
      const masquerades = postrouting?.rules.some((r) => r.target?.name === 'MASQUERADE' || r.target?.name === 'SNAT')
      const markMasq = chainOf(view, 'nat', KUBE_MARK_MASQ)
      const marks = markMasq?.rules.some((r) => r.target?.name === 'MARK')
      const problems: string[] = []
      if (!masquerades) problems.push(`${KUBE_POSTROUTING} ${postrouting ? 'has no MASQUERADE rule' : 'is missing'}`)
      if (!marks) problems.push(`${KUBE_MARK_MASQ} ${markMasq ? 'sets no mark' : 'is missing'}`)
      if (problems.length === 0) continue
      findings.push(
        makeFinding(this, ctx, view, {
          rule: postrouting?.rules[0],
          message: `${ctx.node.capture.name}: ${problems.join(' and ')} (IPv${view.family}): traffic that needs source NAT is not masqueraded`,
          hint: 'restart kube-proxy on the node; check --masquerade-all / --cluster-cidr flags and any tool that edits the nat table',
        }),
      )
    }
    return findings
  },
}
