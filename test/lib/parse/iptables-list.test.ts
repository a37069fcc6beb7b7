import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'

import {parseIptablesList} from '../../../src/lib/parse/iptables-list.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import type {IptablesDump, Match, Rule, TypedMatch} from '../../../src/lib/parse/types.js'
import {requireRoot} from '../../helpers/netns-require.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const FIXTURES = fileURLToPath(new URL('../../fixtures/listings/', import.meta.url))
const CORPUS = CORPUS_DIR
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8')

function chain(dump: IptablesDump, table: string, name: string) {
  const found = dump.tables.find((t) => t.name === table)?.chains.find((c) => c.name === name)
  if (!found) throw new Error(`no chain ${table}/${name} in ${JSON.stringify(dump.tables.map((t) => [t.name, t.chains.map((c) => c.name)]))}`)
  return found
}

function typed<K extends TypedMatch['kind']>(rule: Rule, kind: K): Extract<TypedMatch, {kind: K}> | undefined {
  return rule.matches.find((m) => m.typed?.kind === kind)?.typed as Extract<TypedMatch, {kind: K}> | undefined
}

const codes = (dump: IptablesDump) => dump.issues.map((i) => i.code)

describe('parseIptablesList: the seed 001 nginx listing', () => {
  const dump = parseIptablesList(fixture('nginx-seed.txt'))

  it('is a partial iptables-L dump of the nat table, inferred and said so', () => {
    expect(dump.format).to.equal('iptables-L')
    expect(dump.partial).to.equal(true)
    expect(dump.tables.map((t) => t.name)).to.deep.equal(['nat'])
    expect(dump.issues.find((i) => i.code === 'table-inferred')?.message).to.contain('nat')
  })

  it('reads the KUBE-SVC cascade: three endpoints, probabilities as printed, the last unconditional', () => {
    const svc = chain(dump, 'nat', 'KUBE-SVC-I64SNEMOLCWHJHS3')
    expect(svc.references).to.equal(2)
    expect(svc.rules.map((r) => r.target?.name)).to.deep.equal([
      'KUBE-SEP-MMWJ6M2J72TU3J64',
      'KUBE-SEP-GRLEVIWNO4P37GSQ',
      'KUBE-SEP-74XRUOWV76LDS3ID',
    ])
    expect(svc.rules.map((r) => typed(r, 'statistic')?.probabilityText)).to.deep.equal(['0.33332999982', '0.50000000000', undefined])
    expect(svc.rules.map((r) => r.comment)).to.deep.equal(Array(3).fill('default/nginx-service-nodeport:'))
    expect(svc.rules.map((r) => r.target?.typed)).to.deep.equal(svc.rules.map((r) => ({kind: 'jump', chain: r.target?.name})))
  })

  it('reads the SEP chain: masquerade hairpin from the pod, DNAT to the pod', () => {
    const [masq, dnat] = chain(dump, 'nat', 'KUBE-SEP-MMWJ6M2J72TU3J64').rules
    expect(masq.source).to.deep.equal({negated: false, value: '172.17.0.2/32'})
    expect(masq.target?.name).to.equal('KUBE-MARK-MASQ')
    expect(dnat.protocol).to.deep.equal({negated: false, value: 'tcp'})
    expect(dnat.matches.map((m) => m.module)).to.deep.equal([null, 'comment', 'tcp'])
    expect(dnat.target?.typed).to.deep.include({kind: 'dnat'})
    expect(dnat.target?.options).to.deep.equal([{flag: '--to-destination', args: ['172.17.0.2:80'], negated: false}])
    expect(dnat.target?.typed?.kind === 'dnat' && dnat.target.typed.to[0]).to.deep.include({addressFrom: '172.17.0.2', portFrom: 80})
  })

  it('reads KUBE-SERVICES and KUBE-NODEPORTS: cluster IP, ports, addrtype', () => {
    const [clusterIp, nodePorts] = chain(dump, 'nat', 'KUBE-SERVICES').rules
    expect(clusterIp.destination).to.deep.equal({negated: false, value: '10.254.198.92/32'})
    expect(typed(clusterIp, 'ports')?.dport).to.deep.equal({negated: false, value: {from: 80, to: 80}})
    expect(typed(nodePorts, 'addrtype')?.dstType).to.deep.equal({negated: false, value: ['LOCAL']})
    const np = chain(dump, 'nat', 'KUBE-NODEPORTS').rules
    expect(np.map((r) => typed(r, 'ports')?.dport?.value.from)).to.deep.equal([32110, 32110])
  })

  it('reads the LOG rules the article added, with their prefix', () => {
    const log = chain(dump, 'nat', 'OUTPUT').rules[0]
    expect(log.target?.typed).to.deep.equal({kind: 'log', prefix: '** NAT OUTPUT **'})
    expect(chain(dump, 'nat', 'OUTPUT').policy).to.equal('ACCEPT')
  })

  it('says what it could not recover instead of guessing', () => {
    expect(codes(dump)).to.include.members(['elided-lines', 'repeated-chain', 'interfaces-not-listed', 'unlisted-chain'])
    expect(dump.issues.filter((i) => i.code === 'elided-lines').map((i) => i.line)).to.deep.equal([5, 10, 13])
    expect(dump.issues.find((i) => i.code === 'unlisted-chain')?.message).to.contain('KUBE-SEP-GRLEVIWNO4P37GSQ')
    expect(dump.issues.filter((i) => i.severity === 'error')).to.deep.equal([])
    expect(chain(dump, 'nat', 'KUBE-SVC-I64SNEMOLCWHJHS3').rules).to.have.length(3) // the repeat is not appended
  })

  it('is what parseRules picks for a listing', () => {
    expect(parseRules(fixture('nginx-seed.txt')).format).to.equal('iptables-L')
  })
})

