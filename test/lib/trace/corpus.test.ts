/**
 * kube-proxy's own packet-flow expectations (../shared/corpus), replayed through kpx's kernel-
 * faithful evaluator: same endpoint set, same DROP/REJECT/ACCEPT, same masquerade decision.
 */
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {parseRules} from '../../../src/lib/parse/index.js'
import {evaluatePacket} from '../../../src/lib/trace/iptables.js'
import type {Protocol, TraceOutcome} from '../../../src/lib/trace/types.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const CORPUS = CORPUS_DIR

interface FlowCase {
  name: string
  sourceIP: string
  protocol: Protocol
  destIP: string
  destPort: number
  expectedOutput: string
  expectedMasq: boolean
}

/** What kube-proxy's tracer would print for our outcomes. */
function asKubeProxyOutput(outcomes: TraceOutcome[]): string {
  if (outcomes.every((o) => o.verdict === 'DROP')) return 'DROP'
  if (outcomes.every((o) => o.verdict === 'REJECT')) return 'REJECT'
  if (outcomes.every((o) => o.verdict === 'ACCEPT')) return outcomes.some((o) => o.verdictRule) ? 'ACCEPT' : ''
  return [...new Set(outcomes.map((o) => o.endpoint ?? o.verdict))].sort().join(', ')
}

function describe_(outcomes: TraceOutcome[]): string {
  return outcomes
    .map((o) => `  ${o.verdict} ${o.endpoint ?? ''} p=${o.probability} masq=${o.masquerade}\n` + o.path.map((s) => `    ${s.hook} ${s.table}/${s.chain}#${s.rule} (line ${s.line}): ${s.text}`).join('\n'))
    .join('\n')
}

const files = readdirSync(CORPUS).filter((f) => f.endsWith('.cases.json')).sort()

describe('trace: kube-proxy corpus packet flows', () => {
  it('has the corpus', () => expect(files.length).to.be.greaterThan(10))
  for (const file of files) {
    const base = file.replace(/\.cases\.json$/, '')
    const spec = JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as {nodeIPs: string[]; cases: FlowCase[]}
    describe(base, () => {
      const dump = parseRules(readFileSync(join(CORPUS, `${base}.rules`), 'utf8'))
      for (const c of spec.cases) {
        it(`${c.name}: ${c.sourceIP} -> ${c.destIP}:${c.destPort}/${c.protocol}`, () => {
          const packet = {src: c.sourceIP, dst: c.destIP, proto: c.protocol, dport: c.destPort}
          const {outcomes} = evaluatePacket(dump, packet, {localAddresses: spec.nodeIPs})
          const why = `\n${describe_(outcomes)}`
          const expected = c.expectedOutput.split(', ').sort().join(', ')
          expect(asKubeProxyOutput(outcomes), why).to.equal(expected)
          const total = outcomes.reduce((sum, o) => sum + o.probability, 0)
          expect(total, why).to.be.closeTo(1, 1e-9)
          for (const o of outcomes) expect(o.masquerade, `masquerade${why}`).to.equal(c.expectedMasq)
        })
      }
    })
  }
})
