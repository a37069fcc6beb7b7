/**
 * Small readers of the facts kube-proxy puts in a rule. The typed views of the decoded rule are
 * the reference; the readers that run once per rule of a large dump (those of `kpx check`) first
 * try the undecoded line (line-facts.ts), which gives the same answer without decoding.
 */
import {mayHaveModule} from '../parse/lazy-rule.js'
import type {Negatable, Rule} from '../parse/types.js'
import {simpleLineFacts, spanText} from './line-facts.js'
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

// Readers with a fast path: each answers from the line when it has the simple shape, else from
// the decoded rule. test/lib/kube-proxy/line-facts.test.ts holds both paths to the same answers.

/** The `statistic --mode random` probability; undefined without such a match, NaN when it has no value. */
export function randomProbabilityOf(rule: Rule): number | undefined {
  const facts = simpleLineFacts(rule)
  if (facts) return facts.statistic ? facts.probability : undefined
  if (!mayHaveModule(rule, 'statistic')) return undefined
  for (const {typed} of rule.matches) {
    if (typed?.kind === 'statistic' && typed.mode === 'random') return typed.probability ?? Number.NaN
  }
  return undefined
}

/** Session affinity: `-m recent --rcheck` (or `--update`) sends returning clients to their endpoint first. */
export function isAffinityCheck(rule: Rule): boolean {
  const facts = simpleLineFacts(rule)
  if (facts) return facts.affinity
  if (!mayHaveModule(rule, 'recent')) return false
  for (const {typed} of rule.matches) {
    if (typed?.kind === 'recent' && (typed.command === 'rcheck' || typed.command === 'update')) return true
  }
  return false
}

/** The first DNAT `--to-destination` as written (`10.0.0.1:80`), undefined for none. */
export function dnatDestinationOf(rule: Rule): string | undefined {
  const facts = simpleLineFacts(rule)
  if (facts) return facts.toStart < 0 ? undefined : spanText(facts.toStart, facts.toEnd) // set for DNAT only
  const typed = rule.target?.typed
  return typed?.kind === 'dnat' && typed.to.length > 0 ? typed.to[0].text : undefined
}

/**
 * Does the rule match every packet? Only comments and `recent --set` (which records the client
 * and always matches) may appear; a match kpx does not decode counts as a condition.
 */
export function matchesEverything(rule: Rule): boolean {
  const facts = simpleLineFacts(rule)
  if (facts) return !facts.conditional
  return rule.matches.every((m) => m.typed?.kind === 'comment' || (m.typed?.kind === 'recent' && m.typed.command === 'set'))
}

/** The first -d criterion, as the decoded rule's `destination` holds it. */
export function destinationOf(rule: Rule): Negatable<string> | undefined {
  const facts = simpleLineFacts(rule)
  if (!facts) return rule.destination
  return facts.destStart < 0 ? undefined : {negated: facts.destNegated, value: spanText(facts.destStart, facts.destEnd)}
}

/** The first -p criterion, lower-cased, as the decoded rule's `protocol` holds it. */
export function protocolCriterionOf(rule: Rule): Negatable<string> | undefined {
  const facts = simpleLineFacts(rule)
  if (!facts) return rule.protocol
  return facts.protoStart < 0 ? undefined : {negated: facts.protoNegated, value: spanText(facts.protoStart, facts.protoEnd).toLowerCase()}
}

/** `--dport` of the first tcp/udp/sctp match that has a plain one (a range gives its start). */
export function firstDestinationPort(rule: Rule): number | undefined {
  const facts = simpleLineFacts(rule)
  if (facts) return facts.dport < 0 ? undefined : facts.dport
  for (const {typed} of rule.matches) {
    if (typed?.kind === 'ports' && typed.dport && !typed.dport.negated) return typed.dport.value.from
  }
  return undefined
}

/**
 * true when the undecoded line shows every `statistic --mode random` probability inside (0, 1]
 * (or none at all); false means "look at the decoded matches", not "out of range".
 */
export function probabilitiesCertainlyInRange(rule: Rule): boolean {
  const facts = simpleLineFacts(rule)
  return facts !== undefined && (!facts.statistic || (facts.probability > 0 && facts.probability <= 1))
}
