/**
 * The rules view reads a lazily parsed dump from the parser's scanned lines, making no rule
 * objects (parse/scanned-lines.ts, checks/rule-lines.ts). Here the whole view read so is held
 * equal to the view read from parsed rules (every chain's rules made first), on the corpus,
 * the examples, a generated kube-proxy dump, and variants written to leave the fast path
 * (counters, escapes, garbage, a jump to a missing chain, rules the line reader cannot read).
 * The parse's issues must match too: the scanned path may not let a problem through.
 */
import {expect} from 'chai'
import sinon from 'sinon'
// @ts-expect-error -- plain JS generator without type declarations (bench/generate-dump.js)
import {generateKubeProxyDump} from '../../../bench/generate-dump.js'
import {buildRulesView, type RulesView} from '../../../src/lib/checks/rules-view.js'
import {DeferredChain} from '../../../src/lib/parse/deferred-chain.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import type {IptablesDump, Rule} from '../../../src/lib/parse/types.js'
import {corpusAndExampleDumps} from './helpers.js'

const where = (rule: Rule | undefined) => (rule ? `${rule.table} ${rule.chain} #${rule.index} line ${rule.line}` : undefined)

/** Everything the view holds, as plain data (rules by their place, so both paths compare). */
function summary(view: RulesView): unknown {
  return {
    ruleCount: view.ruleCount,
    cascades: view.cascades.map((c) => ({
      chain: c.chain,
      kind: c.kind,
      servicePort: c.servicePort,
      affinity: c.affinity,
      jumps: c.jumps.map((j) => [j.sepChain, j.probability, j.endpoint, j.index, j.packets, where(j.rule)]),
    })),
    endpointChains: [...view.endpointChains.values()].map((e) => [view.endpointChains.get(e.chain) === e, e.chain, e.servicePort, e.claimed, e.endpoint, e.used, where(e.dnatRule)]),
    chainService: [...view.chainService],
    commentService: [...view.commentService],
    servicePorts: [...view.servicePorts].sort(), // a set: its order tells nothing
    serviceRules: view.serviceRules.map((s) => [s.target, s.servicePort, s.address, s.port, s.protocol, where(s.rule)]),
    noEndpointRules: view.noEndpointRules.map((n) => [n.servicePort, n.local, where(n.rule)]),
    unsettled: view.unsettledStatisticRules.map(where),
    unknownTargets: [...view.unknownTargets],
    unused: view.unusedServiceChains.map((c) => c.name),
    blocked: view.blockedChains.map((b) => `${b.table} ${b.chain.name} ${b.stop}`),
  }
}

/** Family given, so the parser defers rule lines (as `kpx check` parses a node's rules). */
const parse = (text: string): IptablesDump => parseRules(text, {lazy: true, family: 4})

function viewFromRules(text: string): {view: unknown; issues: unknown} {
  const dump = parse(text)
  for (const table of dump.tables) for (const chain of table.chains) void chain.rules // every rule made first
  const view = buildRulesView(dump)
  return {issues: [...dump.issues], view: summary(view)}
}

function viewFromLines(text: string): {view: unknown; issues: unknown; scanned: number} {
  const dump = parse(text)
  const spy = sinon.spy(DeferredChain.prototype, 'scanLines')
  try {
    const view = buildRulesView(dump)
    // The issues as the view left them: the summary below makes the rules it points at.
    const issues = [...dump.issues]
    return {issues, view: summary(view), scanned: spy.returnValues.filter(Boolean).length}
  } finally {
    spy.restore()
  }
}

function realDumps(): [string, string][] {
  const dumps = corpusAndExampleDumps()
  dumps.push(['generated', generateKubeProxyDump({services: 60, endpointsPerService: 4, seed: 7}) as string])
  return dumps
}

const GENERATED = generateKubeProxyDump({services: 30, endpointsPerService: 3, seed: 3}) as string
/** Adds `[packets:bytes]` to every rule line, packets varying. */
const withCounters = (text: string) => {
  let n = 0
  return text.replace(/^-A /gm, () => `[${(n++ * 7919) % 1000}:${n * 100}] -A `)
}
/** Replaces the first line matching `pattern` with `line`(old line). */
const editFirst = (text: string, pattern: RegExp, edit: (line: string) => string) => {
  const lines = text.split('\n')
  const k = lines.findIndex((l) => pattern.test(l))
  if (k < 0) throw new Error(`no line matches ${pattern}`)
  lines[k] = edit(lines[k])
  return lines.join('\n')
}

