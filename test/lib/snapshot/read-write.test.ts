import {expect} from 'chai'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {InputError, KpxError, UsageError} from '../../../src/lib/errors.js'
import {parseAddresses} from '../../../src/lib/snapshot/addresses.js'
import {parseClusterJson} from '../../../src/lib/snapshot/cluster-json.js'
import {readRulesFile, readSnapshot} from '../../../src/lib/snapshot/read.js'
import {writeSnapshot} from '../../../src/lib/snapshot/write.js'

const EXAMPLES = join(import.meta.dirname, '../../../examples')

let tmp: string
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'kpx-snapshot-'))
})
afterEach(async () => {
  await rm(tmp, {recursive: true, force: true})
})

/** Build a snapshot directory from {relative path: content}. */
async function makeDir(files: Record<string, string>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(tmp, path, '..'), {recursive: true})
    await writeFile(join(tmp, path), content)
  }
  return tmp
}

async function rejection(promise: Promise<unknown>): Promise<KpxError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(KpxError)
    expect((error as Error).message).not.to.include('\n')
    return error as KpxError
  }
  throw new Error('expected a rejection')
}

const RULES = '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'

describe('readSnapshot', () => {
  it('reads nodes in name order, with optional files absent', async () => {
    const dir = await makeDir({'nodes/b/iptables-save.txt': RULES, 'nodes/a/ip6tables-save.txt': RULES})
    const snapshot = await readSnapshot(dir)
    expect(snapshot.nodes.map((n) => [n.name, n.iptables !== undefined, n.ip6tables !== undefined])).to.deep.equal([
      ['a', false, true],
      ['b', true, false],
    ])
    expect(snapshot.cluster).to.equal(undefined)
    expect(snapshot.nodes[1].addresses).to.deep.equal([])
  })

  it('falls back to the Node object addresses when addresses.txt is missing', async () => {
    const node = {kind: 'Node', metadata: {name: 'n1'}, status: {addresses: [{type: 'InternalIP', address: '10.0.0.5'}, {type: 'Hostname', address: 'n1'}, {type: 'ExternalIP', address: '203.0.113.5'}]}}
    const dir = await makeDir({'nodes/n1/iptables-save.txt': RULES, 'cluster.json': JSON.stringify({apiVersion: 'v1', kind: 'List', items: [node]})})
    expect((await readSnapshot(dir)).nodes[0].addresses).to.deep.equal(['10.0.0.5', '203.0.113.5'])
  })

  const errors: [string, Record<string, string> | null, string, RegExp][] = [
    ['a missing directory', null, 'missing', /missing: no such file or directory$/],
    ['a file instead of a directory', {'x.txt': RULES}, 'x.txt', /x\.txt: not a directory/],
    ['a directory without nodes/', {'cluster.json': '{"kind":"List","items":[]}'}, '.', /not a snapshot directory: no nodes\/ directory inside$/],
    ['an empty nodes/', {'nodes/.keep': ''}, '.', /nodes: no node directories inside$/],
    ['invalid JSON in cluster.json', {'nodes/n/iptables-save.txt': RULES, 'cluster.json': '{\n  "kind": "List",\n  "items": [,]\n}\n'}, '.', /cluster\.json:3: Unexpected token/],
    ['truncated cluster.json', {'nodes/n/iptables-save.txt': RULES, 'cluster.json': '{\n  "kind": "List",\n'}, '.', /cluster\.json:2: Expected double-quoted property name$/],
    ['a cluster.json that is not a List', {'nodes/n/iptables-save.txt': RULES, 'cluster.json': '[1, 2]'}, '.', /cluster\.json: not a Kubernetes List or object/],
    ['invalid meta.json', {'nodes/n/iptables-save.txt': RULES, 'nodes/n/meta.json': '{"a": 1,}'}, '.', /nodes\/n\/meta\.json:1: /],
    ['a bad addresses.txt line', {'nodes/n/iptables-save.txt': RULES, 'nodes/n/addresses.txt': '10.0.0.1\nnot-an-ip\n'}, '.', /nodes\/n\/addresses\.txt:2: not an address/],
    ['an unreadable rules file (a directory)', {'nodes/n/iptables-save.txt/x': ''}, '.', /nodes\/n\/iptables-save\.txt: is a directory, expected a file$/],
  ]
  for (const [what, files, path, message] of errors) {
    it(`rejects ${what} with a one-line InputError naming the file`, async () => {
      if (files) await makeDir(files)
      const error = await rejection(readSnapshot(join(tmp, path)))
      expect(error).to.be.instanceOf(InputError)
      expect(error.exitCode).to.equal(4)
      expect(error.message).to.match(message)
    })
  }
})

describe('readRulesFile', () => {
  it('makes a one-node snapshot from a file', async () => {
    const dir = await makeDir({'rules.txt': RULES})
    const snapshot = await readRulesFile(join(dir, 'rules.txt'), {nodeIps: ['192.168.0.11'], nodeName: 'n1'})
    expect(snapshot.nodes).to.have.length(1)
    expect(snapshot.nodes[0]).to.deep.include({name: 'n1', addresses: ['192.168.0.11'], iptables: {origin: join(dir, 'rules.txt'), text: RULES}})
  })

  it("reads '-' from stdin and puts ip6tables-save output in ip6tables", async () => {
    const text = '# Generated by ip6tables-save v1.8.9\n' + RULES
    const snapshot = await readRulesFile('-', {stdin: Readable.from([Buffer.from(text)])})
    expect(snapshot.nodes[0].name).to.equal('node')
    expect(snapshot.nodes[0].ip6tables).to.deep.equal({origin: '-', text})
    expect(snapshot.nodes[0].iptables).to.equal(undefined)
  })

  it('rejects a missing file and a bad --node-ip', async () => {
    expect((await rejection(readRulesFile(join(tmp, 'nope')))).message).to.equal(`${join(tmp, 'nope')}: no such file`)
    const bad = await rejection(readRulesFile(join(tmp, 'nope'), {nodeIps: ['10.0.0.300']}))
    expect(bad).to.be.instanceOf(UsageError)
  })
})

