/**
 * A trace builds the kube-proxy model only for the service ports at its destination
 * (src/lib/trace/scope.ts). That smaller model must find the same service port, with the same
 * facts and endpoints, as the model of the whole dump: for every address, port and NodePort of
 * every service port in the corpus and the examples, each protocol, local or not.
 */
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {buildProxyModel} from '../../../src/lib/kube-proxy/model.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import type {IptablesDump} from '../../../src/lib/parse/types.js'
import {scopeDump, scopeDumpByName} from '../../../src/lib/trace/scope.js'
import {findServicePort} from '../../../src/lib/trace/target.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const files = [
  ...readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.rules')).map((f) => join(CORPUS_DIR, f)),
  ...['ghost/nodes/k8s-1', 'nginx/nodes/hjdevelop', 'modern/nodes/node-a', 'modern/nodes/node-c'].map((n) => `examples/${n}/iptables-save.txt`),
]

/**
 * The dump the scope reads: decoded, or as a trace reads it (lazy, every chain's rules scanned
 * only when asked about, so that the scope's reading of lines is what is tested); the model of
 * the whole dump is always built from the decoded one.
 */
const READS: [string, (text: string) => IptablesDump][] = [
  ['decoded', (text) => parseRules(text)],
  ['lazy, scanned on use', (text) => parseRules(text, {lazy: true, family: parseRules(text).family ?? 4, scanOnUseFrom: 1})],
]

describe('trace: the scoped model finds what the whole model finds', () => {
  for (const file of files) for (const [read, parse] of READS) {
    it(`${file.split('/').slice(-3).join('/')} (${read})`, () => {
      const dump = parse(readFileSync(file, 'utf8'))
      const full = buildProxyModel(parseRules(readFileSync(file, 'utf8')))
      let cases = 0
      for (const p of full.servicePorts.values()) {
        const targets: [string, number, boolean][] = [...p.clusterIPs, ...p.externalIPs, ...p.loadBalancerIPs].flatMap((ip): [string, number, boolean][] => [[ip, p.port ?? 80, false], [ip, p.port ?? 80, true], [ip, 9999, false]])
        for (const np of p.nodePorts) targets.push(['192.168.99.1', np, true])
        for (const [dst, dport, local] of targets) {
          const scopedDump = scopeDump(dump, {dst, dport, local})
          const order = dump.tables.find((t) => t.name === 'nat')?.chains.map((c) => c.name) ?? []
          const kept = scopedDump.tables.find((t) => t.name === 'nat')?.chains.map((c) => c.name) ?? []
          expect(kept, 'kept chains in the table\'s order').to.deep.equal(order.filter((name) => kept.includes(name)))
          const scoped = buildProxyModel(scopedDump)
          for (const proto of ['tcp', 'udp', 'sctp']) {
            cases++
            const want = findServicePort(full, dst, dport, proto, local)
            expect(findServicePort(scoped, dst, dport, proto, local), `${dst}:${dport}/${proto}${local ? ' local' : ''}`).to.deep.equal(want)
          }
        }
      }
      if (full.servicePorts.size > 0) expect(cases, 'service ports exercised').to.be.greaterThan(0)
    })
  }
})

describe('trace: the model scoped to a Service by name finds what the whole model finds', () => {
  for (const file of files) for (const [read, parse] of READS) {
    it(`${file.split('/').slice(-3).join('/')} (${read})`, () => {
      const dump = parse(readFileSync(file, 'utf8'))
      const full = buildProxyModel(parseRules(readFileSync(file, 'utf8')))
      const portsOf = (model: ReturnType<typeof buildProxyModel>, ns: string, name: string) =>
        [...model.servicePorts.values()].filter((p) => p.namespace === ns && p.name === name)
      const services = new Map([...full.servicePorts.values()].filter((p) => p.named).map((p) => [`${p.namespace}/${p.name}`, p]))
      for (const [key, port] of services) {
        const want = portsOf(full, port.namespace, port.name)
        // Comments alone, and with the port names a cluster.json would give (hashes).
        const portNames = want.map((p) => (p.portName ? `${key}:${p.portName}` : key))
        for (const names of [[], portNames]) {
          const scoped = scopeDumpByName(dump, port.namespace, port.name, names)
          expect(scoped, key).to.not.equal(undefined)
          expect(portsOf(buildProxyModel(scoped!), port.namespace, port.name), key).to.deep.equal(want)
        }
      }
      expect(scopeDumpByName(dump, 'no-such-namespace', 'no-such-service', [])).to.equal(undefined)
    })
  }
})
