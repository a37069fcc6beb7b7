import {makeFinding} from '../finding.js'
import type {Check, Finding} from '../types.js'

/** What iptables-nft prints when legacy tables also hold rules, and what captures record. */
const LEGACY_PRESENT = /iptables-legacy tables present|both iptables-legacy and iptables-nft/i

export const backendSplit: Check = {
  id: 'backend-split',
  summary: 'both iptables-legacy and iptables-nft hold KUBE-* rules',
  severity: 'warning',
  description:
    'When kube-proxy and the host (or a CNI) use different iptables backends, the kernel runs both ' +
    'rule sets and what one `iptables-save` shows is only half of the truth. Seen when a node image ' +
    'switched backends under a running cluster.',
  run(ctx) {
    const findings: Finding[] = []
    const {capture, dumps, views} = ctx.node
    const warnings = [
      ...(capture.meta?.warnings ?? []),
      ...dumps.flatMap((d) => d.comments.map((c) => c.text)),
    ].filter((text) => LEGACY_PRESENT.test(text))
    const kubeBackends = new Set(
      dumps.filter((d) => d.tables.some((t) => t.chains.some((c) => c.name.startsWith('KUBE-')))).map((d) => `${d.family} ${d.generator?.backend ?? '?'}`),
    )
    const bothDumps = [4, 6].some((f) => kubeBackends.has(`${f} legacy`) && kubeBackends.has(`${f} nf_tables`))
    if (warnings.length === 0 && !bothDumps) return findings
    findings.push(
      makeFinding(this, ctx, views[0], {
        message: `${capture.name}: rules live in both iptables backends (${warnings[0] ?? 'legacy and nf_tables dumps both hold KUBE-* chains'})`,
        hint: 'compare `iptables-legacy-save` and `iptables-nft-save` on the node; make kube-proxy and the host use one backend and flush the other',
      }),
    )
    return findings
  },
}