// Each variant sends some chains (or all) down the rules path; the view must not tell.
const VARIANTS: [string, string][] = [
  ['counters on every line', withCounters(GENERATED)],
  ['an escaped quote in a SEP comment', editFirst(GENERATED, /^-A KUBE-SEP-.*KUBE-MARK-MASQ/, (l) => l.replace(/--comment "([^"]*)"/, '--comment "$1 \\"x\\""'))],
  ['a tab in a cascade rule', editFirst(GENERATED, /^-A KUBE-SVC-.*--probability/, (l) => l.replace(' -m statistic', '\t-m statistic'))],
  ['binary garbage in a SEP rule', editFirst(GENERATED, /^-A KUBE-SEP-.*DNAT/, (l) => l.replace('DNAT', 'DNAT\u0001'))],
  ['a cascade jump to a missing chain', editFirst(GENERATED, /^-A KUBE-SVC-.*--probability/, (l) => l.replace(/KUBE-SEP-\w+$/, 'KUBE-SEP-MISSINGMISSING00'))],
  ['a probability out of range', editFirst(GENERATED, /^-A KUBE-SVC-.*--probability/, (l) => l.replace(/--probability \S+/, '--probability 1.5'))],
  ['a probability that is no number', editFirst(GENERATED, /^-A KUBE-SVC-.*--probability/, (l) => l.replace(/--probability \S+/, '--probability x'))],
  ['a DNAT the line reader leaves to the decoder', editFirst(GENERATED, /^-A KUBE-SEP-.*DNAT/, (l) => l + ' --persistent')],
  ['an unconditional jump hiding the rest', editFirst(GENERATED, /^-A KUBE-SVC-.*--probability/, (l) => l.replace(/-m statistic --mode random --probability \S+ /, ''))],
  ['a goto in KUBE-SERVICES', editFirst(GENERATED, /^-A KUBE-SERVICES /, (l) => l.replace(' -j ', ' -g '))],
  ['CRLF line ends', GENERATED.replace(/\n/g, '\r\n')],
]

describe('checks: the rules view from scanned lines equals the view from parsed rules', () => {
  it('on every corpus dump, example and a generated dump, reading most chains as lines', () => {
    let scanned = 0
    for (const [name, text] of realDumps()) {
      const fromLines = viewFromLines(text)
      expect(fromLines.view, name).to.deep.equal(viewFromRules(text).view)
      expect(fromLines.issues, name).to.deep.equal(viewFromRules(text).issues)
      scanned += fromLines.scanned
    }
    expect(scanned, 'chains read as scanned lines').to.be.greaterThan(500)
  })

  for (const [name, text] of VARIANTS) {
    it(`with ${name}`, () => {
      const fromLines = viewFromLines(text)
      const fromRules = viewFromRules(text)
      expect(fromLines.view).to.deep.equal(fromRules.view)
      expect(fromLines.issues).to.deep.equal(fromRules.issues)
      // (Past binary garbage the parser stops trusting ranges of text: later chains are read as rules.)
      expect(fromLines.scanned, 'chains still read as lines').to.be.greaterThan(name.includes('garbage') ? 10 : 50)
    })
  }

  it('the variants differ from the generated dump where they should', () => {
    const base = viewFromLines(GENERATED)
    expect(base.issues).to.deep.equal([])
    const issues = (name: string) => (viewFromLines(VARIANTS.find(([n]) => n === name)![1]).issues as {code: string}[]).map((i) => i.code)
    expect(issues('binary garbage in a SEP rule')).to.deep.equal(['binary-garbage'])
    expect(issues('a cascade jump to a missing chain')).to.deep.equal(['missing-jump-target'])
    const packets = (viewFromLines(VARIANTS[0][1]).view as {cascades: {jumps: unknown[][]}[]}).cascades.flatMap((c) => c.jumps.map((j) => j[4]))
    expect(packets.length).to.be.greaterThan(50)
    expect(packets.every((p) => typeof p === 'number')).to.equal(true)
    const unsettled = (viewFromLines(VARIANTS[5][1]).view as {unsettled: string[]}).unsettled
    expect(unsettled).to.have.length(1)
    const blocked = (viewFromLines(VARIANTS[8][1]).view as {blocked: string[]}).blocked
    expect(blocked.some((b) => b.startsWith('nat KUBE-SVC-'))).to.equal(true)
  })
})
