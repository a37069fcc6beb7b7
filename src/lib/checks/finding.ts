/** Small helpers shared by the checks: building findings and walking the jump graph. */
import type {Chain, Rule} from '../parse/types.js'
import {chainOf, type RulesView} from './rules-view.js'
import {isPerServiceChain} from '../kube-proxy/names.js'
import {evidenceOf, type Check, type CheckContext, type Finding, type Severity} from './types.js'
import {targetNameOf} from '../parse/lazy-rule.js'

export interface FindingFields {
  message: string
  hint: string
  service?: string
  endpoint?: string
  rule?: Rule
  severity?: Severity
}

/** A finding of `check` on the context's node, with the rule (if any) as evidence. */
export function makeFinding(check: Pick<Check, 'id' | 'severity'>, ctx: CheckContext, view: RulesView | undefined, fields: FindingFields): Finding {
  const finding: Finding = {
    id: check.id,
    severity: fields.severity ?? check.severity,
    node: ctx.node.capture.name,
    message: fields.message,
    hint: fields.hint,
  }
  if (fields.service) finding.service = fields.service
  if (fields.endpoint) finding.endpoint = fields.endpoint
  if (fields.rule) finding.evidence = evidenceOf(fields.rule, view?.origin)
  return finding
}

/** Every (view, chain) of a table across the node's dumps. */
export function* chainsOf(ctx: CheckContext, table: string): Generator<[RulesView, Chain]> {
  for (const view of ctx.node.views) {
    for (const t of view.dump.tables) {
      if (t.name !== table) continue
      for (const chain of t.chains) yield [view, chain]
    }
  }
}

/** Is `to` reachable from `from` through jumps and gotos in the table? Breadth-first, loop-safe. */
export function reaches(view: RulesView, table: string, from: string, to: string): boolean {
  const seen = new Set([from])
  const queue = [from]
  while (queue.length > 0) {
    const chain = chainOf(view, table, queue.shift() as string)
    for (const rule of chain?.rules ?? []) {
      const next = targetNameOf(rule)
      if (!next || seen.has(next)) continue
      if (next === to) return true
      seen.add(next)
      queue.push(next)
    }
  }
  return false
}

/** A dump that shows kube-proxy's iptables mode ran here (nat KUBE-SERVICES or any service chain). */
export function hasKubeProxyRules(view: RulesView): boolean {
  return chainOf(view, 'nat', 'KUBE-SERVICES') !== undefined || view.cascades.length > 0
}

/** KUBE-SVC/SVL/EXT/FW/XLB/SEP: kube-proxy's per-Service chains (runs per chain and per rule: no string made). */
export function isServiceChain(name: string): boolean {
  return isPerServiceChain(name)
}

/** `1234567` → `1,234,567`, for figures in messages. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}
