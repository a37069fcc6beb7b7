/**
 * ChainDirectory (src/lib/parse/chain-directory.ts) finds chains by name without a map while a
 * table's declarations come in iptables-save's order. Whatever the order, every lookup must give
 * what a map (first of a name wins) gives; in iptables-save's order, no map is built.
 */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {ChainDirectory} from '../../../src/lib/parse/chain-directory.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import {chainsByName} from '../../../src/lib/parse/dump-builder.js'
import type {Chain} from '../../../src/lib/parse/types.js'
import {seeded} from '../snapshot/generate.js'

const chain = (name: string): Chain => ({name, builtin: false, rules: []})

/**
 * Adds `names` as a parser does (looked up first, added when new), then checks every lookup
 * against a map. Returns whether the directory had built its map by the end of the adds.
 */
function checkAgainstMap(names: string[], probes: string[]): {directory: ChainDirectory; hashedByAdds: boolean} {
  const list: Chain[] = []
  const directory = new ChainDirectory(list)
  const reference = new Map<string, Chain>()
  for (const name of names) {
    expect(directory.get(name), `before adding ${name}`).to.equal(reference.get(name))
    if (reference.has(name)) continue
    const c = chain(name)
    directory.add(c)
    reference.set(name, c)
  }
  const hashedByAdds = directory.hashed
  expect(list.map((c) => c.name)).to.deep.equal([...reference.keys()])
  expect(directory.size).to.equal(reference.size)
  for (const name of [...names, ...probes]) {
    expect(directory.get(name), name).to.equal(reference.get(name))
    expect(directory.has(name), name).to.equal(reference.has(name))
  }
  return {directory, hashedByAdds}
}

const PROBES = ['', 'A', 'KUBE', 'KUBE-SEP-', 'KUBE-SEP-ZZZZ', 'zzz', 'PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'FORWARD', 'KUBE-SVC-AAAA ']

describe('parse: ChainDirectory', () => {
  const sorted = Array.from({length: 300}, (_, k) => `KUBE-SEP-${String(k).padStart(4, '0')}`)

  const CASES: [string, string[], boolean][] = [
    ['iptables-save order: built-ins, then sorted user chains', ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', ...sorted], false],
    ['no built-ins', sorted, false],
    ['only built-ins', ['INPUT', 'FORWARD', 'OUTPUT'], false],
    ['a repeated declaration (kept once, the first)', ['INPUT', 'KUBE-A', 'KUBE-B', 'KUBE-B', 'INPUT', 'KUBE-A'], false],
    ['a built-in after user chains breaks the order', ['KUBE-A', 'KUBE-B', 'INPUT', 'KUBE-C'], true],
    ['user chains out of order', ['INPUT', 'KUBE-B', 'KUBE-A', 'KUBE-C', 'KUBE-A'], true],
    ['the empty name and case', ['', 'a', 'B', 'b'], true],
  ]
  for (const [name, names, hashed] of CASES) {
    it(`${name}: every lookup as a map's${hashed ? '' : ', and no map built'}`, () => {
      expect(checkAgainstMap(names, PROBES).hashedByAdds).to.equal(hashed)
    })
  }

  it('random orders and repeats: every lookup as a map\'s', () => {
    const random = seeded(11)
    for (let round = 0; round < 30; round++) {
      const pool = Array.from({length: 40}, (_, k) => (k < 5 ? ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'][k] : `KUBE-${Math.floor(random() * 1e6).toString(36)}`))
      const names = Array.from({length: 60}, () => pool[Math.floor(random() * pool.length)])
      if (round % 3 === 0) names.sort()
      checkAgainstMap(names, PROBES)
    }
  })

  it('many searches build the map; lookups stay right', () => {
    const {directory} = checkAgainstMap(sorted, [])
    for (let k = 0; k < 1100; k++) expect(directory.get(sorted[(k * 37) % sorted.length])?.name).to.equal(sorted[(k * 37) % sorted.length])
    expect(directory.hashed).to.equal(true)
  })

  it('parsing a kube-proxy dump (sorted declarations) builds no map for its tables', () => {
    const text = readFileSync(join(import.meta.dirname, '../../../examples/ghost/nodes/k8s-1/iptables-save.txt'), 'utf8')
    const dump = parseRules(text, {lazy: true, family: 4})
    for (const table of dump.tables) {
      const lookup = chainsByName(table)
      expect(lookup, table.name).to.be.instanceOf(ChainDirectory)
      expect((lookup as ChainDirectory).hashed, table.name).to.equal(false)
      for (const c of table.chains) expect(lookup.get(c.name)).to.equal(c)
    }
  })
})
