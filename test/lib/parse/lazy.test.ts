import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {DeferredChain} from '../../../src/lib/parse/deferred-chain.js'
import {destinationOf, LazyRule, materializeAll, parseRules} from '../../../src/lib/parse/index.js'
import {jumpsToChain, targetIsGoto} from '../../../src/lib/parse/lazy-rule.js'
import type {IptablesDump, ParseIssue, Rule} from '../../../src/lib/parse/types.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const FIXTURES = new URL('../../fixtures/iptables/', import.meta.url).pathname
const EXAMPLES = new URL('../../../examples/', import.meta.url).pathname

function exampleDumps(): string[] {
  const out: string[] = []
  for (const example of readdirSync(EXAMPLES)) {
    let nodes: string[] = []
    try {
      nodes = readdirSync(join(EXAMPLES, example, 'nodes'))
    } catch {
      continue // not a snapshot (e.g. _tools)
    }
    for (const node of nodes) {
      for (const f of ['iptables-save.txt', 'ip6tables-save.txt']) {
        try {
          readFileSync(join(EXAMPLES, example, 'nodes', node, f))
          out.push(join(EXAMPLES, example, 'nodes', node, f))
        } catch {
          // this node has no such file
        }
      }
    }
  }
  return out
}

const files = [
  ...readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.rules')).map((f) => join(CORPUS_DIR, f)),
  ...readdirSync(FIXTURES).filter((f) => f.endsWith('.save')).map((f) => join(FIXTURES, f)),
  ...exampleDumps(),
]

/** Lines whose scan facts are easy to get wrong: quoting, negation, repeated or broken targets. */
const TRICKY = [
  '*nat\n:PREROUTING ACCEPT [0:0]\n:X - [0:0]\n:Y - [0:0]',
  '-A X -m comment --comment "a b" -j Y',
  '-A X -m comment --comment "a \\"q\\" b" -j Y',
  '-A X -m comment ! --comment neg -j Y',
  '-A X -m comment --comment ! bang -j Y',
  '-A X -m comment --comment -j Y',
  '-A X -m comment --comment first -m comment --comment second -j Y',
  '-A X -m comment -m comment --comment second -j Y',
  '-A X -m "comment" --comment quoted-module -j Y',
  '-A X -m comment --comment a -s 10.0.0.1 --comment implicit -j Y',
  '-A X -s 10.0.0.1 --comment nomodule -j Y',
  '-A X -j Y -j Z',
  '-A X -j Y -j',
  '-A X -j Y -j ""',
  '-A X -j "Y"',
  '-A X -j "Y\\"Z"',
  '-A X -g Y',
  '-A X --goto Y',
  '-A X -j NOSUCH',
  '-A X -j NOSUCH --with-option 1',
  '-A X -j DNAT --to-destination 10.0.0.1:80',
  '-A X -j DNAT --to-destination bad:address:x',
  '-A X -j MARK --set-xmark zz',
  '-A X -p tcp --dport notaport -j Y',
  '-A X -s -j Y',
  '-A X ! -s 10.0.0.0/8 -d ! fd00::1 -j Y',
  '-A X -d 10.0.0.1 -d fd00::2 -j Y',
  '-A X -s "fd00::1" -j Y',
  '-A X ! ! -s 10.0.0.1 -j Y',
  '-A X -m statistic --mode random --probability 2 -j Y',
  '-A X --dport 80 -j Y',
  '-A X -m comment --comment "unterminated -j Y',
  '-A X a"b"c -j Y',
  '-A',
  '-A -j Y',
  '-I X -j Y',
  '-I X 1 -m comment --comment inserted -j Y',
  '-A UNDECLARED -j Y',
  '-A X -j MISSING-CHAIN',
  '-A X -g MISSING-CHAIN',
  'COMMIT',
].join('\n')

const sortIssues = (issues: ParseIssue[]) => issues.map((i) => JSON.stringify(i)).sort()
const plain = (dump: IptablesDump) => JSON.parse(JSON.stringify({...dump, issues: sortIssues(dump.issues)}))
const rulesOf = (dump: IptablesDump) => dump.tables.flatMap((t) => t.chains.flatMap((c) => c.rules))

function expectSameAsEager(name: string, text: string): void {
  describe(name, () => {
    it('gives the same dump, issues included, once materialised', () => {
      const eager = parseRules(text)
      const lazy = parseRules(text, {lazy: true})
      expect(plain(materializeAll(lazy))).to.deep.equal(plain(eager))
      expect(rulesOf(lazy).some((r) => r instanceof LazyRule)).to.equal(false)
    })

    it('gives the same dump when chains are read on demand (family known: DeferredChain)', () => {
      const family = parseRules(text).family
      const eager = parseRules(text, {family})
      const lazy = parseRules(text, {lazy: true, family})
      expect(plain(materializeAll(lazy))).to.deep.equal(plain(eager))
    })

    it('answers comment, target name, goto and jump from the scan exactly as a decode would', () => {
      const eager = rulesOf(parseRules(text))
      const lazy = rulesOf(parseRules(text, {lazy: true}))
      const facts = (r: Rule) => [r.line, r.comment, r instanceof LazyRule ? r.targetName : r.target?.name, targetIsGoto(r), jumpsToChain(r)]
      const before = lazy.map(facts)
      expect(lazy.filter((r) => r instanceof LazyRule && r.decoded).map((r) => r.line), 'decoded by the facts alone').to.deep.equal(
        lazy.filter((r) => r instanceof LazyRule && r.decoded && mustDecodeForComment(r)).map((r) => r.line),
      )
      expect(before).to.deep.equal(eager.map(facts))
    })

    it('reads each rule\'s destination without decoding as a decode would, chains read on demand or not', () => {
      const family = parseRules(text).family
      const eager = rulesOf(parseRules(text, {family})).map((r) => [r.line, r.destination])
      for (const opts of [{lazy: true}, {lazy: true, family}]) {
        const lazy = rulesOf(parseRules(text, opts))
        expect(lazy.map((r) => [r.line, destinationOf(r)])).to.deep.equal(eager)
      }
    })
  })
}