describe('parseClusterJson', () => {
  it('sorts a List of Lists, typed lists and single objects into kinds, ignoring unknown kinds', () => {
    const text = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {kind: 'ServiceList', items: [{metadata: {name: 's', namespace: 'ns'}, spec: {}}]},
        {kind: 'List', items: [{kind: 'Pod', metadata: {name: 'p'}}, {kind: 'Endpoints', metadata: {name: 's'}}]},
        {kind: 'ConfigMap', metadata: {name: 'kube-proxy', namespace: 'kube-system'}, data: {'config.conf': 'mode: iptables'}},
      ],
    })
    const objects = parseClusterJson(text, 'c.json')
    expect(objects.services.map((s) => [s.kind, s.metadata.name])).to.deep.equal([['Service', 's']])
    expect(objects.pods.map((p) => p.metadata.name)).to.deep.equal(['p'])
    expect(objects.configMaps).to.have.length(1)
    expect(parseClusterJson('{"kind": "Node", "metadata": {"name": "n"}}', 'c.json').nodes).to.have.length(1)
  })

  const bad: [string, RegExp][] = [
    ['{"kind": "List"}', /^c\.json: top level is a List without an "items" array$/],
    ['{"kind": "List", "items": [7]}', /^c\.json: items\[0\] is not an object$/],
    ['{"kind": "List", "items": [{"kind": "List", "items": [{"kind": "Pod", "metadata": {}}]}]}', /^c\.json: items\[0\]\.items\[0\] \(Pod\) has no metadata\.name$/],
    ['"text"', /^c\.json: not a Kubernetes List/],
  ]
  for (const [text, message] of bad) {
    it(`rejects ${text}`, () => {
      expect(() => parseClusterJson(text, 'c.json')).to.throw(InputError, message)
    })
  }
})

describe('parseAddresses', () => {
  it('reads `ip -o addr show` output and bare addresses, dropping prefixes and duplicates', () => {
    const text = [
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      '2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever',
      '3: wg0    inet 10.9.0.1 peer 10.9.0.2/32 scope global wg0',
      '# a comment',
      '',
      '192.168.0.11',
      '192.168.0.11/24',
    ].join('\r\n')
    expect(parseAddresses(text, 'a.txt')).to.deep.equal(['127.0.0.1', 'fe80::1', '10.9.0.1', '192.168.0.11'])
  })
})

describe('writeSnapshot', () => {
  it('round-trips every example through write and read', async () => {
    for (const name of ['ghost', 'nginx', 'modern', 'stale']) {
      const original = await readSnapshot(join(EXAMPLES, name))
      const out = join(tmp, name)
      await writeSnapshot(original, out)
      const copy = await readSnapshot(out)
      expect(copy.cluster).to.deep.equal(original.cluster)
      expect(copy.nodes.map((n) => [n.name, n.addresses, n.iptables?.text, n.meta])).to.deep.equal(
        original.nodes.map((n) => [n.name, n.addresses, n.iptables?.text, n.meta]),
      )
    }
  })

  it('writes cluster.json as a v1 List with apiVersion and kind on every item', async () => {
    await writeSnapshot({origin: 'x', nodes: [], cluster: {nodes: [], services: [], pods: [], configMaps: [], endpointSlices: [{metadata: {name: 'e'}, addressType: 'IPv4'}]}}, tmp)
    const list = JSON.parse(await readFile(join(tmp, 'cluster.json'), 'utf8'))
    expect(list).to.deep.include({apiVersion: 'v1', kind: 'List'})
    expect(list.items).to.deep.equal([{apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: 'e'}, addressType: 'IPv4'}])
  })

  it('refuses a non-empty directory unless forced, and then replaces only the snapshot', async () => {
    const first = {origin: 'x', nodes: [{name: 'old', addresses: ['10.0.0.1'], iptables: {origin: 'x', text: RULES}}]}
    const second = {origin: 'y', nodes: [{name: 'new', addresses: [], iptables: {origin: 'y', text: RULES}}]}
    await writeSnapshot(first, tmp)
    await writeFile(join(tmp, 'notes.md'), 'mine')
    const error = await rejection(writeSnapshot(second, tmp))
    expect(error).to.be.instanceOf(UsageError)
    expect(error.message).to.match(/not empty; refusing to overwrite/)
    await writeSnapshot(second, tmp, {force: true})
    expect((await readSnapshot(tmp)).nodes.map((n) => n.name)).to.deep.equal(['new'])
    expect(await readFile(join(tmp, 'notes.md'), 'utf8')).to.equal('mine')
  })

  it('rejects node names that are not one path segment', async () => {
    const error = await rejection(writeSnapshot({origin: 'x', nodes: [{name: '../evil', addresses: []}]}, tmp))
    expect(error).to.be.instanceOf(InputError)
  })
})
