/**
 * A lazily read cluster.json must be indistinguishable from an eagerly parsed one: the same
 * objects from every list and every lookup, and the same error message wherever an error
 * surfaces (syntax errors at read time; an object's validation error when it is used).
 */
import {expect} from 'chai'
import {readdirSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {indexCluster} from '../../../src/lib/snapshot/cluster-index.js'
import {parseClusterJson} from '../../../src/lib/snapshot/cluster-json.js'
import {clusterFromScan, compactScan, readClusterJson, scanClusterItems} from '../../../src/lib/snapshot/lazy-cluster.js'
import {readSnapshot} from '../../../src/lib/snapshot/read.js'
import {decodeText, readTextFile} from '../../../src/lib/snapshot/text-file.js'
import {BAD, corpus, errorOf, FIELDS, lookupsWith, probe} from './cluster-cases.js'
import {generatedCluster, seeded} from './generate.js'

const ROOT = join(import.meta.dirname, '../../..')
const ORIGIN = 'snap/cluster.json'

const eager = (text: string) => parseClusterJson(text, ORIGIN)
const lazy = (text: string) => readClusterJson(Buffer.from(text, 'utf8'), ORIGIN)

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

describe('lazy cluster.json: keys computed where the file was scanned (compactScan, for a thread to send)', () => {
  const viaCompact = (text: string) => {
    const bytes = Buffer.from(text, 'utf8')
    const items = scanClusterItems(bytes)
    const compact = items && compactScan(items)
    return {compact, objects: compact ? clusterFromScan(bytes, ORIGIN, structuredClone(compact)) : undefined}
  }

  for (const [name, text] of corpus()) {
    it(`${name}: the same lookups and lists`, () => {
      const reference = eager(text)
      const {compact, objects} = viaCompact(text)
      if (scanClusterItems(Buffer.from(text, 'utf8')) === undefined) return expect(compact).to.equal(undefined)
      expect(objects, 'keys computed').to.not.equal(undefined)
      expect(lookupsWith(indexCluster(objects!), reference)).to.deep.equal(lookupsWith(indexCluster(reference), reference))
      for (const field of FIELDS) expect(objects![field], field).to.deep.equal(reference[field])
    })
  }

  for (const [name, text] of BAD) {
    it(`${name}: the same error, or no keys (the skeletons then travel)`, () => {
      const {compact, objects} = viaCompact(text)
      if (!objects) return
      const expected = errorOf(() => eager(text))
      const messages = new Set([...probe(objects), errorOf(() => FIELDS.map((field) => objects[field]))].filter((m) => m !== undefined))
      expect([...messages], `${name}: compact ${compact ? 'kept' : 'dropped'}`).to.deep.equal([expected])
    })
  }

  it('a key that cannot be computed gives no compact form', () => {
    const text = JSON.stringify({kind: 'List', items: [{kind: 'Pod', metadata: {name: 'p'}, status: {podIPs: [null]}}]})
    expect(viaCompact(text).compact).to.equal(undefined)
  })
})

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
