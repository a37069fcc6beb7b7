import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {TraceCommandResult} from '../../src/commands/trace.js'
import type {TraceResult} from '../../src/lib/trace/types.js'

const asArray = (r: TraceCommandResult | undefined): TraceResult[] => (Array.isArray(r) ? r : r ? [r] : [])

/** Probability mass per endpoint, summing outcomes that differ only in undecided conditions' answers. */
function endpointShares(r: TraceResult): Record<string, number> {
  const out: Record<string, number> = {}
  const seen = new Set<string>()
  for (const o of r.outcomes) {
    const key = `${o.verdict}|${o.endpoint}|${o.probability}`
    if (seen.has(key)) continue
    seen.add(key)
    const name = o.verdict === 'DNAT' ? o.endpoint! : o.verdict
    out[name] = (out[name] ?? 0) + o.probability
  }
  return out
}

describe('kpx trace', () => {
  it('ghost NodePort: KUBE-NODEPORTS → KUBE-MARK-MASQ → KUBE-SVC → each SEP at 0.5 → DNAT, masqueraded (seed 000)', async () => {
    const {result, error} = await runCommand<TraceCommandResult>(['trace', 'svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost', '--json'])
    expect(error).to.equal(undefined)
    const results = asArray(result)
    expect(results.map((r) => r.node)).to.deep.equal(['k8s-1', 'k8s-2'])
    for (const r of results) {
      expect(r.packet.entry).to.equal('PREROUTING')
      expect(r.service?.name).to.equal('ghost')
      expect(endpointShares(r)).to.deep.equal({'10.44.0.3:2368': 0.5, '10.44.0.4:2368': 0.5})
      for (const o of r.outcomes) {
        expect(o.masquerade).to.equal(true)
        const chains = o.path.map((s) => s.chain)
        const order = ['KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'KUBE-SVC-4XJR4EADNBDQKTKS']
        expect(order.map((c) => chains.indexOf(c))).to.satisfy((ix: number[]) => ix.every((v, i) => v >= 0 && (i === 0 || v > ix[i - 1])))
        const sep = o.endpoint === '10.44.0.3:2368' ? 'KUBE-SEP-7I5NH52DVZSA3QHP' : 'KUBE-SEP-PSCUKR75WU2ULAEX'
        expect(chains).to.include(sep)
      }
    }
  })

  it('nginx ClusterIP: three endpoints at 1/3 each, within the 2^-31 quantisation (seed 001)', async () => {
    const {result} = await runCommand<TraceCommandResult>(['trace', '10.254.198.92:80', '--snapshot', 'examples/nginx', '--src', '10.244.9.9', '--json'])
    const shares = endpointShares(asArray(result)[0])
    expect(Object.keys(shares).sort()).to.deep.equal(['172.17.0.2:80', '172.17.0.3:80', '172.17.0.4:80'])
    for (const p of Object.values(shares)) expect(p).to.be.closeTo(1 / 3, 1e-4)
    expect(Object.values(shares).reduce((a, b) => a + b)).to.be.closeTo(1, 1e-9)
  })

  it('prints the walk as a tree with the endpoints, pods and masquerade decision', async () => {
    const {stdout} = await runCommand(['trace', 'svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost', '--node', 'k8s-1', '--no-color'])
    expect(stdout).to.match(/^node k8s-1 {2}tcp 203\.0\.113\.10 → 192\.168\.64\.35:30966/)
    expect(stdout).to.contain('KUBE-NODEPORTS #1')
    expect(stdout).to.match(/├─ PREROUTING nat KUBE-SVC-4XJR4EADNBDQKTKS #1 \(line \d+\) {2}random p=0\.50000000000 → KUBE-SEP-7I5NH52DVZSA3QHP {2}\[50\.00%\]/)
    expect(stdout).to.match(/KUBE-SEP-7I5NH52DVZSA3QHP #2 \(line \d+\) {2}proto tcp → DNAT --to-destination 10\.44\.0\.3:2368\n/)
    expect(stdout).to.match(/⇒ DNAT 10\.44\.0\.3:2368 default\/ghost-\S+ on k8s-2 50\.00% masqueraded/)
    expect(stdout).to.match(/10\.44\.0\.4:2368 +50\.00% +default\/ghost-\S+ +k8s-2 +ready +yes \(KUBE-POSTROUTING #\d\)/)
    expect(stdout).not.to.contain('nodes disagree')
  })

  it('marks a stale endpoint (a DNAT target the EndpointSlices no longer list)', async () => {
    const {result, stdout} = await runCommand<TraceCommandResult>(['trace', 'svc/api', '--snapshot', 'examples/stale', '--node', 'stale-1', '--no-color'])
    expect(stdout).to.contain('STALE')
    const stale = asArray(result)[0].outcomes.filter((o) => o.stale).map((o) => o.endpoint)
    expect([...new Set(stale)]).to.deep.equal(['10.244.1.6:8080'])
  })

  it('says so when no rule on the node translates a Service address (kube-proxy rules missing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kpx-norules-'))
    cpSync('examples/ghost', dir, {recursive: true})
    const file = join(dir, 'nodes', 'k8s-1', 'iptables-save.txt')
    const ghostChains = ['KUBE-SVC-4XJR4EADNBDQKTKS', 'KUBE-SEP-7I5NH52DVZSA3QHP', 'KUBE-SEP-PSCUKR75WU2ULAEX']
    const kept = readFileSync(file, 'utf8').split('\n').filter((l) => !l.includes('"default/ghost') && !ghostChains.some((c) => l.includes(c)))
    writeFileSync(file, kept.join('\n'))
    const {stdout: broken} = await runCommand(['trace', 'svc/ghost', '--snapshot', dir, '--node', 'k8s-1', '--src', '10.32.0.9', '--no-color'])
    expect(broken).to.match(/⇒ ACCEPT .*\nno rule on this node translates 10\.98\.141\.188:80: .*nothing answers for the Service/)
    const {stdout: healthy} = await runCommand(['trace', 'svc/ghost', '--snapshot', dir, '--node', 'k8s-2', '--src', '10.32.0.9', '--no-color'])
    expect(healthy).not.to.contain('nothing answers')
  })

  it('shows that nodes disagree when their rules differ', async () => {
    const {stdout} = await runCommand(['trace', 'svc/web', '--nodeport', '30800', '--snapshot', 'examples/stale', '--no-color'])
    expect(stdout).to.contain('nodes disagree')
  })

  const errors = [
    {args: ['svc/nope', '--snapshot', 'examples/ghost'], exit: 5, text: 'default/nope'},
    {args: ['svc/ghost', '--snapshot', 'examples/ghost', '--node', 'k8s-9'], exit: 5, text: 'k8s-9'},
    {args: ['10.1.2.3.4:80', '--snapshot', 'examples/ghost'], exit: 2, text: 'not an IP address'},
    {args: ['10.1.2.3:99999', '--snapshot', 'examples/ghost'], exit: 2, text: 'out of range'},
    {args: ['svc/ghost', '--snapshot', 'examples/does-not-exist'], exit: 4, text: 'does-not-exist'},
  ]
  for (const e of errors) {
    it(`exits ${e.exit} with a one-line error for ${e.args.join(' ')}`, async () => {
      const {stderr, error} = await runCommand(['trace', ...e.args])
      expect(error?.oclif?.exit).to.equal(e.exit)
      // kpx's own errors are printed to stderr; oclif's usage errors travel in error.message.
      expect(stderr + (error?.message ?? '')).to.contain(e.text)
      expect(stderr).not.to.match(/\n\s+at /)
    })
  }
})

describe('kpx services', () => {
  it('lists the Service ports of a node with endpoint shares and pods', async () => {
    const {stdout, result} = await runCommand<{node: string; services: {service: string; endpoints: {address: string | null; probability: number}[]}[]}[]>(['services', '--snapshot', 'examples/nginx', '--json'])
    const nginx = result![0].services.find((s) => s.service === 'default/nginx-service-nodeport')!
    expect(nginx.endpoints.map((e) => e.address)).to.deep.equal(['172.17.0.2:80', '172.17.0.3:80', '172.17.0.4:80'])
    for (const e of nginx.endpoints) expect(e.probability).to.be.closeTo(1 / 3, 1e-4)
    expect(JSON.parse(stdout)).to.deep.equal(result) // --json: stdout is the JSON document and nothing else
  })

  it('renders a table with REJECT for a Service without endpoints', async () => {
    const {stdout} = await runCommand(['services', '--snapshot', 'examples/modern', '--node', 'node-a', '--no-color'])
    expect(stdout).to.match(/shop\/legacy-api .*REJECT: has no endpoints/)
    expect(stdout).to.match(/shop\/cart .*ClientIP 10800s/)
  })
})
