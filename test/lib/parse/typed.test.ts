import {expect} from 'chai'

import {decodeMatch, decodeTarget, parseRules, printRule, type Rule} from '../../../src/lib/parse/index.js'

/** Parses one rule as a fragment; fails the test on any error issue. */
function rule(args: string): Rule {
  const dump = parseRules(`-A KUBE-TEST ${args}\n`, {format: 'fragment', table: 'nat'})
  expect(dump.issues.filter((i) => i.severity === 'error'), args).to.deep.equal([])
  return dump.tables[0].chains[0].rules[0]
}

const neg = <T>(value: T, negated = false) => ({negated, value})

describe('parse: typed matches', () => {
  const cases: [string, string, unknown][] = [
    ['source', '-s 10.0.0.0/8', {kind: 'source', value: neg('10.0.0.0/8')}],
    ['negated source (before flag)', '! -s 10.0.0.0/8', {kind: 'source', value: neg('10.0.0.0/8', true)}],
    ['negated source (before value)', '-s ! 10.0.0.0/8', {kind: 'source', value: neg('10.0.0.0/8', true)}],
    ['long destination', '--destination fd00::/64', {kind: 'destination', value: neg('fd00::/64')}],
    ['protocol lower-cased', '-p TCP', {kind: 'protocol', value: neg('tcp')}],
    ['in-interface', '-i eth0', {kind: 'in-interface', value: neg('eth0')}],
    ['out-interface negated', '! -o cni0', {kind: 'out-interface', value: neg('cni0', true)}],
    ['fragment', '! -f', {kind: 'fragment', negated: true}],
    ['comment with escaped quote', '-m comment --comment "say \\"hi\\" \\\\o/"', {kind: 'comment', comment: 'say "hi" \\o/'}],
    ['tcp dport', '-m tcp --dport 80', {kind: 'ports', dport: neg({from: 80, to: 80})}],
    ['udp sport range negated', '-m udp ! --sport 1000:2000', {kind: 'ports', sport: neg({from: 1000, to: 2000}, true)}],
    ['sctp destination-port', '-m sctp --destination-port 9', {kind: 'ports', dport: neg({from: 9, to: 9})}],
    ['tcp flags and syn', '-m tcp --tcp-flags SYN,RST SYN --syn', {kind: 'ports', tcpFlags: neg({mask: ['SYN', 'RST'], comp: ['SYN']}), syn: neg(true)}],
    ['multiport', '-m multiport --dports 80,443,8000:8080', {kind: 'multiport', dports: neg([{from: 80, to: 80}, {from: 443, to: 443}, {from: 8000, to: 8080}])}],
    ['statistic random', '-m statistic --mode random --probability 0.33332999982', {kind: 'statistic', mode: 'random', negated: false, probability: 0.33332999982, probabilityText: '0.33332999982'}],
    ['statistic nth', '-m statistic --mode nth --every 3 --packet 0', {kind: 'statistic', mode: 'nth', negated: false, every: 3, packet: 0}],
    ['mark hex with mask', '-m mark ! --mark 0x4000/0x4000', {kind: 'mark', value: neg({value: 0x4000, mask: 0x4000}, true)}],
    ['mark decimal, default mask', '-m mark --mark 16384', {kind: 'mark', value: neg({value: 16384, mask: 0xffffffff})}],
    ['addrtype', '-m addrtype --src-type LOCAL --dst-type LOCAL,UNICAST --limit-iface-in', {kind: 'addrtype', srcType: neg(['LOCAL']), dstType: neg(['LOCAL', 'UNICAST']), limitIfaceIn: true}],
    ['recent set', '-m recent --set --name KUBE-SEP-X --mask 255.255.255.255 --rsource', {kind: 'recent', command: 'set', negated: false, name: 'KUBE-SEP-X', mask: '255.255.255.255', side: 'source'}],
    ['recent rcheck', '-m recent ! --rcheck --seconds 10800 --reap --hitcount 2 --rttl --name X --rdest', {kind: 'recent', command: 'rcheck', negated: true, seconds: 10800, reap: true, hitcount: 2, rttl: true, name: 'X', side: 'dest'}],
    ['conntrack', '-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT --ctstatus ASSURED --ctorigdst 10.0.0.1 --ctorigdstport 80', {kind: 'conntrack', ctstate: neg(['RELATED', 'ESTABLISHED', 'DNAT'], true), ctstatus: neg(['ASSURED']), ctorigdst: neg('10.0.0.1'), ctorigdstport: neg({from: 80, to: 80})}],
    ['state mapped to ctstate', '-m state --state NEW', {kind: 'conntrack', ctstate: neg(['NEW'])}],
    ['set', '-m set ! --match-set KUBE-LB src,dst --return-nomatch', {kind: 'set', name: 'KUBE-LB', negated: true, flags: ['src', 'dst'], returnNomatch: true}],
    ['physdev', '-m physdev --physdev-in veth0 ! --physdev-is-bridged', {kind: 'physdev', physdevIn: neg('veth0'), isBridged: neg(true, true)}],
  ]
  for (const [name, args, typed] of cases) {
    it(name, () => {
      const r = rule(`${args} -j ACCEPT`)
      const last = r.matches[r.matches.length - 1]
      expect(last.typed).to.deep.equal(typed)
      expect(printRule(r)).to.equal(`-A KUBE-TEST ${args} -j ACCEPT`)
    })
  }

  it('implicit protocol match: -p tcp --dport 80 without -m tcp', () => {
    const r = rule('-p tcp --dport 80 -j ACCEPT')
    expect(r.matches[1]).to.deep.equal({module: 'tcp', implicit: true, options: [{flag: '--dport', args: ['80'], negated: false}], typed: {kind: 'ports', dport: neg({from: 80, to: 80})}})
    expect(printRule(r)).to.equal('-A KUBE-TEST -p tcp --dport 80 -j ACCEPT')
  })

  it('fills the convenience fields from the first occurrence', () => {
    const r = rule('! -s 10.0.0.0/8 -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ')
    expect(r).to.include({comment: 'ns1/svc1:p80 cluster IP'})
    expect(r.source).to.deep.equal(neg('10.0.0.0/8', true))
    expect(r.destination).to.deep.equal(neg('172.30.0.41/32'))
    expect(r.protocol).to.deep.equal(neg('tcp'))
  })

  it('decodeMatch is callable on its own and reports bad values by option index', () => {
    const seen: [number, string][] = []
    const typed = decodeMatch('statistic', [
      {flag: '--mode', args: ['random'], negated: false},
      {flag: '--probability', args: ['1.5'], negated: false},
    ], (i, message) => seen.push([i, message]))
    expect(typed).to.deep.equal({kind: 'statistic', mode: 'random', negated: false})
    expect(seen).to.have.length(1)
    expect(seen[0][0]).to.equal(1)
    expect(decodeMatch('no-such-module', [])).to.equal(undefined)
    expect(decodeMatch('constructor', [])).to.equal(undefined)
  })
})

