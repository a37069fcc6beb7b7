/** Probability arithmetic and the chi-square test, against values worked out by hand or from tables. */
import {expect} from 'chai'
import {effectiveShares, nonUniformRules, quantizeProbability} from '../../../src/lib/checks/probability.js'
import {chiSquareTest, upperRegularizedGamma} from '../../../src/lib/checks/stats.js'

describe('checks: probability arithmetic', () => {
  it('quantises like xt_statistic: round(p·2^31)/2^31, printed back with 11 decimals', () => {
    // kube-proxy's 0.33333 is what iptables-save prints as 0.33332999982.
    expect(quantizeProbability(0.33333).toFixed(11)).to.equal('0.33332999982')
    expect(quantizeProbability(1 / 3).toFixed(11)).to.equal('0.33333333349')
    expect(quantizeProbability(0.5)).to.equal(0.5)
    expect(quantizeProbability(1)).to.equal(1)
    expect(quantizeProbability(0)).to.equal(0)
  })

  it('effective shares: p_i × Π(1 − p_j), the last rule takes the rest', () => {
    const shares = effectiveShares([0.33333333349, 0.5, undefined])
    shares.forEach((s) => expect(s).to.be.closeTo(1 / 3, 1e-9))
    expect(effectiveShares([0.5, 0.5, undefined])).to.deep.equal([0.5, 0.25, 0.25])
    const fallsThrough = effectiveShares([0.5, 0.5])
    expect(fallsThrough.reduce((a, b) => a + b, 0)).to.equal(0.75)
  })

  const table: [string, (number | undefined)[], number[]][] = [
    ['10-decimal 1/3, 1/2 (kube-proxy ≥ 1.26)', [0.33333333349, 0.5, undefined], []],
    ['5-decimal 0.33333, 0.50000 (kube-proxy < 1.26)', [0.33332999982, 0.5, undefined], []],
    ['5-decimal tenth of ten: 0.10000, 0.11111, …', [0.1, 0.11111, 0.125, 0.14286, 0.16667, 0.2, 0.25, 0.33333, 0.5, undefined], []],
    ['0.5 / 0.5 / last', [0.5, 0.5, undefined], [0]],
    ['a statistic missing in the middle', [0.33333333349, undefined, undefined], [1]],
    ['off by 1e-4', [0.3334, 0.5, undefined], [0]],
  ]
  for (const [name, probabilities, bad] of table) {
    it(`uniformity: ${name}`, () => expect(nonUniformRules(probabilities)).to.deep.equal(bad))
  }
})

describe('checks: chi-square test', () => {
  // Critical values at p = 0.05 from the standard table.
  const critical: [number, number][] = [
    [1, 3.841],
    [2, 5.991],
    [5, 11.07],
    [9, 16.919],
  ]
  for (const [df, x] of critical) {
    it(`Q(${df}/2, ${x}/2) ≈ 0.05`, () => expect(upperRegularizedGamma(df / 2, x / 2)).to.be.closeTo(0.05, 5e-4))
  }

  it('fair counts pass, skewed counts fail, with the numbers', () => {
    expect(chiSquareTest([334, 333, 333], [1 / 3, 1 / 3, 1 / 3]).pValue).to.be.above(0.9)
    const skewed = chiSquareTest([900, 100], [0.5, 0.5])
    expect(skewed.statistic).to.equal(640)
    expect(skewed.degreesOfFreedom).to.equal(1)
    expect(skewed.pValue).to.be.below(1e-100)
    expect(skewed.expected).to.deep.equal([500, 500])
  })

  it('traffic where the probabilities allow none is infinitely unlikely', () => {
    expect(chiSquareTest([5, 5], [1, 0]).pValue).to.equal(0)
  })
})
