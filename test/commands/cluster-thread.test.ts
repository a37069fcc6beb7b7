/**
 * kpx trace scans a big cluster.json on a worker thread (src/lib/snapshot/cluster-thread.ts)
 * while it parses the rules. The built worker (tsc's and the bundle's) must exist, and what
 * comes back through it must be what the scan on the calling thread gives: the same objects from
 * every lookup and list, the same errors, also when the worker cannot start.
 */
import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {cp, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {REPO} from '../lib/checks/helpers.js'
import {built, rejectionMessage} from '../helpers/built.js'
import {BAD, corpus, errorOf, FIELDS, lookupsWith, probe} from '../lib/snapshot/cluster-cases.js'
import {generatedCluster} from '../lib/snapshot/generate.js'
import {indexCluster} from '../../src/lib/snapshot/cluster-index.js'
import {readClusterJson} from '../../src/lib/snapshot/lazy-cluster.js'
import type {ClusterObjects, NodeCapture} from '../../src/lib/snapshot/types.js'

// The built modules, as the command runs them (and its worker file next to them).
type ThreadModule = typeof import('../../src/lib/snapshot/cluster-thread.js')
type ReadModule = typeof import('../../src/lib/snapshot/read.js')
const ORIGIN = 'snap/cluster.json'

describe('cluster.json scanned on a worker thread', () => {
  let thread: ThreadModule
  before(async () => {
    thread = (await import(built('lib/snapshot/cluster-thread.js'))) as ThreadModule
  })
  const inThread = (text: string, workerFile?: URL) => thread.readClusterJsonInThread(Buffer.from(text, 'utf8'), ORIGIN, {minBytes: 0, workerFile})
  const noWorker = new URL('file:///nonexistent/cluster-scan-worker.js')

  it('is built, by tsc and into the bundle', () => {
    expect(existsSync(join(REPO, 'dist', 'lib', 'snapshot', 'cluster-scan-worker.js'))).to.equal(true)
    expect(existsSync(join(REPO, 'dist', 'bundled', 'cluster-scan-worker.js'))).to.equal(true)
  })

  it('takes the thread\'s answer when it gives one (a fake worker that finds no items)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kpx-thread-'))
    try {
      const fake = join(dir, 'fake-worker.mjs')
      await writeFile(fake, "import {parentPort} from 'node:worker_threads'\nparentPort.once('message', () => parentPort.postMessage({items: '[]'}))\n")
      const objects = await inThread(JSON.stringify(generatedCluster(5)), pathToFileURL(fake))
      expect(FIELDS.map((f) => objects[f].length)).to.deep.equal([0, 0, 0, 0, 0])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  for (const [name, text] of corpus()) {
    it(`${name}: the same lookups and lists as the scan on this thread, worker or not`, async () => {
      const reference = readClusterJson(Buffer.from(text, 'utf8'), ORIGIN)
      const expected = {lookups: lookupsWith(indexCluster(reference), reference), lists: FIELDS.map((f) => reference[f])}
      for (const objects of [await inThread(text), await inThread(text, noWorker)]) {
        expect(lookupsWith(indexCluster(objects), reference)).to.deep.equal(expected.lookups)
        expect(FIELDS.map((f) => objects[f])).to.deep.equal(expected.lists)
      }
    })
  }

  for (const [name, text] of BAD) {
    it(`${name}: the same error, when read or when used`, async () => {
      const expected = errorOf(() => {
        const objects = readClusterJson(Buffer.from(text, 'utf8'), ORIGIN)
        probe(objects).forEach((message) => {
          throw new Error(message)
        })
        FIELDS.forEach((f) => objects[f])
      })
      expect(expected, 'the case must be bad').to.be.a('string')
      let objects: ClusterObjects | undefined
      const atRead = await rejectionMessage(inThread(text).then((o) => (objects = o)))
      const atUse = objects && errorOf(() => {
        probe(objects!).forEach((message) => {
          throw new Error(message)
        })
        FIELDS.forEach((f) => objects![f])
      })
      expect(atRead ?? atUse).to.equal(expected)
    })
  }

  it('readSnapshot: rules are there for `meanwhile`; cluster.json addresses are added after', async () => {
    const {readSnapshot} = (await import(built('lib/snapshot/read.js'))) as ReadModule
    const dir = await mkdtemp(join(tmpdir(), 'kpx-thread-'))
    try {
      await cp(join(REPO, 'examples', 'ghost'), dir, {recursive: true})
      // Big enough for the thread; its nodes' addresses come from cluster.json alone.
      const cluster = generatedCluster(6000)
      cluster.items.push({kind: 'Node', metadata: {name: 'k8s-1'}, status: {addresses: [{type: 'InternalIP', address: '192.168.64.35'}]}})
      await writeFile(join(dir, 'cluster.json'), JSON.stringify(cluster))
      await rm(join(dir, 'nodes', 'k8s-1', 'addresses.txt'), {force: true})
      let seen: {name: string; rules: boolean; addresses: string[]}[] = []
      const snapshot = await readSnapshot(dir, {lazyCluster: true, meanwhile: (nodes: NodeCapture[]) => (seen = nodes.map((n) => ({name: n.name, rules: !!n.iptables, addresses: [...n.addresses]})))})
      expect(seen.map((n) => [n.name, n.rules])).to.deep.equal(snapshot.nodes.map((n) => [n.name, true]))
      expect(seen.find((n) => n.name === 'k8s-1')?.addresses, 'not known yet').to.deep.equal([])
      expect(snapshot.nodes.find((n) => n.name === 'k8s-1')?.addresses).to.deep.equal(['192.168.64.35'])
      expect(snapshot).to.deep.equal(await readSnapshot(dir))
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('readSnapshot: a bad cluster.json is reported before a bad node file, as when read first', async () => {
    const {readSnapshot} = (await import(built('lib/snapshot/read.js'))) as ReadModule
    const dir = await mkdtemp(join(tmpdir(), 'kpx-thread-'))
    try {
      await cp(join(REPO, 'examples', 'ghost'), dir, {recursive: true})
      await writeFile(join(dir, 'cluster.json'), JSON.stringify(generatedCluster(6000)).slice(0, -2))
      await writeFile(join(dir, 'nodes', 'k8s-1', 'meta.json'), '[1]')
      const eager = await rejectionMessage(readSnapshot(dir))
      expect(eager).to.match(/cluster\.json/)
      expect(await rejectionMessage(readSnapshot(dir, {lazyCluster: true, meanwhile: () => undefined}))).to.equal(eager)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
