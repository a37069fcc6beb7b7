import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {writeFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {RulesResult} from '../../src/commands/rules.js'

// Commands run from dist/ (npm test builds first), exactly as the shipped binary does.
describe('kpx rules', () => {
  it('summarises a snapshot per node and table, with kube-proxy chain kinds', async () => {
    const {stdout, error} = await runCommand(['rules', '--snapshot', 'examples/ghost', '--node', 'k8s-1', '--no-color'])
    expect(error).to.equal(undefined)
    expect(stdout).to.match(/^node k8s-1 /)
    expect(stdout).to.contain('table nat')
    expect(stdout).to.match(/kube-proxy: SERVICES 1, NODEPORTS 1, SVC \d+, SEP \d+/)
    expect(stdout).not.to.contain('node k8s-2')
  })

  it('prints one chain in full with rule numbers and source lines', async () => {
    const {stdout} = await runCommand(['rules', '--snapshot', 'examples/ghost', '--node', 'k8s-1', '--chain', 'KUBE-SVC-4XJR4EADNBDQKTKS', '--no-color'])
    expect(stdout).to.match(/chain KUBE-SVC-4XJR4EADNBDQKTKS\n\s+1 {2}line \d+ {2}-A KUBE-SVC-4XJR4EADNBDQKTKS .*--probability 0\.50000000000 -j KUBE-SEP-7I5NH52DVZSA3QHP/)
  })

  it('--json returns the parsed model as the result', async () => {
    const {result} = await runCommand<RulesResult>(['rules', '--snapshot', 'examples/nginx', '--json'])
    const nat = result!.nodes[0].iptables!.tables.find((t) => t.name === 'nat')!
    const svc = nat.chains.find((c) => c.name === 'KUBE-SVC-I64SNEMOLCWHJHS3')!
    expect(svc.rules.map((r) => r.target?.name)).to.deep.equal(['KUBE-SEP-MMWJ6M2J72TU3J64', 'KUBE-SEP-GRLEVIWNO4P37GSQ', 'KUBE-SEP-74XRUOWV76LDS3ID'])
  })

  it('--normalize prints a file back in iptables-save form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kpx-rules-'))
    const file = join(dir, 'frag.txt')
    writeFileSync(file, '-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A\n-A KUBE-SVC-X -j KUBE-SEP-B\n')
    const {stdout} = await runCommand(['rules', '--rules', file, '--normalize'])
    expect(stdout).to.contain('*nat\n')
    expect(stdout).to.contain(':KUBE-SVC-X - [0:0]\n')
    expect(stdout).to.contain('-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A\n')
    expect(stdout).to.contain('COMMIT')
  })

  const badInputs = [
    {name: 'unbalanced quote', text: '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m comment --comment "x -j ACCEPT\nCOMMIT\n', where: ':3:'},
    {name: 'truncated table', text: '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\n', where: ':1:'},
    {name: 'jump to a missing chain', text: '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j KUBE-NOPE\nCOMMIT\n', where: ':3:'},
    {name: 'binary garbage', text: '*nat\n:PREROUTING ACCEPT [0:0]\n\u0000\u0001\u0002garbage\nCOMMIT\n', where: ':3'},
  ]
  for (const bad of badInputs) {
    it(`exits 4 with a one-line FILE:LINE error on ${bad.name}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kpx-rules-'))
      const file = join(dir, 'bad.txt')
      writeFileSync(file, bad.text)
      const {stderr, error} = await runCommand(['rules', '--rules', file])
      expect(error?.oclif?.exit).to.equal(4)
      const first = stderr.split('\n')[0]
      expect(first).to.contain(`kpx: ${file}${bad.where}`)
      expect(stderr).not.to.match(/\n\s+at /) // no stack trace
    })
  }

  it('exits 4 naming the path when the file does not exist', async () => {
    const {stderr, error} = await runCommand(['rules', '--rules', '/nonexistent/rules.txt'])
    expect(error?.oclif?.exit).to.equal(4)
    expect(stderr).to.contain('/nonexistent/rules.txt')
  })

  it('exits 2 on a bad --node-ip', async () => {
    const {error} = await runCommand(['rules', '--rules', 'x', '--node-ip', '1.2.3'])
    expect(error?.oclif?.exit).to.equal(2)
  })
})

describe('kpx rules and services on IPv6 input', () => {
  it('reads an ip6tables-save file as the IPv6 rules of the node', async () => {
    const {result, error} = await runCommand<RulesResult>(['rules', '--rules', 'test/fixtures/iptables/ip6-nft-counters.save', '--json'])
    expect(error).to.equal(undefined)
    expect(result!.nodes[0].iptables).to.equal(undefined)
    expect(result!.nodes[0].ip6tables?.family).to.equal(6)
  })

  it('lists IPv6 Service ports with bracketed endpoints', async () => {
    const {stdout, error} = await runCommand(['services', '--rules', 'test/fixtures/iptables/ip6-nft-counters.save', '--no-color'])
    expect(error).to.equal(undefined)
    expect(stdout).to.match(/\[fd00:172:30::41\]:80\/tcp .*\[fd00:10:180::1\]:80 50\.00%/)
  })

  it('an unknown --chain is "not found" (exit 5) with a suggestion', async () => {
    const {error, stderr} = await runCommand(['rules', '--snapshot', 'examples/ghost', '--chain', 'KUBE-SVC-4XJR4EADNBDQKTKZ'])
    expect(error?.oclif?.exit).to.equal(5)
    expect(stderr).to.contain('try: --chain KUBE-SVC-4XJR4EADNBDQKTKS')
  })
})
