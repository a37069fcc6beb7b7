/**
 * The kernel lab itself (test/helpers/netns.ts): namespaces come and go with the given prefix,
 * every connection is exactly one first packet on the expected hook, counters zero and diff.
 */
import {expect} from 'chai'

import {run} from '../helpers/netns-exec.js'
import {countersDelta, createLab, type Lab, requireRoot} from '../helpers/netns.js'

const PREFIX = 'kpxK-'

// Counting rules only: one per hook and family of interest, no verdicts.
const COUNTING_RULES = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 7001
-A PREROUTING -p udp -m udp --dport 7002
-A OUTPUT -p tcp -m tcp --dport 7001
-A POSTROUTING -p tcp -m tcp --dport 7001
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p tcp -m tcp --dport 7001
-A OUTPUT -p tcp -m tcp --dport 7001
COMMIT
`

async function namespaces(): Promise<string[]> {
  return (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0]).filter(Boolean)
}

describe('kernel lab (test/helpers/netns.ts)', function () {
  this.timeout(60_000)
  let lab: Lab | undefined

  before(async function () {
    requireRoot(this)
    lab = await createLab({prefix: PREFIX, nodeIps: ['192.168.50.2', '2001:db8:50::2'], clientIps: ['10.9.0.2']})
    await lab.loadRules(COUNTING_RULES, {backend: 'nft', family: 4})
  })
  after(async () => {
    await lab?.close()
  })

  it('creates a node and a client namespace under the prefix', async () => {
    const names = await namespaces()
    expect(names).to.include.members([lab!.nodeNs, lab!.clientNs])
    expect(lab!.nodeNs.startsWith(PREFIX) && lab!.clientNs.startsWith(PREFIX)).to.equal(true)
  })

  it('client connections traverse nat PREROUTING, filter FORWARD and POSTROUTING once each', async () => {
    const before = await lab!.counters()
    const [result] = await lab!.sendBatch([{from: 'client', src: '10.9.0.2', dst: '10.200.0.1', port: 7001, proto: 'tcp', count: 300}])
    const delta = countersDelta(before, await lab!.counters())
    expect(result).to.deep.equal({sent: 300, errors: {}})
    expect(delta['nat/PREROUTING/1'].packets).to.equal(300)
    expect(delta['filter/FORWARD/1'].packets).to.equal(300)
    expect(delta['nat/POSTROUTING/1'].packets).to.equal(300)
    expect(delta['nat/OUTPUT/1'].packets).to.equal(0)
  })

  it('node connections traverse nat OUTPUT and filter OUTPUT, not PREROUTING', async () => {
    const before = await lab!.counters()
    await lab!.send({from: 'node', src: '192.168.50.2', dst: '10.200.0.1', port: 7001, proto: 'tcp', count: 200})
    const delta = countersDelta(before, await lab!.counters())
    expect(delta['nat/OUTPUT/1'].packets).to.equal(200)
    expect(delta['filter/OUTPUT/1'].packets).to.equal(200)
    expect(delta['nat/PREROUTING/1'].packets).to.equal(0)
  })

  it('adds a spoofed client source on demand, and UDP sends one datagram per attempt', async () => {
    const before = await lab!.counters()
    await lab!.send({from: 'client', src: '203.0.113.77', dst: '10.200.0.1', port: 7002, proto: 'udp', count: 50})
    expect(countersDelta(before, await lab!.counters())['nat/PREROUTING/2'].packets).to.equal(50)
  })

  it('repeats a batch with the same source ports as new connections (conntrack is flushed)', async () => {
    const before = await lab!.counters()
    for (let i = 0; i < 2; i++) await lab!.send({from: 'client', dst: '10.200.0.1', port: 7001, proto: 'tcp', count: 100})
    expect(countersDelta(before, await lab!.counters())['nat/PREROUTING/1'].packets).to.equal(200)
  })

  it('zeroes counters and saves them in iptables-save -c form', async () => {
    await lab!.zeroCounters()
    const saved = await lab!.saveRules({counters: true})
    expect(saved).to.match(/^\[0:0\] -A PREROUTING -p tcp -m tcp --dport 7001$/m)
    expect(Object.values(await lab!.counters()).every((c) => c.packets === 0)).to.equal(true)
  })

  it('switches backend without leaving the other one active', async () => {
    await lab!.loadRules(COUNTING_RULES, {backend: 'legacy', family: 4})
    await lab!.send({from: 'client', dst: '10.200.0.1', port: 7001, proto: 'tcp', count: 10})
    const legacy = await lab!.counters({backend: 'legacy', family: 4})
    const nft = await lab!.saveRules({backend: 'nft', family: 4})
    expect(legacy['nat/PREROUTING/1'].packets).to.equal(10)
    expect(nft).to.not.match(/--dport 7001/)
  })

  it('close() removes both namespaces and is idempotent', async () => {
    const extra = await createLab({prefix: PREFIX, nodeIps: ['192.168.51.2']})
    await extra.close()
    await extra.close()
    expect(await namespaces()).to.not.include.members([extra.nodeNs])
    expect(await namespaces()).to.not.include.members([extra.clientNs])
  })
})
