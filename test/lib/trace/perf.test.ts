/**
 * A trace must stay cheap on big clusters: once the rules are parsed, tracing one packet through a
 * 1000-service dump (bench/generate-dump.js) takes well under 10 ms.
 * KUBE-SERVICES is scanned with one string compare per `-d host/32` rule (chain-walk.ts).
 */
import {expect} from 'chai'

// @ts-expect-error -- plain JS generator without type declarations (bench/generate-dump.js)
import {generateKubeProxyDump} from '../../../bench/generate-dump.js'
import {buildProxyModel} from '../../../src/lib/kube-proxy/model.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import {evaluatePacket} from '../../../src/lib/trace/iptables.js'
import type {Protocol} from '../../../src/lib/trace/types.js'


describe('trace: performance', function () {
  this.timeout(120_000)
  it('traces a packet through a 1000-service dump in under 10 ms (median, rules parsed)', () => {
    const generated: unknown = generateKubeProxyDump({services: 1000, endpointsPerService: 10, seed: 1})
    const dump = parseRules(typeof generated === 'string' ? generated : (generated as {text: string}).text)
    const ports = [...buildProxyModel(dump).servicePorts.values()].filter((p) => p.clusterIPs.length > 0 && p.endpoints.length > 0)
    expect(ports.length).to.be.greaterThan(500)
    const times: number[] = []
    for (let i = 0; i < 60; i++) {
      const p = ports[(i * 97) % ports.length]
      const start = performance.now()
      const {outcomes} = evaluatePacket(dump, {src: '10.244.5.5', dst: p.clusterIPs[0], proto: p.protocol as Protocol, dport: p.port!}, {localAddresses: ['10.0.0.1']})
      times.push(performance.now() - start)
      expect(outcomes.filter((o) => o.verdict === 'DNAT').map((o) => o.endpoint)).to.deep.equal(p.endpoints.map((e) => e.address))
    }
    times.sort((a, b) => a - b)
    expect(times[30], `median of ${times.map((t) => t.toFixed(1)).join(' ')}`).to.be.below(10)
  })
})
