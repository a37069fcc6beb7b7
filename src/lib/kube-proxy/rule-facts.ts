/** Small readers of the facts kube-proxy puts in a rule (typed views from the parser). */
import {mayHaveModule} from '../parse/lazy-rule.js'
import type {Rule} from '../parse/types.js'
import {quantizeProbability} from '../trace/matches.js'
import type {EndpointModel, RuleRef} from './types.js'

export function ruleRef(rule: Rule): RuleRef {
  return {table: rule.table, chain: rule.chain, rule: rule.index, line: rule.line, text: rule.raw}
}

export function destinationPort(rule: Rule): number | null {
  for (const m of rule.matches) {
    if (m.typed?.kind === 'ports' && m.typed.dport && !m.typed.dport.negated) return m.typed.dport.value.from
    if (m.typed?.kind === 'multiport' && m.typed.dports && !m.typed.dports.negated) return m.typed.dports.value[0]?.from ?? null
  }
  return null
}

/** The host a rule requires (`-d 10.96.0.1/32` → 10.96.0.1), null for none or a subnet. */
export function destinationHost(rule: Rule): string | null {
  const d = rule.destination
  if (!d || d.negated) return null
  const [host, prefix] = d.value.split('/')
  if (prefix !== undefined && prefix !== '32' && prefix !== '128') return null
  return host
}

export function protocolOf(rule: Rule): string {
  return rule.protocol && !rule.protocol.negated ? rule.protocol.value.toLowerCase() : ''
}

export function hasDstTypeLocal(rule: Rule): boolean {
  return rule.matches.some((m) => m.typed?.kind === 'addrtype' && !!m.typed.dstType?.value.includes('LOCAL') && !m.typed.dstType.negated)
}

function randomProbability(rule: Rule): number | undefined {
  for (const m of rule.matches) {
    if (m.typed?.kind === 'statistic' && m.typed.mode === 'random' && m.typed.probability !== undefined) {
      const p = quantizeProbability(m.typed.probability)
      return m.typed.negated ? 1 - p : p
    }
  }
  return undefined
}

export function recentOf(rule: Rule): {command?: string; seconds?: number} | null {
  if (!mayHaveModule(rule, 'recent')) return null // every SVC rule is asked: do not decode them all
  for (const m of rule.matches) if (m.typed?.kind === 'recent') return {command: m.typed.command, seconds: m.typed.seconds}
  return null
}

/** Every match except comments/protocol/ports/statistic: a listing rule that has them is conditional. */
export function isConditional(rule: Rule): boolean {
  return rule.matches.some((m) => m.typed?.kind !== 'comment' && m.typed?.kind !== 'statistic' && m.module !== 'comment')
}

/**
 * The endpoint cascade of a KUBE-SVC/SVL/XLB chain: each `statistic` jump takes p of what is
 * left, the first unconditional jump takes the rest (p_i × Π(1−p_j) over earlier j). Affinity
 * (`recent --rcheck`) jumps come first and only mark the endpoint. `endpoints` maps a SEP chain
 * to its DNAT address.
 */
export function endpointCascade(rules: Rule[], isSep: (chain: string) => boolean, dnatOf: (sep: string) => string | null): EndpointModel[] {
  const result: EndpointModel[] = []
  const affinity = new Set<string>()
  let remaining = 1
  for (const rule of rules) {
    const target = rule.target?.name
    if (!target || !isSep(target)) continue
    if (recentOf(rule)) {
      affinity.add(target)
      continue
    }
    const p = randomProbability(rule)
    // A non-random condition (e.g. `-s` on a hairpin rule) cannot be weighed statically.
    const share = p !== undefined ? remaining * p : isConditional(rule) ? 0 : remaining
    remaining -= share
    const address = dnatOf(target)
    const split = address ? /^\[?(.*?)\]?:(\d+)$/.exec(address) : null
    result.push({
      chain: target, address, ip: split?.[1] ?? null, port: split ? Number(split[2]) : null,
      probability: share, ...(p === undefined ? {} : {ruleProbability: p}), rule: ruleRef(rule), affinity: false,
    })
  }
  for (const e of result) e.affinity = affinity.has(e.chain)
  return result
}
