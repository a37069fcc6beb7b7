/**
 * The fast readers of rule-facts.ts answer from the undecoded line (line-facts.ts) when it has
 * kube-proxy's plain shape. They must answer exactly what the decoded rule says, and they may
 * only skip decoding a line the decoder would accept without an issue (else a bad value would go
 * unreported). Checked rule by rule on every corpus dump, every example, a generated large dump
 * and hand-written lines at the edges of the simple shape.
 */
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
// @ts-expect-error plain ESM JavaScript without type declarations
import {generateKubeProxyDump} from '../../../bench/generate-dump.js'
import {simpleLineFacts} from '../../../src/lib/kube-proxy/line-facts.js'
import {
  destinationOf,
  dnatDestinationOf,
  firstDestinationPort,
  isAffinityCheck,
  matchesEverything,
  probabilitiesCertainlyInRange,
  protocolCriterionOf,
  randomProbabilityOf,
} from '../../../src/lib/kube-proxy/rule-facts.js'
import {LazyRule, parseRuleLine, parseRules} from '../../../src/lib/parse/index.js'
import type {ParseIssue, Rule} from '../../../src/lib/parse/types.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const REPO = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', '..')

/** Every answer the fast readers give, in one comparable record. */
function factsOf(rule: Rule) {
  return {
    probability: randomProbabilityOf(rule),
    affinity: isAffinityCheck(rule),
    dnat: dnatDestinationOf(rule),
    everything: matchesEverything(rule),
    destination: destinationOf(rule),
    protocol: protocolCriterionOf(rule),
    dport: firstDestinationPort(rule),
  }
}

/** The readers on the undecoded rule, then on the same rule decoded (which takes the typed path). */
function compareRule(rule: LazyRule): {simple: boolean; issues: ParseIssue[]} {
  expect(rule.decoded, `line ${rule.line} decoded too early`).to.equal(false)
  const simple = simpleLineFacts(rule) !== undefined
  const inRange = probabilitiesCertainlyInRange(rule)
  const fast = factsOf(rule)
  const issues: ParseIssue[] = []
  parseRuleLine(rule.raw, rule.raw.indexOf('-A'), {table: rule.table, line: rule.line, issues})
  rule.decode()
  const decoded = factsOf(rule)
  expect(fast, `line ${rule.line}: ${rule.raw}`).to.deep.equal(decoded)
  if (inRange) expect(decoded.probability === undefined || (decoded.probability > 0 && decoded.probability <= 1), rule.raw).to.equal(true)
  return {simple, issues}
}

/** The chains whose every rule `kpx check` reads: these must all take the fast path. */
const PER_SERVICE_CHAIN = /^KUBE-(SVC|SVL|SEP|EXT|FW|XLB)-|^KUBE-SERVICES$/

/** Compares every rule of a dump; returns the per-Service rules and how many of them took the fast path. */
function compareDump(text: string, origin: string): {rules: number; simple: number} {
  const dump = parseRules(text, {lazy: true})
  let rules = 0
  let simple = 0
  for (const table of dump.tables) {
    for (const chain of table.chains) {
      const perService = table.name === 'nat' && PER_SERVICE_CHAIN.test(chain.name)
      for (const rule of chain.rules) {
        if (!(rule instanceof LazyRule)) continue
        const result = compareRule(rule)
        if (perService) rules++
        if (!result.simple) continue
        if (perService) simple++
        expect(result.issues, `${origin}:${rule.line} read fast but the decoder reports an issue`).to.deep.equal([])
      }
    }
  }
  return {rules, simple}
}

function examplesDumps(): [string, string][] {
  const dumps: [string, string][] = []
  for (const example of readdirSync(join(REPO, 'examples'))) {
    const nodes = join(REPO, 'examples', example, 'nodes')
    let names: string[] = []
    try {
      names = readdirSync(nodes)
    } catch {
      continue // not a snapshot
    }
    for (const node of names) {
      for (const file of ['iptables-save.txt', 'ip6tables-save.txt']) {
        try {
          dumps.push([`examples/${example}/${node}/${file}`, readFileSync(join(nodes, node, file), 'utf8')])
        } catch {
          // the node has no such file
        }
      }
    }
  }
  return dumps
}

/** One line as a one-rule nat dump. */
function natDump(line: string): string {
  const chain = /^(?:\[\d+:\d+\] )?-A (\S+)/.exec(line)?.[1] ?? 'KUBE-X'
  return `*nat\n:${chain} - [0:0]\n:KUBE-SEP-A - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n${line}\nCOMMIT\n`
}

