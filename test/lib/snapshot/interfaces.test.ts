import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {formatAddresses, parseAddresses, parseInterfaces} from '../../../src/lib/snapshot/addresses.js'
import {readSnapshot} from '../../../src/lib/snapshot/read.js'
import {writeSnapshot} from '../../../src/lib/snapshot/write.js'

describe('node interfaces from `ip -o addr show`', () => {
  const cases: {name: string; text: string; expect: {name: string; cidr: string}[]}[] = [
    {name: 'ghost example (kubeadm + weave)', text: '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n3: weave    inet 10.32.0.1/12 scope global weave\\ x', expect: [{name: 'lo', cidr: '127.0.0.1/8'}, {name: 'weave', cidr: '10.32.0.1/12'}]},
    {name: 'veth peer suffix and IPv6', text: '7: eth0@if8    inet6 fd00::5/64 scope global \\       valid_lft forever', expect: [{name: 'eth0', cidr: 'fd00::5/64'}]},
    {name: 'bare addresses carry no interface', text: '192.168.0.11\n10.0.0.1/24\n', expect: []},
    {name: 'not an address', text: '2: eth0    inet bogus/24 scope global eth0', expect: []},
  ]
  for (const c of cases) {
    it(c.name, () => expect(parseInterfaces(c.text)).to.deep.equal(c.expect))
  }

  it('reads them from every example node that has ip -o output', async () => {
    const snapshot = await readSnapshot('examples/ghost')
    for (const node of snapshot.nodes) expect(node.interfaces?.map((i) => i.name)).to.include.members(['lo', 'eth0', 'weave'])
  })

  it('keeps interfaces and extra addresses through write → read', async () => {
    const interfaces = [{name: 'eth0', cidr: '192.168.64.35/24'}, {name: 'cni0', cidr: '10.244.1.1/24'}]
    const text = formatAddresses(['192.168.64.35', '10.244.1.1', '127.0.0.1'], interfaces)
    expect(parseInterfaces(text)).to.deep.equal(interfaces)
    expect(parseAddresses(text, 'x').sort()).to.deep.equal(['10.244.1.1', '127.0.0.1', '192.168.64.35'])
    const dir = mkdtempSync(join(tmpdir(), 'kpx-ifaces-'))
    await writeSnapshot({origin: 'test', nodes: [{name: 'n1', addresses: ['192.168.64.35', '10.244.1.1'], interfaces, iptables: {origin: 'x', text: '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'}}]}, join(dir, 'snap'))
    const back = await readSnapshot(join(dir, 'snap'))
    expect(back.nodes[0].interfaces).to.deep.equal(interfaces)
  })
})