interface EdgeCase {
  name: string
  input: string
  table?: string
  check: (dump: IptablesDump) => void
}

const HEAD_V = 'num   pkts bytes target     prot opt in     out     source               destination'
const EDGE_CASES: EdgeCase[] = [
  {
    name: 'empty input gives an empty dump without issues',
    input: '',
    check: (d) => expect([d.tables, d.issues]).to.deep.equal([[], []]),
  },
  {
    name: 'a rule without a target (blank target column) has no target',
    input: 'Chain KUBE-FW-X (1 references)\ntarget     prot opt source               destination\n           0    --  0.0.0.0/0            0.0.0.0/0            /* other traffic will be dropped */\n',
    table: 'nat',
    check: (d) => {
      const [rule] = chain(d, 'nat', 'KUBE-FW-X').rules
      expect(rule.target).to.equal(undefined)
      expect(rule.comment).to.equal('other traffic will be dropped')
    },
  },
  {
    name: 'K/M suffixed counters (no -x) are scaled and flagged approximate',
    input: `Chain INPUT (policy DROP 12K packets, 3M bytes)\n${HEAD_V}\n1     1234K  567M ACCEPT     6    --  eth0   *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22\n`,
    check: (d) => {
      const c = chain(d, 'filter', 'INPUT')
      expect(c.counters).to.deep.equal({packets: 12_000, bytes: 3_000_000})
      expect(c.rules[0].counters).to.deep.equal({packets: 1_234_000, bytes: 567_000_000})
      expect(c.rules[0].matches[0].options).to.deep.equal([{flag: '-i', args: ['eth0'], negated: false}])
      expect(d.issues.find((i) => i.code === 'approximate-counters')?.message).to.match(/^2 line/)
    },
  },
  {
    name: 'two pasted tables with their command lines are split and named',
    input: '# iptables -t nat -L -n\nChain OUTPUT (policy ACCEPT)\ntarget prot opt source destination\nKUBE-SERVICES all -- 0.0.0.0/0 0.0.0.0/0\n$ iptables -L -n\nChain OUTPUT (policy ACCEPT)\ntarget prot opt source destination\nKUBE-FIREWALL all -- 0.0.0.0/0 0.0.0.0/0\n',
    check: (d) => {
      expect(d.tables.map((t) => [t.name, t.chains[0].rules[0].target?.name])).to.deep.equal([
        ['nat', 'KUBE-SERVICES'],
        ['filter', 'KUBE-FIREWALL'],
      ])
      expect(d.tables[1].chains[0].rules[0].table).to.equal('filter')
    },
  },
  {
    name: 'a built-in chain listed again starts a second table',
    input: 'Chain INPUT (policy ACCEPT)\ntarget prot opt source destination\nChain FORWARD (policy DROP)\ntarget prot opt source destination\nREJECT all -- 0.0.0.0/0 0.0.0.0/0 reject-with icmp-port-unreachable\nChain INPUT (policy ACCEPT)\ntarget prot opt source destination\nDNAT tcp -- 0.0.0.0/0 0.0.0.0/0 tcp dpt:80 to:10.0.0.1:8080\n',
    check: (d) => expect(d.tables.map((t) => t.name)).to.deep.equal(['filter', 'nat']),
  },
  {
    name: 'a comment containing */ is read whole when the shorter reading leaves junk',
    input: 'Chain X (0 references)\ntarget prot opt source destination\nACCEPT all -- 0.0.0.0/0 0.0.0.0/0 /* a "q" */ b */ tcp dpt:1\n',
    table: 'filter',
    check: (d) => {
      const [rule] = chain(d, 'filter', 'X').rules
      expect(rule.comment).to.equal('a "q" */ b')
      expect(codes(d)).to.not.include('unrecognised-listing-text')
    },
  },
  {
    name: 'unknown extension text is kept as an unknown match with a warning, never dropped',
    input: 'Chain X (0 references)\ntarget prot opt source destination\nACCEPT all -- 0.0.0.0/0 0.0.0.0/0 #conn src/32 > 2 /* c */\n',
    table: 'filter',
    check: (d) => {
      const [rule] = chain(d, 'filter', 'X').rules
      expect(rule.matches.map((m: Match) => m.module)).to.deep.equal(['listing-text', 'comment'])
      expect(rule.matches[0].options[0].args).to.deep.equal(['#conn src/32 > 2'])
      expect(d.issues.find((i) => i.code === 'unrecognised-listing-text')).to.include({severity: 'warning', line: 3})
    },
  },
  {
    name: 'malformed lines, prose and CRLF give warnings with line numbers, not exceptions',
    input: 'some prose\r\nChain X (0 references)\r\ntarget prot opt source destination\r\nthis is not a rule\r\nACCEPT all -- 10.0.0.1 0.0.0.0/0\r\n',
    table: 'filter',
    check: (d) => {
      expect(d.issues.filter((i) => i.severity === 'warning').map((i) => [i.code, i.line])).to.deep.equal([
        ['unrecognised-line', 1],
        ['malformed-listing-line', 4],
      ])
      expect(chain(d, 'filter', 'X').rules[0]).to.deep.include({index: 1, line: 5, raw: 'ACCEPT all -- 10.0.0.1 0.0.0.0/0'})
    },
  },
  {
    name: 'names instead of numbers (listing without -n): anywhere is no criterion, hostnames warned',
    input: 'Chain X (0 references)\ntarget prot opt source destination\nACCEPT tcp -- anywhere node1.example\n',
    table: 'filter',
    check: (d) => {
      const [rule] = chain(d, 'filter', 'X').rules
      expect(rule.source).to.equal(undefined)
      expect(rule.destination?.value).to.equal('node1.example')
      expect(codes(d)).to.include('listing-hostname')
    },
  },
  {
    name: 'the table cannot be told from a lone user chain: filter is assumed with a warning',
    input: 'Chain X (0 references)\ntarget prot opt source destination\nY all -- 0.0.0.0/0 0.0.0.0/0\n',
    check: (d) => {
      expect(d.tables.map((t) => t.name)).to.deep.equal(['filter'])
      expect(d.issues.find((i) => i.code === 'table-unknown')?.severity).to.equal('warning')
    },
  },
]