/** Lines at the edges of the simple shape: each must give the decoder's answers, fast or not. */
const EDGE_LINES: {line: string; simple: boolean}[] = [
  {line: '-A KUBE-SVC-X -m comment --comment "ns/s:p -> 10.0.0.1:80" -m statistic --mode random --probability 0.25 -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m statistic --mode random --probability 0.5 -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m statistic --probability 0.5 -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m statistic --mode random -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m comment --comment "ns/s:p" -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -j KUBE-SEP-A', simple: true},
  {line: '[12:3400] -A KUBE-SVC-X -m statistic --mode random --probability 0.5 -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X   -m comment --comment ns/s:p  -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m comment --comment "" -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m comment --comment "ns/s:p" -m recent --name KUBE-SEP-A --mask 255.255.255.255 --rsource --rcheck --seconds 10800 --reap -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m recent --name KUBE-SEP-A --update --seconds 10 -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SEP-A -m comment --comment "ns/s:p" -m recent --set --name KUBE-SEP-A --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.0.0.1:80', simple: true},
  {line: '-A KUBE-SEP-A -p tcp -m comment --comment "ns/s:p" -m tcp -j DNAT --to-destination 10.0.0.1:80', simple: true},
  {line: '-A KUBE-SEP-A -p udp -m udp -j DNAT --to-destination [fd00::1]:53', simple: true},
  {line: '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.0.0.1:80 --to-destination 10.0.0.2:80', simple: true},
  {line: '-A KUBE-SEP-A -p TCP -m tcp -j DNAT --random --to-destination 10.0.0.1:80 --persistent', simple: true},
  {line: '-A KUBE-SEP-A -s 10.0.0.1/32 -m comment --comment "ns/s:p" -j KUBE-MARK-MASQ', simple: true},
  {line: '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-X', simple: true},
  {line: '-A KUBE-SERVICES ! -d 10.96.0.1/32 ! -p tcp -m tcp --dport 443 -j KUBE-SVC-X', simple: true},
  {line: '-A KUBE-SERVICES -d 10.96.0.1 -p sctp -m sctp --dport 0 -j KUBE-SVC-X', simple: true},
  {line: '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS', simple: true},
  {line: '-A KUBE-SERVICES -d 10.96.0.9/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable', simple: true},
  {line: '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000', simple: true},
  {line: '-A KUBE-POSTROUTING -j MASQUERADE --random-fully', simple: true},
  {line: '-A KUBE-POSTROUTING -m mark --mark 0x4000/0x4000 -j RETURN', simple: true},
  {line: '-A KUBE-X -i eth0 -o eth1 -g KUBE-SEP-A', simple: true},
  {line: '-A KUBE-X -m comment --comment a -m comment --comment b -j ACCEPT', simple: true},
  {line: '-A KUBE-SVC-X -m comment -j KUBE-SEP-A', simple: true},
  // The one-regexp shapes (line-shapes.ts), with comments that imitate the words around them.
  {line: '-A KUBE-SVC-X -m comment --comment "a -m statistic --mode random --probability 0.5 -j KUBE-SEP-B" -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m comment --comment "x --probability 0.7 -j Y" -m statistic --mode random --probability 0.2 -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SEP-A -p udp -m comment --comment "-j DNAT --to-destination 1.2.3.4:5 -p x" -m udp -j DNAT --to-destination 10.0.0.9:53', simple: true},
  {line: '[5:300] -A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.0.0.1:80', simple: true},
  {line: '-A KUBE-SEP-A -p tcp -m comment --comment ns/s:p -m tcp -j DNAT --to-destination [fd00::1]:8080', simple: true},
  {line: '-A KUBE-SVC-X -m statistic --mode random --probability 1 -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m statistic --mode random --probability 0 -j KUBE-SEP-A', simple: true},
  {line: '-A KUBE-SVC-X -m statistic --mode random --probability .5 -j KUBE-SEP-A', simple: true},
  // Outside the simple shape: the decoder answers (and reports what it finds wrong).
  {line: '-A KUBE-SVC-X -m statistic --mode random --probability -0.5 -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m statistic --mode random --probability 0.5\u00a0 -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SEP-A -p ! tcp -m tcp -j DNAT --to-destination 10.0.0.1:80', simple: false},
  {line: '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.0.0.1:80:90', simple: false},
  {line: '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination -1', simple: false},
  {line: '-A KUBE-SVC-X -m comment --comment -x -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m statistic --mode random --probability 1.5 -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m statistic --mode random --probability abc -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m statistic --mode nth --every 2 --packet 0 -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m statistic ! --probability 0.5 -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m statistic --probability 0.5 -m statistic --probability 0.25 -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m comment --comment "say \\"hi\\"" -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m comment --comment "a" "b" -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m comment --comment x"y z" -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-X -m comment --comment "a" -m comment --comment "b" -j ACCEPT', simple: false},
  {line: '-A KUBE-SVC-X\t-j KUBE-SEP-A', simple: false},
  {line: '-I KUBE-SVC-X 1 -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m recent --name A --seconds x1 --rcheck -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SVC-X -m recent ! --rcheck --name A -j KUBE-SEP-A', simple: false},
  {line: '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp --dport 443 -j KUBE-SVC-X', simple: false},
  {line: '-A KUBE-SERVICES -p tcp -m tcp -d 10.96.0.1/32 --dport 443 -j KUBE-SVC-X', simple: false},
  {line: '-A KUBE-SERVICES -p tcp -m tcp --dport 80:90 -j KUBE-SVC-X', simple: false},
  {line: '-A KUBE-SERVICES -p tcp -m tcp --dport 99999 -j KUBE-SVC-X', simple: false},
  {line: '-A KUBE-SERVICES -p tcp -m tcp ! --dport 80 -j KUBE-SVC-X', simple: false},
  {line: '-A KUBE-SERVICES -p tcp -m multiport --dports 80,443 -j KUBE-SVC-X', simple: false},
  {line: '-A KUBE-SERVICES -d ! 10.96.0.1/32 -j KUBE-SVC-X', simple: false},
  {line: '-A KUBE-SERVICES -m addrtype --dst-type LOCAL, -j KUBE-NODEPORTS', simple: false},
  {line: '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.0.0.300:80', simple: false},
  {line: '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination', simple: false},
  {line: '-A KUBE-SEP-A -j DNAT --to-destination 10.0.0.1:80 extra', simple: false},
  {line: '-A KUBE-SEP-A -j SNAT --to-source 10.0.0.1', simple: false},
  {line: '-A KUBE-SEP-A -j KUBE-MARK-MASQ --weird', simple: false},
  {line: '-A KUBE-MARK-MASQ -j MARK --set-xmark 0xzz', simple: false},
  {line: '-A KUBE-X -j ACCEPT -j DROP', simple: false},
  {line: '-A KUBE-X ! -m comment --comment x -j ACCEPT', simple: false},
  {line: '-A KUBE-X ! ! -s 10.0.0.1 -j ACCEPT', simple: false},
  {line: '-A KUBE-X -m conntrack --ctstate INVALID -j DROP', simple: false},
  {line: '-A KUBE-X -f -j DROP', simple: false},
  {line: '-A KUBE-X -m comment --comment x -j ACCEPT !', simple: false},
]

