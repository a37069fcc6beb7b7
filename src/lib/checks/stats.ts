/**
 * Pearson's chi-square goodness-of-fit test, for "do these packet counters fit these
 * probabilities?". Pure numerics, no dependencies: the p-value is the regularised upper
 * incomplete gamma function Q(df/2, x/2) (Numerical Recipes' series / continued fraction).
 */

export interface ChiSquareResult {
  statistic: number
  degreesOfFreedom: number
  pValue: number
  total: number
  expected: number[]
}

/** Observed counts against expected shares (which must sum to ~1). */
export function chiSquareTest(observed: number[], shares: number[]): ChiSquareResult {
  const total = observed.reduce((a, b) => a + b, 0)
  const expected = shares.map((s) => s * total)
  let statistic = 0
  observed.forEach((o, i) => {
    const e = expected[i]
    if (e > 0) statistic += ((o - e) * (o - e)) / e
    else if (o > 0) statistic = Infinity // traffic where none can go
  })
  const degreesOfFreedom = Math.max(1, shares.filter((s) => s > 0).length - 1)
  const pValue = statistic === Infinity ? 0 : upperRegularizedGamma(degreesOfFreedom / 2, statistic / 2)
  return {statistic, degreesOfFreedom, pValue, total, expected}
}

/** Q(a, x) = Γ(a, x) / Γ(a). */
export function upperRegularizedGamma(a: number, x: number): number {
  if (x <= 0) return 1
  if (x < a + 1) return 1 - lowerSeries(a, x)
  return upperContinuedFraction(a, x)
}

const EPSILON = 1e-15
const MAX_ITERATIONS = 1000

function lowerSeries(a: number, x: number): number {
  let term = 1 / a
  let sum = term
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n)
    sum += term
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a))
}

/** Lentz's method for the continued fraction of Γ(a, x). */
function upperContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < EPSILON) break
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h
}

/** Lanczos approximation (g = 7, n = 9), accurate to ~15 digits for a > 0. */
function logGamma(a: number): number {
  const g = 7
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a)
  const z = a - 1
  let sum = coefficients[0]
  for (let i = 1; i < g + 2; i++) sum += coefficients[i] / (z + i)
  const t = z + g + 0.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}
