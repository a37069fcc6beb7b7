/**
 * unreachable-rule skips the decoded matches of a rule when a cheap look at its line already shows
 * a condition. That look must never be wrong: wherever it says "conditional", the decoded rule
 * must indeed not match every packet. Checked on every rule of the corpus, the examples' dumps
 * and lines that hide condition words in comments. (A malformed line such as `--comment -s -j X`,
 * which the parser reports as an error, is out of scope, as it was for the includes() test before.)
 */
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {certainlyConditional} from '../../../src/lib/checks/catalogue/unreachable-rule.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import type {Rule} from '../../../src/lib/parse/types.js'
import {CORPUS, REPO} from './helpers.js'

function matchesEverything(rule: Rule): boolean {
  return rule.matches.every((m) => m.typed?.kind === 'comment' || (m.typed?.kind === 'recent' && m.typed.command === 'set'))
}

function checkDump(text: string): number {
  let conditional = 0
  for (const table of parseRules(text).tables) {
    for (const chain of table.chains) {
      for (const rule of chain.rules) {
        if (!certainlyConditional(rule)) continue
        conditional++
        expect(matchesEverything(rule), rule.raw).to.equal(false)
      }
    }
  }
  return conditional
}

const TRICKY = [
  '-A KUBE-X -m comment --comment "no -s here, nor -m statistic either" -j KUBE-SEP-A',
  '-A KUBE-X -m comment --comment " -d " -j ACCEPT',
  '-A KUBE-X -m comment --comment "a" -m comment --comment "-p tcp" -j ACCEPT',
  '-A KUBE-X -m comment --comment "say \\" -s \\"" -j ACCEPT',
  '-A KUBE-X -m comment --comment " -m set " -m recent --set --name A -j DROP',
  '-A KUBE-X -m comment --comment "x" -s 10.0.0.1 -j DROP',
  '-A KUBE-X -m comment --comment "x" -m statistic --mode random --probability 0.5 -j DROP',
  '-A KUBE-X -m comment --comment "x -s" -j DROP',
]

describe('checks: unreachable-rule pre-test never calls an unconditional rule conditional', () => {
  it('on every corpus dump and example', () => {
    let conditional = 0
    for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.rules'))) conditional += checkDump(readFileSync(join(CORPUS, file), 'utf8'))
    for (const example of ['ghost', 'modern', 'nginx', 'stale']) {
      const nodes = join(REPO, 'examples', example, 'nodes')
      for (const node of readdirSync(nodes)) conditional += checkDump(readFileSync(join(nodes, node, 'iptables-save.txt'), 'utf8'))
    }
    expect(conditional).to.be.greaterThan(100)
  })

  it('on lines that hide condition words in comments', () => {
    const text = `*nat\n:KUBE-X - [0:0]\n:KUBE-SEP-A - [0:0]\n${TRICKY.join('\n')}\nCOMMIT\n`
    expect(checkDump(text)).to.equal(2)
  })
})