describe('parseIptablesList: edge cases', () => {
  for (const c of EDGE_CASES) {
    it(c.name, () => c.check(parseIptablesList(c.input, c.table ? {table: c.table} : {})))
  }
})

// ---------------------------------------------------------------------------------------------
// The kernel as the oracle: load real rules, list them, and compare with iptables-save.

type Backend = {restore: string; save: string; list: string}
const NFT: Backend = {restore: 'iptables-nft-restore', save: 'iptables-nft-save', list: 'iptables-nft'}
const LEGACY: Backend = {restore: 'iptables-legacy-restore', save: 'iptables-legacy-save', list: 'iptables-legacy'}

let nsCounter = 0
const created: string[] = []

function nsExec(ns: string, argv: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...argv], {input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20})
}

function withNamespace<T>(body: (ns: string) => T): T {
  const ns = `kpxL-${process.pid}-${nsCounter++}`
  execFileSync('ip', ['netns', 'add', ns])
  created.push(ns)
  try {
    return body(ns)
  } finally {
    deleteNamespace(ns)
  }
}

function deleteNamespace(ns: string): void {
  try {
    execFileSync('ip', ['netns', 'del', ns], {stdio: 'ignore'})
  } catch {
    // already gone
  }
}

/** What a listing can carry of a rule, in the shape both parsers produce. */
function comparable(rule: Rule, withInterfaces: boolean) {
  const isInterface = (m: Match) => m.module === null && ['-i', '-o'].includes(m.options[0]?.flag ?? '')
  return {
    chain: rule.chain,
    index: rule.index,
    matches: rule.matches.filter((m) => withInterfaces || !isInterface(m)),
    target: rule.target,
    comment: rule.comment,
    protocol: rule.protocol,
    source: rule.source,
    destination: rule.destination,
  }
}

interface Listing {
  args: string[]
  table: string
  verbose: boolean
  counters: boolean
}

