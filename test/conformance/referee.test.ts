/**
 * The judge must be able to say no: fabricated traces and counters for each check (a)-(e).
 * Pure, needs no root.
 */
import {expect} from 'chai'

import type {TraceOutcome, TraceStep} from '../../src/lib/trace/types.js'
import type {RuleCounters} from '../helpers/netns.js'
import {judge, withinBinomial} from './referee.js'

const SVC = 'KUBE-SVC-AAAAAAAAAAAAAAAA'
const SEP1 = 'KUBE-SEP-1111111111111111'
const SEP2 = 'KUBE-SEP-2222222222222222'

function step(table: string, chain: string, rule: number, text: string): TraceStep {
  return {hook: 'PREROUTING', table, chain, rule, line: 0, text, matched: '', probability: 1}
}

const toSvc = step('nat', 'KUBE-SERVICES', 1, `-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j ${SVC}`)
const toSep1 = step('nat', SVC, 1, `-A ${SVC} -m statistic --mode random --probability 0.5 -j ${SEP1}`)
const toSep2 = step('nat', SVC, 2, `-A ${SVC} -j ${SEP2}`)
const dnat1 = step('nat', SEP1, 1, `-A ${SEP1} -p tcp -j DNAT --to-destination 10.1.0.1:80`)
const dnat2 = step('nat', SEP2, 1, `-A ${SEP2} -p tcp -j DNAT --to-destination 10.1.0.2:80`)
const reject = step('filter', 'KUBE-SERVICES', 1, '-A KUBE-SERVICES -d 10.96.0.9/32 -p tcp -j REJECT')
const masq = step('nat', 'KUBE-POSTROUTING', 3, '-A KUBE-POSTROUTING -j MASQUERADE')

function outcome(path: TraceStep[], probability: number, extra: Partial<TraceOutcome> = {}): TraceOutcome {
  const last = path.at(-1)!
  return {verdict: 'DNAT', endpoint: null, probability, masquerade: false, masqueradeRule: null, assumptions: [], path, verdictRule: last, ...extra}
}

function counters(entries: [TraceStep, number][]): RuleCounters {
  const out: RuleCounters = {}
  for (const [s, packets] of entries) out[`${s.table}/${s.chain}/${s.rule}`] = {table: s.table, chain: s.chain, index: s.rule, packets, bytes: packets * 60, raw: s.text}
  return out
}

const split = [outcome([toSvc, toSep1, dnat1], 0.5), outcome([toSvc, toSep2, dnat2], 0.5)]
const N = 1000

describe('conformance referee', () => {
  it('accepts counters that match the predicted shares', () => {
    const delta = counters([[toSvc, N], [toSep1, 510], [toSep2, 490], [dnat1, 510], [dnat2, 490], [reject, 0], [masq, 0]])
    expect(judge({outcomes: split}, delta, N)).to.deep.equal([])
  })

  const table: {name: string; delta: [TraceStep, number][]; outcomes?: TraceOutcome[]; check: string}[] = [
    {name: '(a) a predicted rule never counted', delta: [[toSvc, 0], [toSep1, 0], [toSep2, 0], [dnat1, 0], [dnat2, 0]], check: 'a'},
    {name: '(b) an off-path service rule counted', outcomes: [outcome([toSvc, toSep2, dnat2], 1)], delta: [[toSvc, N], [toSep1, 3], [toSep2, N], [dnat2, N]], check: 'b'},
    {name: '(c) endpoint shares beyond 4σ', delta: [[toSvc, N], [toSep1, 700], [toSep2, 300], [dnat1, 700], [dnat2, 300]], check: 'c'},
    {name: '(d) masquerade counted but not predicted', delta: [[toSvc, N], [toSep1, 500], [toSep2, 500], [dnat1, 500], [dnat2, 500], [masq, N]], check: 'd'},
    {
      name: '(d) masquerade predicted but not counted',
      outcomes: split.map((o) => ({...o, masquerade: true, masqueradeRule: masq})),
      delta: [[toSvc, N], [toSep1, 500], [toSep2, 500], [dnat1, 500], [dnat2, 500], [masq, 0]],
      check: 'd',
    },
    {name: '(e) a REJECT the trace does not predict', delta: [[toSvc, N], [toSep1, 500], [toSep2, 500], [dnat1, 500], [dnat2, 500], [reject, 4]], check: 'e'},
    {
      name: '(e) a predicted REJECT the kernel never hit',
      outcomes: [outcome([reject], 1, {verdict: 'REJECT'})],
      delta: [[reject, 0]],
      check: 'e',
    },
  ]
  for (const row of table) {
    it(`flags ${row.name}`, () => {
      const found = judge({outcomes: row.outcomes ?? split}, counters(row.delta), N)
      expect(found.map((d) => d.check)).to.include(row.check)
    })
  }

  it('with session-affinity forks, accepts one endpoint taking every connection', () => {
    const cond = {key: 'affinity', holds: false, text: 'no affinity'}
    const forked = split.map((o) => ({...o, conditions: [cond]}))
    const delta = counters([[toSvc, N], [toSep1, N], [toSep2, 0], [dnat1, N], [dnat2, 0]])
    expect(judge({outcomes: forked}, delta, N)).to.deep.equal([])
  })

  it('withinBinomial uses 4 standard deviations', () => {
    // n=1000, p=0.5: σ ≈ 15.8, so ±63 passes and ±70 fails.
    expect(withinBinomial(563, 1000, 0.5)).to.equal(true)
    expect(withinBinomial(570, 1000, 0.5)).to.equal(false)
    expect(withinBinomial(1000, 1000, 1)).to.equal(true)
    expect(withinBinomial(999, 1000, 1)).to.equal(false)
  })
})