describe('kube-proxy: facts read from the line equal the decoded rule', () => {
  it('on every corpus dump (every per-Service rule takes the fast path)', () => {
    const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.rules'))
    expect(files.length).to.be.greaterThan(10)
    let total = {rules: 0, simple: 0}
    for (const file of files) {
      const counts = compareDump(readFileSync(join(CORPUS_DIR, file), 'utf8'), file)
      total = {rules: total.rules + counts.rules, simple: total.simple + counts.simple}
    }
    expect(total.rules).to.be.greaterThan(200)
    expect(total.simple, `${total.simple} of ${total.rules} per-Service rules read fast`).to.equal(total.rules)
  })

  it('on every example node, IPv4 and IPv6', () => {
    const dumps = examplesDumps()
    expect(dumps.length).to.be.greaterThan(4)
    for (const [origin, text] of dumps) compareDump(text, origin)
  })

  it('on a generated 300-Service dump (every per-Service rule takes the fast path)', () => {
    const text = generateKubeProxyDump({services: 300, endpointsPerService: 5, seed: 7}) as string
    const {rules, simple} = compareDump(text, 'generated')
    expect(rules).to.be.greaterThan(2000)
    expect(simple).to.equal(rules)
  })

  for (const {line, simple} of EDGE_LINES) {
    it(`${simple ? 'fast' : 'decoded'}: ${line}`, () => {
      const dump = parseRules(natDump(line), {lazy: true})
      const rule = dump.tables[0].chains.flatMap((c) => c.rules)[0]
      expect(rule).to.be.instanceOf(LazyRule)
      const result = compareRule(rule as LazyRule)
      expect(result.simple, 'took the fast path').to.equal(simple)
      if (simple) expect(result.issues).to.deep.equal([])
    })
  }
})