const LISTINGS: Listing[] = [
  {args: ['-t', 'nat', '-L', '-n', '-v', '-x', '--line-numbers'], table: 'nat', verbose: true, counters: true},
  {args: ['-t', 'filter', '-L', '-n'], table: 'filter', verbose: false, counters: false},
  {args: ['-t', 'filter', '-L', '-n', '-v'], table: 'filter', verbose: true, counters: true},
]

/** Compares every rule of `table` in the save dump with the listing's; returns how many matched. */
function compareTable(saved: IptablesDump, listed: IptablesDump, listing: Listing, where: string): number {
  const savedTable = saved.tables.find((t) => t.name === listing.table)
  if (!savedTable) return 0
  // The table is not given to the listing parser: it must infer it.
  expect(listed.tables.map((t) => t.name), `${where}: inferred table`).to.deep.equal([listing.table])
  let compared = 0
  for (const savedChain of savedTable.chains) {
    const listedChain = chain(listed, listing.table, savedChain.name)
    expect(listedChain.policy, `${where} ${savedChain.name} policy`).to.equal(savedChain.policy)
    expect(listedChain.rules.length, `${where} ${savedChain.name} rule count`).to.equal(savedChain.rules.length)
    savedChain.rules.forEach((savedRule, i) => {
      const listedRule = listedChain.rules[i]
      const context = `${where}\n  save: ${savedRule.raw}\n  list: ${listedRule.raw}`
      expect(comparable(listedRule, listing.verbose), context).to.deep.equal(comparable(savedRule, listing.verbose))
      if (listing.counters) expect(listedRule.counters, context).to.deep.equal(savedRule.counters)
      compared++
    })
  }
  const interfacesNote = codes(listed).includes('interfaces-not-listed')
  expect(interfacesNote, `${where}: interfaces-not-listed issue`).to.equal(!listing.verbose && compared > 0)
  expect(listed.issues.filter((i) => i.severity !== 'info'), `${where}: warnings`).to.deep.equal([])
  return compared
}

/** Loads `rules`, makes a few packets move the counters, and compares each listing with save. */
function checkAgainstKernel(rules: string, backend: Backend, where: string, setup: string[][] = []): number {
  return withNamespace((ns) => {
    for (const argv of setup) nsExec(ns, argv)
    nsExec(ns, [backend.restore], rules)
    nsExec(ns, ['ip', 'link', 'set', 'lo', 'up'])
    // A refused TCP connect over lo walks nat/filter OUTPUT, so the counters are not all zero.
    nsExec(ns, ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/9 || true'])
    const saved = parseRules(nsExec(ns, [backend.save, '-c']))
    expect(saved.issues.filter((i) => i.severity === 'error'), `${where}: save parse`).to.deep.equal([])
    let compared = 0
    for (const listing of LISTINGS) {
      const listed = parseIptablesList(nsExec(ns, [backend.list, ...listing.args]))
      compared += compareTable(saved, listed, listing, `${where} [${backend.list} ${listing.args.join(' ')}]`)
    }
    return compared
  })
}

const isIpv6 = (text: string) => /\s-[sd] !?[0-9a-f]*:[0-9a-f:]*\//i.test(text) || /--to-destination \[/.test(text)

describe('parseIptablesList against the kernel (iptables -L vs iptables-save of the same namespace)', function () {
  this.timeout(120_000)

  before(function () {
    requireRoot(this)
  })

  after(() => {
    for (const ns of created) deleteNamespace(ns)
  })

  const corpus = readdirSync(CORPUS).filter((f) => f.endsWith('.rules')).sort()
  for (const file of corpus) {
    const text = readFileSync(join(CORPUS, file), 'utf8')
    if (isIpv6(text)) continue
    it(`corpus ${file}: every rule matches iptables-save`, () => {
      expect(checkAgainstKernel(text, NFT, file)).to.be.greaterThan(0)
    })
  }

  for (const backend of [NFT, LEGACY]) {
    it(`every known extension (fixture extensions.rules) on ${backend.list}`, () => {
      const setup = [['ipset', 'create', 'kpxset', 'hash:ip']]
      // connlimit is not understood (it gives a warning, tested above), so it is left out here.
      const rules = fixture('extensions.rules').replace(/^-A T -m connlimit.*\n/m, '')
      const natRules = rules.match(/^-A T /gm)?.length ?? 0
      const filterRules = rules.match(/^-A [FV] /gm)?.length ?? 0
      // nat is listed once, filter twice (with and without -v).
      expect(checkAgainstKernel(rules, backend, 'extensions.rules', setup)).to.equal(natRules + 2 * filterRules)
    })
  }
})
