/**
 * Judges a kpx trace against the kernel's per-rule packet counters for N new connections of
 * one packet. Pure: no I/O, so the judge itself is unit-tested (referee.test.ts).
 *
 * For every rule, kpx's expected share is the summed probability of the outcomes whose path
 * (plus masquerade and verdict rule) contains it. The kernel counted `count` of N first
 * packets. Checks, as issue 3 asks:
 *  (a) a rule kpx puts on the path with an expected count ≥ 5 was counted;
 *  (b) a nat rule in a per-service chain (SVC/SVL/EXT/FW/XLB/SEP) kpx puts off the path was not;
 *  (c) nat rules of per-service chains (endpoint shares included) match N·p within 4σ binomial;
 *  (d) the MASQUERADE/SNAT count matches N·P(masquerade) within 4σ;
 *  (e) a filter DROP/REJECT rule is counted iff kpx predicts it.
 * When outcomes depend on undecided conditions (session affinity, unknown matches), the kernel
 * picks one answer per connection, so shares are not comparable: (c) and (d) become set checks
 * and (a) applies to the rules every outcome shares.
 */
import {classifyChain} from '../../src/lib/kube-proxy/names.js'
import type {TraceOutcome, TraceResult, TraceStep} from '../../src/lib/trace/types.js'
import type {RuleCounters} from '../helpers/netns.js'

export const SIGMAS = 4
const SERVICE_CHAIN_KINDS = new Set(['svc', 'svl', 'ext', 'fw', 'xlb', 'sep'])

export interface Discrepancy {
  check: 'a' | 'b' | 'c' | 'd' | 'e'
  /** table/chain/index */
  rule: string
  text: string
  /** kpx's expected count (N × probability), or -1 when only presence was predicted. */
  predicted: number
  counted: number
  message: string
  /** true when only a statistical tolerance was exceeded (worth one re-run). */
  statistical: boolean
}

interface Prediction {
  share: number
  text: string
  inEveryOutcome: boolean
}

function stepKey(step: Pick<TraceStep, 'table' | 'chain' | 'rule'>): string {
  return `${step.table}/${step.chain}/${step.rule}`
}

function outcomeSteps(outcome: TraceOutcome): TraceStep[] {
  const extra = [outcome.masqueradeRule, outcome.verdictRule].filter((s): s is TraceStep => Boolean(s))
  return [...outcome.path, ...extra].filter((step) => step.rule > 0)
}

/** Rule key → summed probability of the outcomes that pass through it. */
export function predictRules(trace: Pick<TraceResult, 'outcomes'>): Map<string, Prediction> {
  const predictions = new Map<string, Prediction>()
  const perOutcome = trace.outcomes.map((outcome) => new Map(outcomeSteps(outcome).map((step) => [stepKey(step), step])))
  perOutcome.forEach((steps, i) => {
    for (const [key, step] of steps) {
      const prev = predictions.get(key)
      const inEveryOutcome = perOutcome.every((other) => other.has(key))
      predictions.set(key, {share: (prev?.share ?? 0) + trace.outcomes[i].probability, text: step.text, inEveryOutcome})
    }
  })
  return predictions
}

export function hasUndecidedConditions(trace: Pick<TraceResult, 'outcomes'>): boolean {
  return trace.outcomes.some((outcome) => (outcome.conditions?.length ?? 0) > 0)
}

/** |counted − N·p| within SIGMAS binomial standard deviations (plus half a packet for p ∈ {0,1}). */
export function withinBinomial(counted: number, n: number, p: number): boolean {
  const q = Math.min(1, Math.max(0, p))
  return Math.abs(counted - n * q) <= SIGMAS * Math.sqrt(n * q * (1 - q)) + 0.5
}

function isServiceNatRule(table: string, chain: string): boolean {
  return table === 'nat' && SERVICE_CHAIN_KINDS.has(classifyChain(chain))
}

function isMasqueradeRule(text: string): boolean {
  return /-j (MASQUERADE|SNAT)\b/.test(text)
}

function isFilterVerdict(table: string, text: string): boolean {
  return table === 'filter' && /-j (DROP|REJECT)\b/.test(text)
}

export function judge(trace: Pick<TraceResult, 'outcomes'>, delta: RuleCounters, n: number): Discrepancy[] {
  const predictions = predictRules(trace)
  const undecided = hasUndecidedConditions(trace)
  const found: Discrepancy[] = []
  const report = (d: Omit<Discrepancy, 'statistical'> & {statistical?: boolean}) => found.push({statistical: false, ...d})
  const masqShare = trace.outcomes.filter((o) => o.masquerade).reduce((sum, o) => sum + o.probability, 0)
  const namesMasqueradeRules = trace.outcomes.some((o) => o.masqueradeRule)

  for (const [key, count] of Object.entries(delta)) {
    const predicted = predictions.get(key)
    const counted = count.packets
    const expected = predicted ? n * predicted.share : 0
    const base = {rule: key, text: count.raw, predicted: predicted ? expected : 0, counted}
    if (predicted && counted === 0 && expected >= 5 && (!undecided || predicted.inEveryOutcome)) {
      report({...base, check: 'a', message: 'on kpx\'s path but never counted by the kernel'})
    }
    if (!predicted && counted > 0 && isServiceNatRule(count.table, count.chain)) {
      report({...base, check: 'b', message: 'counted by the kernel but off kpx\'s path'})
    }
    if (predicted && !undecided && isServiceNatRule(count.table, count.chain) && !withinBinomial(counted, n, predicted.share)) {
      report({...base, check: 'c', statistical: true, message: `share ${(counted / n).toFixed(4)} vs kpx ${predicted.share.toFixed(4)} (> ${SIGMAS}σ)`})
    }
    if (count.table === 'nat' && isMasqueradeRule(count.raw)) {
      // The share of outcomes naming this rule; only when kpx names no rule at all does the
      // bare masquerade flag stand in for it.
      const share = predicted ? predicted.share : namesMasqueradeRules ? 0 : masqShare
      judgeMasquerade(base, share, n, undecided, report)
    }
    if (isFilterVerdict(count.table, count.raw) && counted > 0 !== Boolean(predicted)) {
      report({...base, predicted: predicted ? expected : 0, check: 'e', message: predicted ? 'kpx predicts this DROP/REJECT, the kernel never hit it' : 'the kernel dropped/rejected here, kpx did not predict it'})
    }
  }
  return found
}

function judgeMasquerade(
  base: Omit<Discrepancy, 'check' | 'message' | 'statistical'>,
  masqShare: number,
  n: number,
  undecided: boolean,
  report: (d: Omit<Discrepancy, 'statistical'> & {statistical?: boolean}) => void,
): void {
  const counted = base.counted
  const predicted = n * masqShare
  if (undecided) {
    if (counted > 0 && masqShare === 0) report({...base, predicted, check: 'd', message: 'kernel masqueraded, kpx never does'})
    return
  }
  if (!withinBinomial(counted, n, masqShare)) {
    report({...base, predicted, check: 'd', statistical: masqShare > 0 && masqShare < 1, message: `masquerade share ${(counted / n).toFixed(4)} vs kpx ${masqShare.toFixed(4)}`})
  }
}

/** A readable table of discrepancies for assertion messages. */
export function formatDiscrepancies(title: string, found: Discrepancy[]): string {
  const lines = found.map((d) => `  (${d.check}) ${d.rule}: ${d.message}\n      predicted ${d.predicted === -1 ? 'yes' : d.predicted.toFixed(1)}, counted ${d.counted}\n      ${d.text}`)
  return `${title}\n${lines.join('\n')}`
}
