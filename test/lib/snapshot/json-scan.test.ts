/**
 * The JSON scanner must accept exactly what JSON.parse accepts (a text it wrongly accepted would
 * hide a syntax error from a lazy read), and its skeletons must equal JSON.parse's values on the
 * shape's paths. Checked on a corpus of near-misses and on generated and mutated documents.
 */
import {expect} from 'chai'

import {ITEM_SHAPE} from '../../../src/lib/snapshot/cluster-scan.js'
import {type Random, seeded} from './generate.js'
import {readSkeleton, type Shape, shapeOf, skeletonEnd, skipSpace, skipValue} from '../../../src/lib/snapshot/json-scan.js'

/** Whether the scanner takes `text` as one JSON document (as JSON.parse would). */
function scannerAccepts(text: string): boolean {
  const bytes = Buffer.from(text, 'utf8')
  const end = skipValue(bytes, 0)
  return end >= 0 && skipSpace(bytes, end) === bytes.length
}

function parseAccepts(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

const CORPUS = [
  '{}', '[]', '{"a":1,}', '[1,]', '[,1]', '{,}', '01', '-0', '-', '1.', '.5', '1e', '1e+', '1E-7', '-1.5e+10', '2.', '+1',
  '"\\u12"', '"\\u00zz"', '"\\u00e9"', '"\\x"', '"\\/"', '"a\tb"', '"a\nb"', '"\u007f"', '"\u2028"', '"é"', 'é', '"\\ud800"',
  'tru', 'true', 'truex', 'nul', 'null', 'nulll', 'false', 'fals', ' {"a" : [ 1 , 2 ] } ', '{"a" 1}', '{"a":}', '{a:1}',
  "{'a':1}", '{} x', '{"a":1}{}', '"', '"abc', '[1 2]', '[1,,2]', '\t\r\n[\t]\n', '\u00a0[]', '[]\u000b', '{"a":[}', '[{]}',
  '{"a":{"b":{"c":[1,{"d":null}]}}}', '[' + '['.repeat(5000) + ']'.repeat(5000) + ']', '['.repeat(100), '123abc', '0x10', 'NaN',
  '-Infinity', '"\\"', '"\\\\"', '"\\\\\\""', '{"":""}', '[1e400]', '[-]', '{"a":1 "b":2}', '',
]

describe('json-scan: the scanner accepts what JSON.parse accepts', () => {
  for (const text of CORPUS) {
    it(JSON.stringify(text.length > 40 ? text.slice(0, 37) + '...' : text), () => {
      expect(scannerAccepts(text)).to.equal(parseAccepts(text))
    })
  }

  it('agrees with JSON.parse on 4000 generated and mutated documents', () => {
    const random = seeded(42)
    let invalid = 0
    for (let n = 0; n < 4000; n++) {
      const text = mutate(spaced(randomValue(random, 0), random), random)
      if (!parseAccepts(text)) invalid++
      expect(scannerAccepts(text), text).to.equal(parseAccepts(text))
    }
    expect(invalid).to.be.within(1000, 3900) // both kinds were tried
  })
})

describe('json-scan: skeletons are JSON.parse values cut down to the shape', () => {
  const shape = shapeOf({kind: true, metadata: {name: true, labels: {'a/b': true}}, list: [{ip: true}]})

  const CASES = [
    '{"kind":"Pod","metadata":{"name":"p","other":[1,{"name":"no"}]},"spec":{"kind":"inner"}}',
    '{"metadata":{"name":"first"},"metadata":{"namespace":"x"}}', // the last duplicate wins, whole
    '{"metadata":{"name":"a","name":"b"}}',
    '{"metadata":{"na\\u006de":"escaped key"},"kind":"S\\u00e9rvice"}',
    '{"metadata":"not an object","list":{"ip":"not a list"}}',
    '{"metadata":{"name":5,"labels":{"a/b":null,"c":"d"}},"list":[{"ip":"1.2.3.4"},"x",null,{"ip":[1]}]}',
    '{"__proto__":{"name":"x"},"metadata":{"__proto__":1,"name":"ok"}}',
    '{"metadata":{},"list":[]}',
    '{"kind":"é","metadata":{"name":"名前"}}',
  ]
  for (const text of CASES) {
    it(text, () => {
      const bytes = Buffer.from(text, 'utf8')
      const skeleton = readSkeleton(bytes, 0, shape, (start, end) => bytes.toString('utf8', start, end))
      expect(skeleton).to.deep.equal(project(JSON.parse(text), shape))
      expect(skeletonEnd).to.equal(bytes.length)
    })
  }

  it('equals the projection on 1500 generated objects (ITEM_SHAPE)', () => {
    const random = seeded(7)
    for (let n = 0; n < 1500; n++) {
      const text = spaced(randomItem(random), random)
      const bytes = Buffer.from(text, 'utf8')
      const skeleton = readSkeleton(bytes, 0, ITEM_SHAPE, (start, end) => bytes.toString('utf8', start, end))
      expect(skeleton, text).to.deep.equal(project(JSON.parse(text), ITEM_SHAPE))
    }
  })
})

/** The reference: JSON.parse's value on the shape's paths; objects without shape fields read as undefined. */
function project(value: unknown, shape: Shape): unknown {
  if (shape.keys && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const out: Record<string, unknown> = {}
    let any = false
    for (const key of shape.keys) {
      if (Object.hasOwn(value, key.name)) {
        out[key.name] = project((value as Record<string, unknown>)[key.name], key.shape)
        any = true
      }
    }
    return any ? out : undefined
  }
  if (shape.each && Array.isArray(value)) return value.map((v) => project(v, shape.each!))
  return value
}

const pick = <T>(random: Random, items: T[]): T => items[Math.floor(random() * items.length)]
const STRINGS = ['', 'a', 'name', 'kind', 'metadata', 'é', '名前', 'a"b', 'a\\b', '\u0001', 'x/y', '10.0.0.1', 'fd00::1', '\u2028']

function randomValue(random: Random, depth: number): unknown {
  const r = random()
  if (depth > 3 || r < 0.35) return pick(random, [0, -1, 1.5, 1e21, -2.5e-7, true, false, null, ...STRINGS])
  if (r < 0.65) return Array.from({length: Math.floor(random() * 4)}, () => randomValue(random, depth + 1))
  return Object.fromEntries(Array.from({length: Math.floor(random() * 4)}, () => [pick(random, STRINGS), randomValue(random, depth + 1)]))
}

function randomItem(random: Random): unknown {
  const maybe = (value: () => unknown) => (random() < 0.7 ? value() : randomValue(random, 2))
  return {
    kind: maybe(() => pick(random, ['Pod', 'Node', 'Service'])),
    metadata: maybe(() => ({name: pick(random, STRINGS), namespace: maybe(() => 'ns'), labels: maybe(() => ({'kubernetes.io/service-name': pick(random, STRINGS), other: 'x'}))})),
    spec: maybe(() => ({hostNetwork: random() < 0.5, nodeName: 'n'})),
    status: maybe(() => ({podIP: maybe(() => '10.0.0.1'), podIPs: maybe(() => [{ip: pick(random, STRINGS)}, randomValue(random, 3)]), addresses: maybe(() => [{address: 'fd00::1', type: 'InternalIP'}])})),
    extra: randomValue(random, 1),
  }
}

/** JSON text with random (legal) whitespace between tokens, and sometimes escaped characters. */
function spaced(value: unknown, random: Random): string {
  const text = JSON.stringify(value) ?? 'null'
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') {
        out += c + text[++i]
        continue
      }
      if (c === '"') inString = false
      // An escaped letter reads as the letter: exercises the escape paths with the same value.
      out += c !== '"' && /[a-z]/.test(c) && random() < 0.05 ? '\\u00' + c.charCodeAt(0).toString(16) : c
      continue
    }
    if (c === '"') inString = true
    out += c
    if ('{}[],:'.includes(c) && random() < 0.3) out += pick(random, [' ', '\n', '\t', '\r\n', '  '])
  }
  return out
}

/** Sometimes breaks the text: a character removed, doubled, or replaced by a JSON-ish one. */
function mutate(text: string, random: Random): string {
  if (random() < 0.3 || text.length === 0) return text
  const at = Math.floor(random() * text.length)
  const junk = pick(random, ['"', '\\', ',', ':', '{', '}', '[', ']', '0', '-', '.', 'e', 't', 'n', ' ', '\u0000', '\n', 'é', 'x'])
  switch (Math.floor(random() * 3)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1)
    case 1:
      return text.slice(0, at) + text[at] + text.slice(at)
    default:
      return text.slice(0, at) + junk + text.slice(at + 1)
  }
}
