/**
 * The rules view collects, while it reads the dump once, what unreachable-rule, orphan-chain and
 * missing-chain-jump used to find by walking every rule again: the first rule of each chain that
 * hides the rest, the per-service chains no rule reaches, and the jump targets that are no chain.
 * Here each is computed the plain way (every rule, every chain, decoded rules) and compared, on
 * the corpus, the examples (lazy and eager parsing) and dumps written to hit every branch.
 */
import {expect} from 'chai'
import {buildRulesView} from '../../../src/lib/checks/rules-view.js'
import {isPerServiceChain} from '../../../src/lib/kube-proxy/names.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import type {IptablesDump, Rule} from '../../../src/lib/parse/types.js'
import {corpusAndExampleDumps} from './helpers.js'

const TERMINAL = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT'])

/** The reference: decoded matches only (comments and `recent --set` match everything). */
function hidesLaterRules(rule: Rule): boolean {
  const target = rule.target
  if (!target) return false
  const ends = target.goto || TERMINAL.has(target.name) || isPerServiceChain(target.name)
  return ends && rule.matches.every((m) => m.typed?.kind === 'comment' || (m.typed?.kind === 'recent' && m.typed.command === 'set'))
}

interface Summaries {
  blocked: string[]
  unused: string[]
  unknown: string[]
}

function reference(dump: IptablesDump): Summaries {
  const blocked: string[] = []
  const unused: string[] = []
  const unknown: string[] = []
  for (const table of dump.tables) {
    const names = new Set(table.chains.map((c) => c.name))
    const targets = new Set(table.chains.flatMap((c) => c.rules.map((r) => r.target?.name).filter((t): t is string => t !== undefined)))
    for (const chain of table.chains) {
      const stop = chain.rules.findIndex((r) => hidesLaterRules(r))
      if (stop >= 0 && stop < chain.rules.length - 1) blocked.push(`${table.name} ${chain.name} ${stop}`)
      if (table.name === 'nat' && isPerServiceChain(chain.name) && !targets.has(chain.name)) unused.push(chain.name)
    }
    for (const target of targets) if (!names.has(target)) unknown.push(`${table.name} ${target}`)
  }
  return {blocked, unused, unknown: unknown.sort()}
}

function fromView(dump: IptablesDump): Summaries {
  const view = buildRulesView(dump)
  return {
    blocked: view.blockedChains.map(({table, chain, stop}) => `${table} ${chain.name} ${stop}`),
    unused: view.unusedServiceChains.map((chain) => chain.name),
    unknown: [...view.unknownTargets].flatMap(([table, names]) => names.map((name) => `${table} ${name}`)).sort(),
  }
}

function dumpsToCompare(): [string, string][] {
  const dumps = corpusAndExampleDumps()
  return dumps
}

// Every branch: a hidden rule after a plain jump to a service chain, after a goto and after a
// verdict; a comment that hides a condition word; an affinity rule as the only use of a KUBE-SEP;
// a cascade jump to a missing KUBE-SEP; an unused KUBE-SVC and KUBE-SEP; an extension target.
const CRAFTED = `*filter
:INPUT ACCEPT [0:0]
:KUBE-FORWARD - [0:0]
-A INPUT -j KUBE-FORWARD
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "-s is only a word here" -j ACCEPT
-A KUBE-FORWARD -j NFLOG
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SVC-BBBBBBBBBBBBBBBB - [0:0]
:KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]
:KUBE-SEP-CCCCCCCCCCCCCCCC - [0:0]
:KUBE-SEP-DDDDDDDDDDDDDDDD - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "ns/a:p cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA
-A KUBE-SERVICES -g KUBE-MARK-MASQ
-A KUBE-SERVICES -j RETURN
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment "ns/a:p -> 10.0.0.3:80" -m recent --name KUBE-SEP-CCCCCCCCCCCCCCCC --mask 255.255.255.255 --rsource --rcheck --seconds 10800 --reap -j KUBE-SEP-CCCCCCCCCCCCCCCC
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment "ns/a:p -> 10.0.0.1:80" -m statistic --mode random --probability 0.5 -j KUBE-SEP-AAAAAAAAAAAAAAAA
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment "ns/a:p -> 10.0.0.9:80" -j KUBE-SEP-EEEEEEEEEEEEEEEE
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment "ns/a:p -> 10.0.0.2:80" -j KUBE-SEP-AAAAAAAAAAAAAAAA
-A KUBE-SVC-BBBBBBBBBBBBBBBB -j KUBE-SEP-BBBBBBBBBBBBBBBB
-A KUBE-SEP-AAAAAAAAAAAAAAAA -s 10.0.0.1/32 -m comment --comment "ns/a:p" -j KUBE-MARK-MASQ
-A KUBE-SEP-AAAAAAAAAAAAAAAA -p tcp -m comment --comment "ns/a:p" -m tcp -j DNAT --to-destination 10.0.0.1:80
-A KUBE-SEP-BBBBBBBBBBBBBBBB -p tcp -m tcp -j DNAT --to-destination 10.0.0.2:80
-A KUBE-SEP-CCCCCCCCCCCCCCCC -p tcp -m tcp -j DNAT --to-destination 10.0.0.3:80
-A KUBE-SEP-DDDDDDDDDDDDDDDD -p tcp -m tcp -j DNAT --to-destination 10.0.0.4:80
COMMIT
`

describe('checks: the rules view summaries equal a plain walk of every rule', () => {
  for (const lazy of [true, false]) {
    it(`on every corpus dump and example (${lazy ? 'lazy' : 'eager'} parsing)`, () => {
      let blocked = 0
      for (const [name, text] of dumpsToCompare()) {
        const expected = reference(parseRules(text))
        expect(fromView(parseRules(text, {lazy})), name).to.deep.equal(expected)
        blocked += expected.blocked.length + expected.unused.length + expected.unknown.length
      }
      expect(blocked).to.be.greaterThan(0)
    })
  }

  it('on a dump written to hit every branch', () => {
    const expected = reference(parseRules(CRAFTED))
    expect(expected).to.deep.equal({
      blocked: ['filter KUBE-FORWARD 1', 'nat KUBE-SERVICES 1', 'nat KUBE-SVC-AAAAAAAAAAAAAAAA 2'],
      unused: ['KUBE-SVC-BBBBBBBBBBBBBBBB', 'KUBE-SEP-DDDDDDDDDDDDDDDD'],
      unknown: ['filter ACCEPT', 'filter DROP', 'filter NFLOG', 'nat DNAT', 'nat KUBE-SEP-EEEEEEEEEEEEEEEE', 'nat RETURN'],
    })
    for (const lazy of [true, false]) expect(fromView(parseRules(CRAFTED, {lazy}))).to.deep.equal(expected)
  })
})
