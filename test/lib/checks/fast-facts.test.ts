/**
 * `kpx check` reads kube-proxy's facts straight from undecoded rule lines where they have the
 * plain kube-proxy shape (src/lib/kube-proxy/line-facts.ts). Whatever it reads that way, the
 * report must be the one the fully decoded rules give: every check, over every corpus dump (with
 * and without a cluster.json), every example snapshot and a generated dump.
 */
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
// @ts-expect-error plain ESM JavaScript without type declarations
import {generateKubeProxyDump} from '../../../bench/generate-dump.js'
import type {CheckReport} from '../../../src/lib/checks/types.js'
import {readSnapshot} from '../../../src/lib/snapshot/read.js'
import type {Snapshot} from '../../../src/lib/snapshot/types.js'
import {CORPUS, checkSnapshot, fixtureCluster, REPO, snapshotOf} from './helpers.js'

/** Both ways; returns the (equal) report. */
function sameReportBothWays(snapshot: Snapshot, what: string): CheckReport {
  const decoded = checkSnapshot(snapshot)
  const lazy = checkSnapshot(snapshot, {lazy: true})
  expect(lazy, what).to.deep.equal(decoded)
  return decoded
}

describe('checks: facts read from undecoded lines give the same report as decoded rules', () => {
  const corpus = readdirSync(CORPUS).filter((f) => f.endsWith('.rules'))

  it('every corpus dump, without cluster.json and with the overall fixture cluster', () => {
    expect(corpus.length).to.be.greaterThan(10)
    let findings = 0
    for (const file of corpus) {
      const text = readFileSync(join(CORPUS, file), 'utf8')
      findings += sameReportBothWays(snapshotOf([{name: 'node1', text}]), file).findings.length
      findings += sameReportBothWays(snapshotOf([{name: 'node1', text}], fixtureCluster('overall/cluster.json')), `${file} + cluster`).findings.length
    }
    expect(findings, 'the comparison covers findings, not only empty reports').to.be.greaterThan(50)
  })

  it('every example snapshot', async () => {
    const examples = readdirSync(join(REPO, 'examples'), {withFileTypes: true}).filter((e) => e.isDirectory() && !e.name.startsWith('_'))
    expect(examples.length).to.be.greaterThan(3)
    for (const example of examples) {
      const snapshot = await readSnapshot(join(REPO, 'examples', example.name))
      sameReportBothWays(snapshot, example.name)
    }
  })

  it('a generated 500-Service dump, alone and as two nodes', () => {
    const text = generateKubeProxyDump({services: 500, endpointsPerService: 4, seed: 3}) as string
    const report = sameReportBothWays(snapshotOf([{name: 'node1', text}]), 'generated')
    expect(report.nodes[0].endpoints).to.be.greaterThan(1000)
    const edited = text.replace(/--probability 0\.\d+/, '--probability 0.9').replace(/--to-destination (\S+)/, '--to-destination 10.255.0.1:1')
    sameReportBothWays(snapshotOf([{name: 'node1', text}, {name: 'node2', text: edited}]), 'generated, two nodes')
  })
})
