/** The evaluator itself, on small hand-written dumps (kube-proxy's TestTracePacket spirit). */
import {expect} from 'chai'

import {KpxError} from '../../../src/lib/errors.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import {evaluatePacket, type EvaluateOptions} from '../../../src/lib/trace/iptables.js'
import {quantizeProbability} from '../../../src/lib/trace/matches.js'
import type {Packet, TraceOutcome} from '../../../src/lib/trace/types.js'

const NODE = '192.168.0.2'
const POD: Packet = {src: '10.0.0.2', dst: '172.30.0.1', proto: 'tcp', dport: 80}

/** Builds an iptables-save dump: `tables` maps table → lines (chains are declared from the -A lines). */
function dump(tables: Record<string, string[]>, policies: Record<string, string> = {}): string {
  const builtins: Record<string, string[]> = {nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], filter: ['INPUT', 'FORWARD', 'OUTPUT']}
  return Object.entries(tables)
    .map(([table, lines]) => {
      const chains = new Set(lines.map((l) => l.split(' ')[1]))
      for (const l of lines) {
        const jump = /-[jg] (\S+)/.exec(l)?.[1]
        if (jump && /^(KUBE|X|C)-?/.test(jump) && jump.toUpperCase() === jump && !['MARK', 'DNAT', 'MASQUERADE', 'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'SNAT'].includes(jump)) chains.add(jump)
      }
      const decl = [...builtins[table].map((c) => `:${c} ${policies[`${table}/${c}`] ?? 'ACCEPT'} [0:0]`), ...[...chains].filter((c) => !builtins[table].includes(c)).map((c) => `:${c} - [0:0]`)]
      return [`*${table}`, ...decl, ...lines, 'COMMIT'].join('\n')
    })
    .join('\n') + '\n'
}

function trace(text: string, packet: Packet = POD, opts: Partial<EvaluateOptions> = {}): TraceOutcome[] {
  const parsed = parseRules(text)
  expect(parsed.issues.filter((i) => i.severity === 'error'), 'parse errors').to.deep.equal([])
  return evaluatePacket(parsed, packet, {localAddresses: [NODE], ...opts}).outcomes
}

const sum = (outcomes: TraceOutcome[]) => outcomes.reduce((s, o) => s + o.probability, 0)
const chainsOf = (o: TraceOutcome) => o.path.map((s) => `${s.table}/${s.chain}#${s.rule}`)

describe('trace: iptables evaluator', () => {
  it('-j returns to the caller, -g does not', () => {
    const rules = (how: string) => dump({nat: [
      `-A PREROUTING ${how} X-A`,
      '-A PREROUTING -j DNAT --to-destination 10.1.1.1:80',
      '-A X-A -j X-B',
      '-A X-A -j DNAT --to-destination 10.2.2.2:80',
      '-A X-B -j RETURN',
    ]})
    // -j: X-A continues after X-B returns and DNATs to 10.2.2.2.
    expect(trace(rules('-j')).map((o) => o.endpoint)).to.deep.equal(['10.2.2.2:80'])
    // -g from PREROUTING into X-A: X-A's own DNAT still runs (only the return differs), so use a goto into X-B.
    const gotoRules = dump({nat: [
      '-A PREROUTING -j X-A',
      '-A PREROUTING -j DNAT --to-destination 10.1.1.1:80',
      '-A X-A -g X-B',
      '-A X-A -j DNAT --to-destination 10.2.2.2:80',
      '-A X-B -j RETURN',
    ]})
    expect(trace(gotoRules).map((o) => o.endpoint)).to.deep.equal(['10.1.1.1:80'])
  })

  it('RETURN leaves a user chain early', () => {
    const text = dump({nat: ['-A PREROUTING -j X-A', '-A X-A -d 172.30.0.1/32 -j RETURN', '-A X-A -j DNAT --to-destination 10.2.2.2:80']})
    const [o] = trace(text)
    expect(o.verdict).to.equal('ACCEPT')
    expect(chainsOf(o)).to.deep.equal(['nat/PREROUTING#1', 'nat/X-A#1'])
  })

  it('a built-in chain ends in its policy (DROP)', () => {
    const text = dump({filter: ['-A FORWARD -d 10.9.9.9/32 -j ACCEPT']}, {'filter/FORWARD': 'DROP'})
    const [o] = trace(text)
    expect(o.verdict).to.equal('DROP')
    expect(o.verdictRule).to.include({chain: 'FORWARD', rule: 0, matched: 'chain policy'})
    expect(trace(text, {...POD, dst: '10.9.9.9'})[0].verdict).to.equal('ACCEPT')
  })

  it('REDIRECT in PREROUTING delivers to the node (filter INPUT), not through FORWARD', () => {
    const text = dump({nat: ['-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080'], filter: ['-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT']}, {'filter/FORWARD': 'DROP'})
    const [o] = trace(text, {...POD, dst: '10.9.9.9'})
    expect(o.verdict).to.equal('DNAT') // REDIRECT is a NAT to the node itself
    expect(o.endpoint).to.equal(`${NODE}:8080`)
    expect(chainsOf(o)).to.include('filter/INPUT#1')
    expect(chainsOf(o).some((c) => c.startsWith('filter/FORWARD'))).to.equal(false)
  })

  it('rejects jump loops and runaway depth with an InputError, not a hang', () => {
    const loop = dump({nat: ['-A PREROUTING -j X-A', '-A X-A -j X-B', '-A X-B -j X-A']})
    expect(() => trace(loop)).to.throw(KpxError, /jump loop in table nat: PREROUTING -> X-A -> X-B -> X-A/).with.property('code', 'jump-loop')
    const deep = dump({nat: ['-A PREROUTING -j C-1', ...Array.from({length: 70}, (_, i) => `-A C-${i + 1} -j C-${i + 2}`)]})
    expect(() => trace(deep)).to.throw(KpxError, /deeper than 64/).with.property('code', 'jump-loop')
    const fine = dump({nat: ['-A PREROUTING -j C-1', ...Array.from({length: 60}, (_, i) => `-A C-${i + 1} -j C-${i + 2}`)]})
    expect(trace(fine)).to.have.length(1)
  })

  it('statistic forks: leaves carry quantised shares that sum to 1', () => {
    const text = dump({nat: [
      '-A PREROUTING -j X-SVC',
      '-A X-SVC -m statistic --mode random --probability 0.33333 -j DNAT --to-destination 10.0.1.1:80',
      '-A X-SVC -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.0.1.2:80',
      '-A X-SVC -j DNAT --to-destination 10.0.1.3:80',
    ]})
    const outcomes = trace(text)
    expect(outcomes.map((o) => o.endpoint)).to.deep.equal(['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80'])
    const q = quantizeProbability(0.33333)
    expect(outcomes.map((o) => o.probability)).to.deep.equal([q, (1 - q) / 2, (1 - q) / 2])
    expect(sum(outcomes)).to.be.closeTo(1, 1e-12)
    expect(outcomes[1].path.at(-1)).to.include({matched: 'random p=0.50000000000'})
  })

  it('quantises like xt_statistic: lround(p * 2^31) / 2^31', () => {
    // Values iptables-save printed back on this machine's kernel.
    expect(quantizeProbability(0.33333).toFixed(11)).to.equal('0.33332999982')
    expect(quantizeProbability(0.1).toFixed(11)).to.equal('0.10000000009')
    expect(quantizeProbability(0.2).toFixed(11)).to.equal('0.20000000019')
    expect(quantizeProbability(0.5)).to.equal(0.5)
    expect(quantizeProbability(1)).to.equal(1)
  })

  it('recent --rcheck forks into "has affinity" / "has not", each scenario summing to 1', () => {
    const text = dump({nat: [
      '-A PREROUTING -j X-SVC',
      '-A X-SVC -m recent --name X-SEP-A --mask 255.255.255.255 --rsource --rcheck --seconds 10800 --reap -j DNAT --to-destination 10.0.1.1:80',
      '-A X-SVC -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.0.1.1:80',
      '-A X-SVC -j DNAT --to-destination 10.0.1.2:80',
    ]})
    const outcomes = trace(text)
    const affinity = outcomes.filter((o) => o.conditions?.some((c) => c.key.startsWith('recent:') && c.holds))
    const none = outcomes.filter((o) => o.conditions?.some((c) => c.key.startsWith('recent:') && !c.holds))
    expect(affinity.map((o) => [o.endpoint, o.probability])).to.deep.equal([['10.0.1.1:80', 1]])
    expect(affinity[0].assumptions[0]).to.match(/already has session affinity \(recent list X-SEP-A\)/)
    expect(none.map((o) => [o.endpoint, o.probability])).to.deep.equal([['10.0.1.1:80', 0.5], ['10.0.1.2:80', 0.5]])
    expect(sum(none)).to.equal(1)
  })

  it('an undecidable match forks and names the assumption; the same question is answered once', () => {
    const text = dump({nat: [
      '-A PREROUTING -m foo --bar 1 -j X-A',
      '-A PREROUTING -m foo --bar 1 -j DNAT --to-destination 10.0.1.9:80',
      '-A X-A -j DNAT --to-destination 10.0.1.1:80',
    ]})
    const outcomes = trace(text)
    expect(outcomes.map((o) => [o.verdict, o.endpoint, o.probability])).to.deep.equal([['DNAT', '10.0.1.1:80', 1], ['ACCEPT', null, 1]])
    expect(outcomes[0].assumptions).to.include('-m foo --bar 1: assumed to match')
    expect(outcomes[1].assumptions).to.include('-m foo --bar 1: assumed not to match')
  })

  it('interfaces: unknown ones fork, connected routes decide them', () => {
    const text = dump({filter: ['-A FORWARD -o cni0 -j DROP']})
    expect(trace(text).map((o) => o.verdict).sort()).to.deep.equal(['ACCEPT', 'DROP'])
    const routes = [{name: 'eth0', cidr: '192.168.0.2/24'}, {name: 'cni0', cidr: '172.30.0.0/16'}]
    expect(trace(text, POD, {routes, defaultIface: 'eth0'}).map((o) => o.verdict)).to.deep.equal(['DROP'])
    expect(trace(text, {...POD, dst: '8.8.8.8'}, {routes, defaultIface: 'eth0'}).map((o) => o.verdict)).to.deep.equal(['ACCEPT'])
  })

  it('MARK sets bits that a later mark match sees; KUBE-POSTROUTING masquerades marked packets', () => {
    const text = dump({
      nat: [
        '-A PREROUTING -j KUBE-SERVICES',
        '-A POSTROUTING -j KUBE-POSTROUTING',
        '-A KUBE-SERVICES -d 172.30.0.1/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X',
        '-A KUBE-SVC-X ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-X -j DNAT --to-destination 10.0.1.1:80',
        '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
        '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
        '-A KUBE-POSTROUTING -j MASQUERADE',
      ],
      filter: ['-A FORWARD -m mark --mark 0x4000/0x4000 -j DROP'],
    })
    const fromPod = trace(text)[0]
    expect([fromPod.verdict, fromPod.masquerade]).to.deep.equal(['DNAT', false])
    // From outside: marked, so the filter rule sees the mark (it is cleared only in POSTROUTING).
    const fromOutside = trace(text, {...POD, src: '203.0.113.9'})[0]
    expect(fromOutside.verdict).to.equal('DROP')
    const noDrop = text.replace('-A FORWARD -m mark --mark 0x4000/0x4000 -j DROP\n', '')
    const masq = trace(noDrop, {...POD, src: '203.0.113.9'})[0]
    expect([masq.verdict, masq.masquerade, masq.masqueradeRule?.chain, masq.masqueradeRule?.rule]).to.deep.equal(['DNAT', true, 'KUBE-POSTROUTING', 3])
  })

  it('node-sourced packets take nat OUTPUT, and local destinations reach filter INPUT', () => {
    const text = dump({
      nat: ['-A OUTPUT -d 172.30.0.1/32 -j DNAT --to-destination 192.168.0.2:8080'],
      filter: ['-A INPUT -p tcp -m tcp --dport 8080 -j REJECT'],
    })
    const [o] = trace(text, {...POD, src: NODE})
    expect(o.verdict).to.equal('REJECT')
    expect(o.path.map((s) => s.hook)).to.deep.equal(['OUTPUT', 'INPUT'])
  })

  it('IPv6: endpoints print as [addr]:port', () => {
    const text = dump({nat: ['-A PREROUTING -d fd00:172:30::41/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00:10:180::1]:80']})
    const [o] = trace(text, {src: 'fd00:10::2', dst: 'fd00:172:30::41', proto: 'tcp', dport: 80})
    expect(o.endpoint).to.equal('[fd00:10:180::1]:80')
  })
})
