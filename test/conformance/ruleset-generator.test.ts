/**
 * The seeded generator behind the kernel conformance run (pure, no root): deterministic, parses
 * cleanly, and the seeds the conformance run uses cover every feature it claims to exercise.
 */
import {expect} from 'chai'

import {parseRules} from '../../src/lib/parse/index.js'
import {generateRuleset} from '../helpers/ruleset-generator.js'

// Keep in step with tracer-kernel.test.ts (each of these seeds alone covers every feature).
const CONFORMANCE_SEEDS = [79, 203, 340]
const SERVICES = 7

describe('kube-proxy ruleset generator', () => {
  it('gives the same text for the same seed and different text for another', () => {
    expect(generateRuleset(7).text).to.equal(generateRuleset(7).text)
    expect(generateRuleset(7).text).to.not.equal(generateRuleset(8).text)
  })

  it('produces dumps kpx parses without issues, with a probe per service at least', () => {
    for (const seed of CONFORMANCE_SEEDS) {
      const generated = generateRuleset(seed, SERVICES)
      const dump = parseRules(generated.text, {family: 4})
      expect(dump.issues, `seed ${seed}`).to.deep.equal([])
      expect(generated.targets.length).to.be.at.least(SERVICES * 3)
    }
  })

  it('names chains with kube-proxy\'s hashes (ns1/svc1:p80 tcp → KUBE-SVC-XPGD46QRK7WJZT7O, as in the corpus)', () => {
    const svc = generateRuleset(1).services.find((s) => s.key === 'ns1/svc1:p80' && s.proto === 'tcp')
    if (svc) expect(svc.svcChain).to.equal('KUBE-SVC-XPGD46QRK7WJZT7O')
    const any = generateRuleset(1).services[0]
    expect(any.svcChain).to.match(/^KUBE-SVC-[A-Z2-7]{16}$/)
  })

  it('covers every feature across the conformance seeds', () => {
    const services = CONFORMANCE_SEEDS.flatMap((seed) => generateRuleset(seed, SERVICES).services)
    const covered = {
      udp: services.some((s) => s.proto === 'udp'),
      affinity: services.some((s) => s.affinity),
      noEndpoints: services.some((s) => s.endpoints.length === 0),
      manyEndpoints: services.some((s) => s.endpoints.length >= 4),
      localWithLocalEndpoints: services.some((s) => s.externalLocal && s.endpoints.some((e) => e.local)),
      localWithoutLocalEndpoints: services.some((s) => s.externalLocal && s.endpoints.length > 0 && !s.endpoints.some((e) => e.local)),
      nodePort: services.some((s) => s.nodePort),
      externalIp: services.some((s) => s.externalIps.length > 0),
      lbSourceRanges: services.some((s) => s.sourceRanges.length > 0),
    }
    expect(covered).to.deep.equal(Object.fromEntries(Object.keys(covered).map((k) => [k, true])))
  })
})
