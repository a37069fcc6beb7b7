/** Shared test helpers: corpus and fixture loading, snapshots from text, findings as counts. */
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {runChecks, type RunChecksOptions} from '../../../src/lib/checks/index.js'
import type {CheckReport} from '../../../src/lib/checks/types.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import {parseClusterJson} from '../../../src/lib/snapshot/index.js'
import type {ClusterObjects, NodeMeta, Snapshot} from '../../../src/lib/snapshot/types.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'
import type {EndpointClaim} from '../../../src/lib/checks/endpoint-claims.js'
import {endpointChainName} from '../../../src/lib/kube-proxy/names.js'

const here = dirname(fileURLToPath(import.meta.url))
export const REPO = join(here, '..', '..', '..')
export const CORPUS = CORPUS_DIR
export const FIXTURES = join(REPO, 'test', 'fixtures', 'checks')

/** Every corpus ruleset and every node's rules of the shipped examples, as [name, text]. */
export function corpusAndExampleDumps(): [string, string][] {
  const dumps: [string, string][] = []
  for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.rules'))) dumps.push([file, readFileSync(join(CORPUS, file), 'utf8')])
  for (const example of ['ghost', 'modern', 'nginx', 'stale']) {
    const nodes = join(REPO, 'examples', example, 'nodes')
    for (const node of readdirSync(nodes)) dumps.push([`${example}/${node}`, readFileSync(join(nodes, node, 'iptables-save.txt'), 'utf8')])
  }
  return dumps
}

export function corpusRules(name: string): string {
  return readFileSync(join(CORPUS, `${name}.rules`), 'utf8')
}

/** A fresh (mutable) copy of a fixture cluster.json, e.g. 'overall/cluster.json'. */
export function fixtureCluster(path: string): ClusterObjects {
  const file = join(FIXTURES, path)
  return parseClusterJson(readFileSync(file, 'utf8'), file)
}

export interface NodeText {
  name: string
  text: string
  meta?: NodeMeta
}

export function snapshotOf(nodes: NodeText[], cluster?: ClusterObjects): Snapshot {
  return {
    origin: 'test',
    cluster,
    nodes: nodes.map(({name, text, meta}) => ({name, addresses: [], meta, iptables: {origin: `nodes/${name}/iptables-save.txt`, text}})),
  }
}

/**
 * runChecks with the real parser (IPv4 and IPv6 dumps when the capture has them). Eager parsing
 * by default, so every rule is decoded and the checks read typed matches; `lazy` parses as the
 * CLI does, so the checks read kube-proxy's facts from the undecoded lines where they can.
 */
export function checkSnapshot(snapshot: Snapshot, opts: Omit<RunChecksOptions, 'parse'> & {lazy?: boolean} = {}): CheckReport {
  const {lazy, ...rest} = opts
  const parse = (text: string) => parseRules(text, {lazy})
  return runChecks(snapshot, {
    ...rest,
    parse: (node) => [node.iptables && parse(node.iptables.text), node.ip6tables && parse(node.ip6tables.text)],
  })
}

/** `{'stale-endpoint': 1, ...}`: what a test compares, so any extra finding fails it. */
export function findingCounts(report: CheckReport): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const f of report.findings) counts[f.id] = (counts[f.id] ?? 0) + 1
  return counts
}

/** Replace exactly one occurrence of `from`, so a stale edit fails loudly instead of silently. */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from)
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one "${from}" in the fixture`)
  return text.slice(0, at) + to + text.slice(at + from.length)
}

/** Remove the one line that contains `fragment`. */
export function deleteLine(text: string, fragment: string): string {
  const lines = text.split('\n')
  const hits = lines.filter((l) => l.includes(fragment))
  if (hits.length !== 1) throw new Error(`expected exactly one line with "${fragment}", found ${hits.length}`)
  return lines.filter((l) => !l.includes(fragment)).join('\n')
}

/** Claims that hold (every name form and protocol kube-proxy hashes) and claims that do not. */
export function sampleClaims(): {claims: EndpointClaim[]; expected: number[]} {
  const holding: [string, string, string][] = [
    ['ns1/svc1:p80', 'tcp', '10.180.0.1:80'], ['ns1/svc1:p80', 'udp', '10.180.0.2:53'], ['ns/svc', 'tcp', '10.0.0.1:8080'],
    ['ns/svc:', 'sctp', '10.0.0.2:9'], ['default/kubernetes:https', 'tcp', '[fd00::1]:6443'],
  ]
  const claims: EndpointClaim[] = []
  const expected: number[] = []
  for (const [form, protocol, endpoint] of holding) {
    const claimed = form.endsWith(':') ? form.slice(0, -1) : form // an unnamed port, once hashed as `ns/svc:`
    claims.push({chain: endpointChainName(form, protocol, endpoint), claimed, endpoint})
    expected.push(1)
    claims.push({chain: endpointChainName(form, protocol, endpoint), claimed: claimed + 'x', endpoint}, {chain: endpointChainName(form, protocol, endpoint), claimed, endpoint: endpoint + '0'})
    expected.push(0, 0)
  }
  claims.push({chain: 'KUBE-SEP-TOOSHORT', claimed: 'ns/svc', endpoint: '10.0.0.1:80'})
  expected.push(0)
  return {claims, expected}
}
