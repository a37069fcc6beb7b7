/**
 * kpx check builds its cluster side on a worker thread (src/lib/checks/expectations-thread.ts)
 * from a cluster.json read deferred. The built worker (tsc's and the bundle's) must exist, and
 * what comes back through it must be what buildExpectations gives here: the same expectations,
 * the same report, the same error for a bad file, also when the worker cannot start.
 */
import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {cp, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {REPO} from '../lib/checks/helpers.js'
import {built, rejectionMessage} from '../helpers/built.js'
import {BAD, corpus} from '../lib/snapshot/cluster-cases.js'

// The built modules, as the command runs them (and its worker file next to them).
type ThreadModule = typeof import('../../src/lib/checks/expectations-thread.js')
type ExpectationsModule = typeof import('../../src/lib/checks/expectations.js')
type DeferredModule = typeof import('../../src/lib/snapshot/deferred-cluster.js')
type JsonModule = typeof import('../../src/lib/snapshot/cluster-json.js')
type ChecksModule = typeof import('../../src/lib/checks/index.js')
type ClaimsModule = typeof import('../../src/lib/checks/claims-thread.js')
type ReadModule = typeof import('../../src/lib/snapshot/read.js')
type ParseModule = typeof import('../../src/lib/source/parse-node.js')

describe('kpx check: the cluster side on a worker thread', () => {
  let thread: ThreadModule
  let expectations: ExpectationsModule
  let deferred: DeferredModule
  let json: JsonModule
  let dir: string
  before(async () => {
    thread = (await import(built('lib/checks/expectations-thread.js'))) as ThreadModule
    expectations = (await import(built('lib/checks/expectations.js'))) as ExpectationsModule
    deferred = (await import(built('lib/snapshot/deferred-cluster.js'))) as DeferredModule
    json = (await import(built('lib/snapshot/cluster-json.js'))) as JsonModule
    dir = await mkdtemp(join(tmpdir(), 'kpx-expect-'))
  })
  after(() => rm(dir, {recursive: true, force: true}))
  const noWorker = new URL('file:///nonexistent/expectations-worker.js')
  let files = 0
  /** The file's deferred objects, with a file of their own (a thread for a path is taken once). */
  async function deferredFile(text: string) {
    const path = join(dir, `cluster-${files++}.json`)
    await writeFile(path, text)
    return {path, objects: deferred.deferredCluster(path)}
  }

  it('is built, by tsc and into the bundle', () => {
    expect(existsSync(join(REPO, 'dist', 'lib', 'checks', 'expectations-worker.js'))).to.equal(true)
    expect(existsSync(join(REPO, 'dist', 'bundled', 'expectations-worker.js'))).to.equal(true)
  })

  for (const [name, text] of corpus()) {
    it(`${name}: buildExpectations' expectations, worker or not`, async () => {
      const expected = expectations.buildExpectations(json.parseClusterJson(text, 'cluster.json'))
      for (const workerFile of [undefined, noWorker]) {
        const {objects} = await deferredFile(text)
        const pending = thread.expectationsFor(objects, workerFile)
        expect(new Map(pending.hashIndex)).to.deep.equal(expected.hashIndex)
        const cluster = await pending.expectations
        expect(cluster).to.deep.equal(expected)
        expect(JSON.stringify([...cluster.ports.values()])).to.equal(JSON.stringify([...expected.ports.values()]))
      }
    })
  }

  it('takes the thread\'s answer when it gives one (a fake worker that answers with no ports)', async () => {
    const fake = join(dir, 'fake-worker.mjs')
    await writeFile(fake, `import {parentPort} from 'node:worker_threads'
parentPort.once('message', ({indexPort, indexState}) => {
  indexPort.postMessage({hashIndex: new Map([['H', 'fake/svc']])})
  Atomics.store(indexState, 0, 1); Atomics.notify(indexState, 0)
  parentPort.postMessage({wire: {text: '', shared: [], ints: new Int32Array(4), portNumbers: new Float64Array(0), nodeZones: []}})
})
`)
    const {objects} = await deferredFile(corpus()[0][1])
    const pending = thread.expectationsFor(objects, pathToFileURL(fake))
    expect([...pending.hashIndex]).to.deep.equal([['H', 'fake/svc']])
    expect((await pending.expectations).ports.size).to.equal(0)
  })

  for (const [name, text] of BAD) {
    it(`${name}: the error of the file, worker or not`, async () => {
      const expected = await rejectionMessage(Promise.resolve().then(() => json.parseClusterJson(text, 'x')))
      expect(expected, 'the case must be bad').to.be.a('string')
      for (const workerFile of [undefined, noWorker]) {
        const {path, objects} = await deferredFile(text)
        const pending = thread.expectationsFor(objects, workerFile)
        expect(pending.hashIndex.size).to.be.a('number') // (a bad file's index: empty, never a throw)
        expect(await rejectionMessage(pending.expectations)).to.equal(await rejectionMessage(Promise.resolve().then(() => json.parseClusterJson(text, path))))
      }
    })
  }

  it('HashIndexOnRead: loads once, on first use, and is then a Map', () => {
    let loads = 0
    const index = new thread.HashIndexOnRead(() => (loads++, new Map([['a', '1']])))
    expect(loads).to.equal(0)
    expect(index.get('a')).to.equal('1')
    index.set('b', '2')
    expect([index.size, index.has('b'), [...index.keys()], loads]).to.deep.equal([2, true, ['a', 'b'], 1])
  })

  it('runChecksWithThread over a deferred snapshot: runChecks\' report over an eager one', async () => {
    const {runChecks, runChecksWithThread} = (await import(built('lib/checks/index.js'))) as ChecksModule
    const {ClaimsThread} = (await import(built('lib/checks/claims-thread.js'))) as ClaimsModule
    const {readSnapshot} = (await import(built('lib/snapshot/read.js'))) as ReadModule
    const {parseBothFamilies} = (await import(built('lib/source/parse-node.js'))) as ParseModule
    const opts = {parse: (node: Parameters<typeof parseBothFamilies>[0]) => parseBothFamilies(node)}
    const claims = new ClaimsThread()
    try {
      for (const example of ['ghost', 'modern', 'nginx', 'stale']) {
        const where = join(REPO, 'examples', example)
        const expected = JSON.stringify(runChecks(await readSnapshot(where), opts))
        const snapshot = await readSnapshot(where, {deferCluster: true})
        expect(JSON.stringify(await runChecksWithThread(snapshot, opts, claims)), example).to.equal(expected)
      }
    } finally {
      await claims.close()
    }
  })

  it('a bad cluster.json is reported before unparsable rules, as when it was read first', async () => {
    const {runChecksWithThread} = (await import(built('lib/checks/index.js'))) as ChecksModule
    const {ClaimsThread} = (await import(built('lib/checks/claims-thread.js'))) as ClaimsModule
    const {readSnapshot} = (await import(built('lib/snapshot/read.js'))) as ReadModule
    const snap = join(dir, 'bad-both')
    await cp(join(REPO, 'examples', 'ghost'), snap, {recursive: true})
    await writeFile(join(snap, 'cluster.json'), BAD[0][1])
    const opts = {parse: () => {
      throw new Error('rules error')
    }}
    const eager = await rejectionMessage(readSnapshot(snap))
    expect(eager).to.match(/cluster\.json: Service default\/bad has no spec/)
    const claims = new ClaimsThread()
    try {
      expect(await rejectionMessage(readSnapshot(snap, {deferCluster: true}).then((snapshot) => runChecksWithThread(snapshot, opts, claims)))).to.equal(eager)
    } finally {
      await claims.close()
    }
  })

  it('readSnapshot deferCluster: the same snapshot when used; a bad cluster.json before a bad node file', async () => {
    const {readSnapshot} = (await import(built('lib/snapshot/read.js'))) as ReadModule
    const snap = join(dir, 'snap')
    await cp(join(REPO, 'examples', 'ghost'), snap, {recursive: true})
    await rm(join(snap, 'nodes', 'k8s-1', 'addresses.txt'), {force: true}) // (addresses from cluster.json)
    expect(JSON.parse(JSON.stringify(await readSnapshot(snap, {deferCluster: true})))).to.deep.equal(JSON.parse(JSON.stringify(await readSnapshot(snap))))
    await rm(join(snap, 'cluster.json'))
    expect((await readSnapshot(snap, {deferCluster: true})).cluster).to.equal(undefined)
    await writeFile(join(snap, 'cluster.json'), '{"kind": "List", "items": [}')
    await writeFile(join(snap, 'nodes', 'k8s-1', 'meta.json'), '[1]')
    const eager = await rejectionMessage(readSnapshot(snap))
    expect(eager).to.match(/cluster\.json:1:/)
    expect(await rejectionMessage(readSnapshot(snap, {deferCluster: true}))).to.equal(eager)
  })
})
