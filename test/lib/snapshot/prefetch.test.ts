/**
 * Snapshot files read ahead of need (src/lib/snapshot/prefetch.ts, started by the bundled entry
 * for `kpx trace --snapshot`): a read is taken once, a failed one is done again by its reader
 * (whose error is then the usual one), and a snapshot read after a prefetch is the same.
 */
import {expect} from 'chai'
import {cp, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {checkedSnapshot, tracedSnapshot} from '../../../src/bundle/main.js'
import {prefetch, prefetchSnapshot, takePrefetched} from '../../../src/lib/snapshot/prefetch.js'
import {readSnapshot} from '../../../src/lib/snapshot/read.js'
import {sharedBuffer} from '../../../src/lib/snapshot/text-file.js'

const ROOT = join(import.meta.dirname, '../../..')

describe('snapshot: files read ahead of need', () => {
  it('a prefetched file is taken once, with its bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kpx-prefetch-'))
    try {
      const path = join(dir, 'f')
      await writeFile(path, 'bytes\n')
      prefetch(path)
      expect((await takePrefetched(path))?.toString()).to.equal('bytes\n')
      expect(await takePrefetched(path), 'taken already').to.equal(undefined)
      expect(await takePrefetched(join(dir, 'never')), 'never started').to.equal(undefined)
      prefetch(join(dir, 'missing'))
      expect(await takePrefetched(join(dir, 'missing')), 'a failed read').to.equal(undefined)
      prefetch(path, sharedBuffer)
      expect((await takePrefetched(path))?.buffer).to.be.instanceOf(SharedArrayBuffer)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('readSnapshot after prefetchSnapshot reads what it reads without (each example, lazily or not)', async () => {
    for (const name of ['ghost', 'modern', 'nginx', 'stale']) {
      const dir = join(ROOT, 'examples', name)
      const plain = await readSnapshot(dir)
      prefetchSnapshot(dir, [], sharedBuffer)
      expect(await readSnapshot(dir, {lazyCluster: true}), name).to.deep.equal(plain)
      prefetchSnapshot(dir, [])
      expect(await readSnapshot(dir), name).to.deep.equal(plain)
    }
  })

  it('a bad file read ahead, or a missing directory, is reported as when read normally', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kpx-prefetch-'))
    const error = (promise: Promise<unknown>) => promise.then(() => undefined, (e: Error) => e.message)
    try {
      await cp(join(ROOT, 'examples', 'ghost'), dir, {recursive: true})
      await writeFile(join(dir, 'cluster.json'), '{"kind": "List", "items": [')
      for (const where of [dir, join(dir, 'nope')]) {
        const expected = await error(readSnapshot(where, {lazyCluster: true}))
        expect(expected, where).to.be.a('string')
        prefetchSnapshot(where, [], sharedBuffer)
        expect(await error(readSnapshot(where, {lazyCluster: true})), where).to.equal(expected)
      }
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})

describe('bundled entry: the trace snapshot guessed from the arguments', () => {
  const CASES: [string[], ReturnType<typeof tracedSnapshot>][] = [
    [['trace', 'svc/ghost', '--snapshot', 'examples/ghost'], {dir: 'examples/ghost', nodes: []}],
    [['trace', '--snapshot=snap', 'svc/a', '--node', 'n1', '--node=n2'], {dir: 'snap', nodes: ['n1', 'n2']}],
    [['trace', '10.0.0.1:80', '--snapshot', 'a', '--snapshot', 'b'], {dir: 'b', nodes: []}],
    [['trace', '10.0.0.1:80', '--rules', 'f.txt'], undefined],
    [['trace', '10.0.0.1:80', '--snapshot'], undefined],
    [['check', '--snapshot', 'snap'], undefined],
    [[], undefined],
  ]
  for (const [argv, expected] of CASES) {
    it(argv.join(' ') || '(no arguments)', () => {
      expect(tracedSnapshot(argv)).to.deep.equal(expected)
    })
  }
})

describe('bundled entry: the check snapshot guessed from the arguments', () => {
  const CASES: [string[], ReturnType<typeof checkedSnapshot>][] = [
    [['check', '--snapshot', 'snap', '--json'], {dir: 'snap'}],
    [['check', '--node', 'n1', '--snapshot=a', '--snapshot', 'b'], {dir: 'b'}],
    [['check', '--rules', 'f.txt'], undefined],
    [['check', '--snapshot'], undefined],
    [['trace', 'svc/a', '--snapshot', 'snap'], undefined],
  ]
  for (const [argv, expected] of CASES) {
    it(argv.join(' '), () => {
      expect(checkedSnapshot(argv)).to.deep.equal(expected)
    })
  }
})
