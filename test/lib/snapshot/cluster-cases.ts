/**
 * cluster.json cases shared by the tests of its lazy read (lazy-cluster.test.ts) and of the scan
 * on a worker thread (test/commands/cluster-thread.test.ts): good files of every accepted shape,
 * bad ones, and every lookup a command makes.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {indexCluster} from '../../../src/lib/snapshot/cluster-index.js'
import type {ClusterObjects} from '../../../src/lib/snapshot/types.js'
import {generatedCluster} from './generate.js'

const ROOT = join(import.meta.dirname, '../../..')
export const FIELDS = ['nodes', 'services', 'endpointSlices', 'pods', 'configMaps'] as const

export function corpus(): [string, string][] {
  const files: [string, string][] = []
  for (const dir of ['examples', 'test/fixtures/checks']) {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = join(ROOT, dir, name, 'cluster.json')
      if (existsSync(path)) files.push([`${dir}/${name}`, readFileSync(path, 'utf8')])
    }
  }
  const big = generatedCluster(400)
  files.push(['generated', JSON.stringify(big)], ['generated, pretty', JSON.stringify(big, null, 2)], ['generated, BOM and CRLF', '\uFEFF' + JSON.stringify(big, null, 1).replaceAll('\n', '\r\n')])
  const services = (big.items as {kind: string}[]).filter((i) => i.kind === 'Service').map(({kind: _, ...rest}) => rest)
  files.push(['a ServiceList (items without kind)', JSON.stringify({kind: 'ServiceList', items: services})])
  files.push(['a List of Lists (eager fallback)', JSON.stringify({kind: 'List', items: [{kind: 'ServiceList', items: services.slice(0, 3)}, ...big.items.slice(0, 20)]})])
  files.push(['a single object (eager fallback)', JSON.stringify({kind: 'Service', metadata: {name: 'one'}, spec: {}})])
  files.push(['an escaped key and value', String.raw`{"kind":"List","items":[{"kind":"Ser\u0076ice","met\u0061data":{"name":"a\"b","namespace":"n"},"spec":{}},{"kind":"Pod","metadata":{"name":"p"},"status":{"podIP":"10.0.0.1","podIP":"10.0.0.2"}}]}`])
  return files
}

/** Every lookup a command can make, keys taken from the eager objects `keys` (and some misses). */
export function lookupsWith(index: ReturnType<typeof indexCluster>, keys: ClusterObjects): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const svc of keys.services) {
    const [ns, name] = [svc.metadata.namespace ?? 'default', svc.metadata.name]
    out[`service ${ns}/${name}`] = [index.service(ns, name), index.lastService(ns, name), index.endpointSlices(ns, name)]
  }
  for (const pod of keys.pods) {
    out[`pod ${pod.metadata.namespace}/${pod.metadata.name}`] = index.pod(pod.metadata.namespace ?? 'default', pod.metadata.name)
    for (const ip of [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)]) {
      if (ip) out[`ip ${ip}`] = [index.podByIP(ip), index.podsByIP(ip), index.podByIP(ip.toLowerCase())]
    }
  }
  for (const node of keys.nodes) {
    out[`node ${node.metadata.name}`] = index.node(node.metadata.name)
    for (const a of node.status?.addresses ?? []) out[`address ${a.address}`] = index.nodeByAddress(a.address)
  }
  out.misses = [index.service('nope', 'x'), index.endpointSlices('nope', 'x'), index.podByIP('203.0.113.9'), index.node('nope'), index.nodeByAddress('fd00::99')]
  return out
}

/** The message of what `run` throws, or undefined. */
export function errorOf(run: () => unknown): string | undefined {
  try {
    run()
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

const svc = (name: string, spec: unknown) => ({kind: 'Service', metadata: {name, namespace: 'default'}, ...(spec === undefined ? {} : {spec})})
const pod = (name: string, status: unknown) => ({kind: 'Pod', metadata: {name, namespace: 'default'}, status})
const slice = (name: string, endpoints: unknown) => ({kind: 'EndpointSlice', addressType: 'IPv4', metadata: {name: `${name}-1`, namespace: 'default', labels: {'kubernetes.io/service-name': name}}, endpoints})
const list = (...items: unknown[]) => JSON.stringify({kind: 'List', items})

export const BAD: [string, string][] = [
  ['a Service without spec', list(svc('ok', {}), svc('bad', undefined), pod('p', {podIP: '10.0.0.1'}))],
  ['a bad Pod before a bad Service', list(pod('p', {podIPs: '10.0.0.1'}), svc('ok', {}), svc('bad', null))],
  ['a bad Service before a bad Pod', list(svc('bad', 'x'), pod('p', {podIPs: [{ip: 1}]}))],
  ['a bad EndpointSlice last', list(svc('a', {}), slice('a', [{addresses: []}]))],
  ['a bad EndpointSlice first', list(slice('a', [{}]), svc('a', {ports: 'x'}))],
  ['labels that are not strings', list({kind: 'Node', metadata: {name: 'n', labels: {a: 1}}}, svc('a', {}))],
  ['an item without a name after a bad one', list(svc('bad', null), {kind: 'Pod', metadata: {}})],
  ['an item without a name', list(svc('a', {}), {kind: 'Node'})],
  ['an item that is not an object', list(svc('a', {}), 5)],
  ['a List without items', JSON.stringify({kind: 'List'})],
  ['not a List', '[1, 2]'],
  ['a trailing comma', list(svc('a', {})).replace(/}$/, ',}')],
  ['a truncated file', list(svc('a', {}), svc('b', {})).slice(0, 60)],
  ['a control character in a string', list(svc('a', {})).replace('"name":"a"', '"name":"a\u0001"')],
  ['junk after the document', list(svc('a', {})) + ' x'],
  ['pod IPs that are not objects, looked up by IP', list(pod('p', {podIPs: [null]}))],
]

/** Error messages of every lookup on the objects of a (possibly bad) file. */
export function probe(objects: ClusterObjects): string[] {
  const index = indexCluster(objects)
  const calls = [
    () => index.service('default', 'bad'), () => index.service('default', 'a'), () => index.endpointSlices('default', 'a'),
    () => index.pod('default', 'p'), () => index.podByIP('10.0.0.1'), () => index.node('n'), () => index.nodeByAddress('10.0.0.1'),
  ]
  return calls.map((call) => errorOf(call)).filter((m): m is string => m !== undefined)
}

