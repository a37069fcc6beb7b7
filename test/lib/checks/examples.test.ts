/** The shipped examples: the healthy ones give no findings, examples/stale exactly its README's. */
import {expect} from 'chai'
import {join} from 'node:path'
import {failsAt} from '../../../src/lib/checks/index.js'
import {readSnapshot} from '../../../src/lib/snapshot/index.js'
import {checkSnapshot, REPO} from './helpers.js'

const example = (name: string) => readSnapshot(join(REPO, 'examples', name))
const brief = (f: {id: string; node: string; service?: string; endpoint?: string}) => `${f.id} ${f.node} ${f.service ?? '-'} ${f.endpoint ?? '-'}`

describe('checks on the shipped examples', () => {
  for (const name of ['ghost', 'nginx', 'modern']) {
    it(`${name} is healthy: no findings at all`, async () => {
      const report = checkSnapshot(await example(name))
      expect(report.findings.map((f) => f.message)).to.deep.equal([])
      expect(failsAt(report, 'info')).to.equal(false)
      expect(report.nodes.every((n) => n.services > 0 && n.endpoints > 0 && !n.skipped)).to.equal(true)
    })
  }

  it('stale gives exactly the three documented faults, on the nodes that have them', async () => {
    const report = checkSnapshot(await example('stale'))
    expect(report.findings.map(brief)).to.deep.equal([
      'stale-endpoint stale-1 default/api:http 10.244.1.6:8080',
      'missing-endpoint stale-1 default/api:http 10.244.0.6:8080',
      'stale-endpoint stale-2 default/api:http 10.244.1.6:8080',
      'missing-endpoint stale-2 default/api:http 10.244.0.6:8080',
      'probability-nonuniform stale-1 default/web:http -',
    ])
    const skew = report.findings.find((f) => f.id === 'probability-nonuniform')
    expect(skew?.message).to.include('90.0% / 10.0%')
    expect(skew?.evidence).to.include({table: 'nat', rule: 2, origin: join(REPO, 'examples/stale/nodes/stale-1/iptables-save.txt')})
    expect(report.findings.find((f) => f.id === 'missing-endpoint')?.message).to.include('api-5f7b9c8d6-j7wpl')
    expect(report.summary).to.deep.include({error: 4, warning: 1, info: 0, nodes: 2})
    expect(failsAt(report, 'error')).to.equal(true)
  })

  it('--node, --namespace, --only and --skip narrow the stale report', async () => {
    const snapshot = await example('stale')
    expect(checkSnapshot(snapshot, {nodes: ['stale-2']}).findings.map((f) => f.node)).to.deep.equal(['stale-2', 'stale-2'])
    expect(checkSnapshot(snapshot, {namespace: 'kube-system'}).findings).to.deep.equal([])
    expect(checkSnapshot(snapshot, {only: ['probability-nonuniform']}).summary).to.deep.include({warning: 1, error: 0, checksRun: 1})
    const skipped = checkSnapshot(snapshot, {skip: ['stale-endpoint', 'missing-endpoint']})
    expect(failsAt(skipped, 'error')).to.equal(false)
    expect(failsAt(skipped, 'warning')).to.equal(true)
    expect(() => checkSnapshot(snapshot, {only: ['stale-endpoints']})).to.throw(/unknown check stale-endpoints/)
    expect(() => checkSnapshot(snapshot, {nodes: ['nope']})).to.throw(/unknown node nope/)
  })
})