/** Rules whose comment the scan cannot read alone (quoted module names, escapes, implicit comment matches). */
function mustDecodeForComment(rule: Rule): boolean {
  return rule.raw.includes('comment')
}

describe('parse: lazy rules (parseRules(text, {lazy: true}))', () => {
  it('finds the corpus and the examples', () => {
    expect(files.length).to.be.greaterThan(25)
    expect(files.some((f) => f.includes('/examples/'))).to.equal(true)
  })
  for (const file of files) expectSameAsEager(file.split('/').slice(-3).join('/'), readFileSync(file, 'utf8'))
  expectSameAsEager('tricky lines', TRICKY)
  expectSameAsEager('binary garbage in rules, declarations and other lines', [
    '*nat', ':PREROUTING ACCEPT [0:0]', ':POSTROUTING ACC\u0002EPT [0:0]', ':X - [0:0]', ':Y\u0001 - [0:0]', ':Z - [0:0]',
    '-A X -j Y', '-A X -m comment --comment "nul\u0000here" -j RETURN', '-A X -j RETURN', '-A Z -j RETURN\u007f',
    '[0:0] -A Z -s 10.0.0.1 -j RETURN', 'junk \ufffd', '-A Z -j X', 'COMMIT',
  ].join('\n'))
  expectSameAsEager('iptables -S output', '-P INPUT ACCEPT\n-N KUBE-X\n-A INPUT -s fd00::/64 -j KUBE-X\n-A KUBE-X -j ACCEPT --bad 1')
  expectSameAsEager('a fragment', '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y')

  it('reads a chain\'s rules when first asked, and reports their problems then', () => {
    const text = '# Generated by iptables-save v1.8.9 (nf_tables)\n*nat\n:PREROUTING ACCEPT [0:0]\n:X - [0:0]\n:Y - [0:0]\n-A PREROUTING -j X\n-A X -j MISSING\n-A X -m comment --comment "ok" -j Y\n-A Y -j ACCEPT\nCOMMIT\n'
    const dump = parseRules(text, {lazy: true})
    const x = dump.tables[0].chains.find((c) => c.name === 'X')!
    expect(x).to.be.instanceOf(DeferredChain)
    expect(dump.issues.filter((i) => i.severity === 'error')).to.deep.equal([])
    expect(x.rules.map((r) => [r.index, r.line, r.comment])).to.deep.equal([[1, 7, undefined], [2, 8, 'ok']])
    expect(dump.issues.map((i) => [i.code, i.line])).to.deep.equal([['missing-jump-target', 7]])
    expect(parseRules(text).issues.map((i) => [i.code, i.line])).to.deep.equal([['missing-jump-target', 7]])
    expect(JSON.stringify(x), 'same JSON, keys in the same order').to.equal(JSON.stringify(parseRules(text).tables[0].chains[1]))
  })

  it('keeps only the plain parts as own properties before decoding', () => {
    const dump = parseRules('*filter\n:INPUT ACCEPT [0:0]\n[3:4] -A INPUT -s 10.0.0.1 -j ACCEPT\nCOMMIT\n', {lazy: true})
    const rule = dump.tables[0].chains[0].rules[0]
    expect(rule).to.be.instanceOf(LazyRule)
    expect(Object.keys(rule)).to.deep.equal(['table', 'chain', 'line', 'raw', 'op', 'index', 'counters'])
    expect((rule as LazyRule).decoded).to.equal(false)
    expect(rule.source).to.deep.equal({negated: false, value: '10.0.0.1'})
    expect((rule as LazyRule).decoded).to.equal(true)
  })

  it('reports an option-level error once, when the rule is first decoded', () => {
    const text = '*nat\n:X - [0:0]\n-A X -p tcp --dport 99999 -j ACCEPT\n-A X -j ACCEPT\nCOMMIT\n'
    const dump = parseRules(text, {lazy: true})
    expect(dump.issues).to.deep.equal([])
    const [bad, good] = dump.tables[0].chains[0].rules
    void good.matches
    expect(dump.issues).to.deep.equal([])
    void bad.matches
    void bad.target
    void bad.matches
    expect(dump.issues.map((i) => [i.code, i.line, i.column])).to.deep.equal([['bad-option-value', 3, 13]])
    materializeAll(dump)
    expect(dump.issues).to.have.length(1)
    expect(dump.issues).to.deep.equal(parseRules(text).issues)
  })

  it('reports structural problems at once, without decoding', () => {
    const dump = parseRules('*nat\n:X - [0:0]\n-A X -m comment --comment "open -j Y\n-A Z -j X\n-A X -g GONE\n', {lazy: true})
    expect(dump.issues.map((i) => i.code).sort()).to.deep.equal(['missing-jump-target', 'truncated-table', 'unbalanced-quote', 'undeclared-chain'])
    expect(rulesOf(dump).every((r) => r instanceof LazyRule && !r.decoded)).to.equal(true)
  })

  it('prints JSON identical to eager parsing, key order included', () => {
    const text = readFileSync(join(CORPUS_DIR, 'TestLoadBalancer.rules'), 'utf8')
    expect(JSON.stringify(parseRules(text, {lazy: true}).tables)).to.equal(JSON.stringify(parseRules(text).tables))
  })
})
