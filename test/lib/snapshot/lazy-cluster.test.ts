/**
 * A lazily read cluster.json must be indistinguishable from an eagerly parsed one: the same
 * objects from every list and every lookup, and the same error message wherever an error
 * surfaces (syntax errors at read time; an object's validation error when it is used).
 */
import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {indexCluster} from '../../../src/lib/snapshot/cluster-index.js'
import {parseClusterJson} from '../../../src/lib/snapshot/cluster-json.js'
import {readClusterJson} from '../../../src/lib/snapshot/lazy-cluster.js'
import {readSnapshot} from '../../../src/lib/snapshot/read.js'
import {decodeText, readTextFile} from '../../../src/lib/snapshot/text-file.js'
import type {ClusterObjects} from '../../../src/lib/snapshot/types.js'
import {generatedCluster, seeded} from './generate.js'

const ROOT = join(import.meta.dirname, '../../..')
const ORIGIN = 'snap/cluster.json'
const FIELDS = ['nodes', 'services', 'endpointSlices', 'pods', 'configMaps'] as const

const eager = (text: string) => parseClusterJson(text, ORIGIN)
const lazy = (text: string) => readClusterJson(Buffer.from(text, 'utf8'), ORIGIN)

function corpus(): [string, string][] {
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
function lookupsWith(index: ReturnType<typeof indexCluster>, keys: ClusterObjects): Record<string, unknown> {
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

describe('lazy cluster.json: the same objects as the eager read', () => {
  for (const [name, text] of corpus()) {
    it(`${name}: lookups before any list is read, then every list`, () => {
      const reference = eager(text)
      const objects = lazy(text)
      expect(lookupsWith(indexCluster(objects), reference)).to.deep.equal(lookupsWith(indexCluster(reference), reference))
      for (const field of FIELDS) expect(objects[field], field).to.deep.equal(reference[field])
    })
  }

  it('a lookup and the list give the very same object', () => {
    const objects = lazy(JSON.stringify(generatedCluster(20)))
    const svc = indexCluster(objects).service('ns1', 'svc-1')
    expect(objects.services.find((s) => s.metadata.name === 'svc-1')).to.equal(svc)
  })

  it('a replaced list is what later lookups see', () => {
    const objects = lazy(JSON.stringify(generatedCluster(20)))
    objects.services = []
    expect(indexCluster(objects).service('ns1', 'svc-1')).to.equal(undefined)
  })

  it('readSnapshot with lazyCluster reads every example as the eager read does', async () => {
    for (const name of readdirSync(join(ROOT, 'examples')).filter((n) => n !== '_tools')) {
      const dir = join(ROOT, 'examples', name)
      const [a, b] = await Promise.all([readSnapshot(dir), readSnapshot(dir, {lazyCluster: true})])
      expect(b, name).to.deep.equal(a)
    }
  })
})

/** The message of what `run` throws, or undefined. */
function errorOf(run: () => unknown): string | undefined {
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

const BAD: [string, string][] = [
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

describe('lazy cluster.json: the same errors as the eager read', () => {
  const orders = [FIELDS, [...FIELDS].reverse(), ['pods', 'services', 'endpointSlices', 'nodes', 'configMaps'] as const]
  for (const [name, text] of BAD) {
    it(name, () => {
      const expected = errorOf(() => eager(text))
      expect(expected, 'the case must be bad').to.be.a('string')
      const atRead = errorOf(() => lazy(text))
      if (atRead !== undefined) {
        expect(atRead).to.equal(expected)
        return
      }
      // Read fine (validation is lazy): reading every list, in any order, gives eager's error,
      for (const order of orders) {
        const objects = lazy(text)
        expect(errorOf(() => order.map((field) => objects[field])), order.join()).to.equal(expected)
      }
      // and so does any lookup that fails.
      const lookupErrors = new Set(probe(lazy(text)))
      for (const message of lookupErrors) expect(message).to.equal(expected)
    })
  }

  it('truncating the generated cluster anywhere gives eager’s syntax error', () => {
    const text = JSON.stringify(generatedCluster(5))
    const random = seeded(3)
    for (let n = 0; n < 40; n++) {
      const cut = text.slice(0, Math.floor(random() * text.length))
      expect(errorOf(() => lazy(cut))).to.equal(errorOf(() => eager(cut))).and.to.be.a('string')
    }
  })
})

/** Error messages of every lookup on the objects of a (possibly bad) file. */
function probe(objects: ClusterObjects): string[] {
  const index = indexCluster(objects)
  const calls = [
    () => index.service('default', 'bad'), () => index.service('default', 'a'), () => index.endpointSlices('default', 'a'),
    () => index.pod('default', 'p'), () => index.podByIP('10.0.0.1'), () => index.node('n'), () => index.nodeByAddress('10.0.0.1'),
  ]
  return calls.map((call) => errorOf(call)).filter((m): m is string => m !== undefined)
}

describe('readTextFile', () => {
  it('gives what readFile(path, "utf8") gives, ASCII or not, empty or not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kpx-text-'))
    try {
      for (const [name, text] of [['ascii', 'a\n'.repeat(70_000)], ['utf8', 'é名前\uFEFF'.repeat(1000)], ['empty', '']]) {
        await writeFile(join(dir, name), text)
        expect(await readTextFile(join(dir, name)), name).to.equal(await readFile(join(dir, name), 'utf8'))
      }
      const failure = await readTextFile(dir).catch((error: NodeJS.ErrnoException) => error.code)
      expect(failure).to.equal(await readFile(dir, 'utf8').catch((error: NodeJS.ErrnoException) => error.code))
      expect(await readTextFile(join(dir, 'none')).catch((error: NodeJS.ErrnoException) => error.code)).to.equal('ENOENT')
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})

describe('decodeText', () => {
  for (const text of ['plain ascii\n', '', 'é and 名前', '\uFEFFbom', 'bad \uD800 surrogate']) {
    it(JSON.stringify(text), () => {
      const bytes = Buffer.from(text, 'utf8')
      expect(decodeText(bytes)).to.equal(bytes.toString('utf8'))
    })
  }

  it('invalid UTF-8 decodes as Node decodes it', () => {
    const bytes = Buffer.from([0x61, 0xff, 0xc3, 0x28, 0x62])
    expect(decodeText(bytes)).to.equal(bytes.toString('utf8'))
  })
})
