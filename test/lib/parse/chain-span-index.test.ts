import {expect} from 'chai'
import {ChainSpanIndex, spanEquals} from '../../../src/lib/parse/chain-span-index.js'
import type {Chain} from '../../../src/lib/parse/types.js'
import {TARGET_EXTENSIONS} from '../../../src/lib/parse/typed-targets.js'

const chain = (name: string): Chain => ({name, builtin: false, rules: []})

describe('parse: ChainSpanIndex finds chains from spans of text', () => {
  // 5000 names that share long prefixes (like KUBE-SEP-…), plus a duplicate and near-misses.
  const names = Array.from({length: 5000}, (_, k) => `KUBE-SEP-${k.toString(36).toUpperCase().padStart(16, '0')}`)
  const chains = [...names.map(chain), chain('PREROUTING'), chain(names[17])]
  const index = new ChainSpanIndex(chains)
  const text = ` -j ${names.join(' -j ')} -j PREROUTING -j KUBE-SEP-MISSING -j KUBE-SEP- -j PREROUTINGX`

  it('gives the position of every chain named by a span, and -1 for names it lacks', () => {
    const found: number[] = []
    const missing: string[] = []
    for (let at = text.indexOf(' -j '); at >= 0; at = text.indexOf(' -j ', at + 1)) {
      const start = at + 4
      const end = text.indexOf(' ', start) < 0 ? text.length : text.indexOf(' ', start)
      const position = index.positionOf(text, start, end)
      if (position < 0) missing.push(text.slice(start, end))
      else {
        expect(chains[position].name).to.equal(text.slice(start, end))
        found.push(position)
      }
    }
    expect(found).to.deep.equal([...names.keys(), 5000])
    expect(missing).to.deep.equal(['KUBE-SEP-MISSING', 'KUBE-SEP-', 'PREROUTINGX'])
  })

  it('keeps the first chain of a name (as the parser does) and knows its size', () => {
    expect(index.positionOf(names[17], 0, names[17].length)).to.equal(17)
    expect(index.size).to.equal(5002)
    expect(new ChainSpanIndex([]).positionOf('x', 0, 1)).to.equal(-1)
  })

  it('compares spans in place', () => {
    expect(spanEquals('a KUBE-X b', 2, 8, 'KUBE-X')).to.equal(true)
    expect(spanEquals('a KUBE-X b', 2, 7, 'KUBE-X')).to.equal(false)
    expect(spanEquals('a KUBE-Y b', 2, 8, 'KUBE-X')).to.equal(false)
  })

  it('no target extension is named KUBE-… (scanned lines take a KUBE- target for a chain without asking)', () => {
    expect([...TARGET_EXTENSIONS].filter((name) => name.startsWith('KUBE-'))).to.deep.equal([])
    expect(TARGET_EXTENSIONS.size).to.be.greaterThan(10)
  })
})
