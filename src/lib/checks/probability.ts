/**
 * Probability arithmetic for kube-proxy's `statistic --mode random` cascades.
 *
 * Netfilter facts (xt_statistic): iptables stores `--probability p` as the u32
 * `lround(p * 2^31)` and a packet matches when `(random_u32 & 0x7FFFFFFF) < stored`, so the
 * probability the kernel applies is `round(p * 2^31) / 2^31`; iptables-save prints it back with
 * 11 decimals (kube-proxy's 0.33333 comes back as 0.33332999982).
 */

const TWO_POW_31 = 2 ** 31

/** The probability the kernel actually applies for a configured `p` (one definition, the tracer's). */
export {quantizeProbability} from '../trace/matches.js'
import {quantizeProbability} from '../trace/matches.js'

/**
 * Tolerance for "this rule carries kube-proxy's 1/(n-i)". kube-proxy wrote `%0.5f` before 1.26
 * and `%0.10f` since, so a healthy value may be off by half a unit in the 5th decimal; the
 * kernel's 2^-31 step and iptables-save's 11 printed decimals add a little on top.
 */
export const UNIFORM_TOLERANCE = 0.5e-5 + 2 / TWO_POW_31

/** `p` of each rule in cascade order; `undefined` for a rule without a statistic match. */
export type CascadeProbabilities = (number | undefined)[]

/**
 * The share of new connections each rule of a cascade receives: rule i gets
 * q_i × Π_{j<i}(1 − q_j); a rule without a statistic match takes everything that is left.
 * The shares sum to less than 1 when the last rule still has a statistic (traffic falls through).
 */
export function effectiveShares(probabilities: CascadeProbabilities): number[] {
  let remaining = 1
  return probabilities.map((p) => {
    const q = p === undefined ? 1 : quantizeProbability(p)
    const share = remaining * q
    remaining -= share
    return share
  })
}

/** The probability kube-proxy gives rule i of an n-endpoint cascade: 1/(n−i), the last none. */
export function uniformProbability(index: number, count: number): number | undefined {
  return index === count - 1 ? undefined : 1 / (count - index)
}

/** Rules whose probability is not kube-proxy's uniform 1/(n−i) within the tolerance. */
export function nonUniformRules(probabilities: CascadeProbabilities): number[] {
  const count = probabilities.length
  const bad: number[] = []
  probabilities.forEach((p, i) => {
    const want = uniformProbability(i, count)
    if (want === undefined) return // the last rule's statistic is another check's business
    if (p === undefined || Math.abs(p - want) > UNIFORM_TOLERANCE) bad.push(i)
  })
  return bad
}

/** `0.3333333333` → `33.3%`, for messages. */
export function formatShare(share: number): string {
  const percent = share * 100
  return `${percent >= 10 || percent === 0 ? percent.toFixed(1) : percent.toPrecision(2)}%`
}