describe('parse: typed targets', () => {
  const cases: [string, string, unknown][] = [
    ['ACCEPT', '-j ACCEPT', {kind: 'verdict', verdict: 'ACCEPT'}],
    ['DROP', '-j DROP', {kind: 'verdict', verdict: 'DROP'}],
    ['RETURN', '-j RETURN', {kind: 'verdict', verdict: 'RETURN'}],
    ['user chain', '-j KUBE-SVC-ABC', {kind: 'jump', chain: 'KUBE-SVC-ABC'}],
    ['goto user chain', '-g KUBE-SVC-ABC', {kind: 'jump', chain: 'KUBE-SVC-ABC'}],
    ['DNAT v4', '-j DNAT --to-destination 10.180.0.1:80', {kind: 'dnat', to: [{text: '10.180.0.1:80', addressFrom: '10.180.0.1', addressTo: '10.180.0.1', portFrom: 80, portTo: 80}], random: false, persistent: false}],
    ['DNAT v6 brackets', '-j DNAT --to-destination [fd00::1]:8080', {kind: 'dnat', to: [{text: '[fd00::1]:8080', addressFrom: 'fd00::1', addressTo: 'fd00::1', portFrom: 8080, portTo: 8080}], random: false, persistent: false}],
    ['DNAT ranges, flags', '-j DNAT --to-destination 10.0.0.1-10.0.0.3:80-90 --random --persistent', {kind: 'dnat', to: [{text: '10.0.0.1-10.0.0.3:80-90', addressFrom: '10.0.0.1', addressTo: '10.0.0.3', portFrom: 80, portTo: 90}], random: true, persistent: true}],
    ['DNAT bare v6', '-j DNAT --to-destination fd00::1', {kind: 'dnat', to: [{text: 'fd00::1', addressFrom: 'fd00::1', addressTo: 'fd00::1'}], random: false, persistent: false}],
    ['SNAT', '-j SNAT --to-source 192.168.0.1 --random-fully', {kind: 'snat', to: [{text: '192.168.0.1', addressFrom: '192.168.0.1', addressTo: '192.168.0.1'}], random: false, randomFully: true, persistent: false}],
    ['MASQUERADE', '-j MASQUERADE --to-ports 1024-2048 --random-fully', {kind: 'masquerade', toPorts: {from: 1024, to: 2048}, random: false, randomFully: true}],
    ['MASQUERADE plain', '-j MASQUERADE', {kind: 'masquerade', random: false, randomFully: false}],
    ['REDIRECT', '-j REDIRECT --to-ports 15001', {kind: 'redirect', toPorts: {from: 15001, to: 15001}, random: false}],
    ['MARK set-xmark', '-j MARK --set-xmark 0x4000/0x4000', {kind: 'mark', op: 'set-xmark', value: 0x4000, mask: 0x4000}],
    ['MARK set-xmark clear', '-j MARK --set-xmark 0x4000/0x0', {kind: 'mark', op: 'set-xmark', value: 0x4000, mask: 0}],
    ['MARK set-mark', '-j MARK --set-mark 0x8000', {kind: 'mark', op: 'set-mark', value: 0x8000, mask: 0xffffffff}],
    ['MARK or-mark', '-j MARK --or-mark 0x4000', {kind: 'mark', op: 'or-mark', value: 0x4000, mask: 0x4000}],
    ['MARK and-mark', '-j MARK --and-mark 0xffffbfff', {kind: 'mark', op: 'and-mark', value: 0, mask: 0x4000}],
    ['MARK xor-mark', '-j MARK --xor-mark 0x1', {kind: 'mark', op: 'xor-mark', value: 1, mask: 0}],
    ['REJECT', '-j REJECT --reject-with icmp-port-unreachable', {kind: 'reject', rejectWith: 'icmp-port-unreachable'}],
    ['LOG', '-j LOG --log-prefix "kpx: " --log-level 4', {kind: 'log', prefix: 'kpx: ', level: '4'}],
  ]
  for (const [name, args, typed] of cases) {
    it(name, () => {
      const r = rule(args)
      expect(r.target?.typed).to.deep.equal(typed)
      expect(printRule(r)).to.equal(`-A KUBE-TEST ${args}`)
    })
  }

  it('unknown target extensions are kept verbatim without a typed view', () => {
    const r = rule('-j CT --notrack')
    expect(r.target).to.deep.equal({name: 'CT', goto: false, options: [{flag: '--notrack', args: [], negated: false}]})
    expect(decodeTarget('TPROXY', [])).to.equal(undefined)
  })

  it('goto is kept apart from jump', () => {
    expect(rule('-g KUBE-X').target?.goto).to.equal(true)
    expect(rule('-j KUBE-X').target?.goto).to.equal(false)
  })
})
