/**
 * The fast scan (fast-scan.ts) must find exactly the facts of the full word-by-word scan
 * (rule-scan.ts) on every line it accepts, and must accept the ordinary kube-proxy lines (or it
 * is not a fast path). Lines: every rule of the corpus, the fixtures, the examples, generated
 * rulesets, and variants of them that each break one assumption of the fast path.
 */
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {FastRuleScanner} from '../../../src/lib/parse/fast-scan.js'
import {destinationOf, LazyRule, parseRules} from '../../../src/lib/parse/index.js'
import {scanRuleLine} from '../../../src/lib/parse/rule-scan.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'
import {generateRuleset} from '../../helpers/ruleset-generator.js'

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname
const EXAMPLES = new URL('../../../examples/', import.meta.url).pathname

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
}

function ruleLines(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\r$/, '')).filter((line) => /^(\[\d+:\d+\] )?-A /.test(line))
}

const realLines = [
  ...readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.rules')).flatMap((f) => ruleLines(readFileSync(join(CORPUS_DIR, f), 'utf8'))),
  ...filesUnder(FIXTURES, (name) => /\.(save|rules|txt)$/.test(name)).flatMap((f) => ruleLines(readFileSync(f, 'utf8'))),
  ...filesUnder(EXAMPLES, (name) => /iptables-save\.txt$|\.rules$/.test(name)).flatMap((f) => ruleLines(readFileSync(f, 'utf8'))),
  ...[1, 2, 3, 4, 5].flatMap((seed) => ruleLines(generateRuleset(seed, 8).text)),
]

/** Each variant breaks one thing the fast path relies on, or moves a fact to where it must still find it. */
const VARIANTS: [string, (line: string) => string][] = [
  ['tab separators', (l) => l.replace(/ /g, '\t')],
  ['tab after the chain', (l) => l.replace(/^(-A \S+) /, '$1\t')],
  ['escaped quote in the comment', (l) => l.replace(/--comment "([^"]*)"/, '--comment "$1 \\"x\\""')],
  ['two quoted words', (l) => l.replace(/ -j /, ' -m comment --comment "second one" -j ')],
  ['quoted word that is not a comment', (l) => l.replace(/ -j /, ' -m set --match-set "s" src -j ')],
  ['goto instead of jump', (l) => l.replace(/ -j /, ' -g ')],
  ['--jump long form', (l) => l.replace(/ -j /, ' --jump ')],
  ['--goto long form', (l) => l.replace(/ -j /, ' --goto ')],
  ['-s long forms', (l) => l.replace(/ -s /, ' --source ').replace(/ -d /, ' --dst ')],
  ['-p long form', (l) => l.replace(/ -p /, ' --protocol ')],
  ['--match long form', (l) => l.replace(/ -m /, ' --match ')],
  ['old negation after -s', (l) => l.replace(/! -s (\S+)/, '-s ! $1')],
  ['double negation', (l) => l.replace(/! -s (\S+)/, '! -s ! $1')],
  ['IPv6 source', (l) => l.replace(/ -s \S+/, ' -s fd00::1/128')],
  ['IPv6 destination', (l) => l.replace(/ -d \S+/, ' -d fd00::a/128')],
  ['IPv6 in a second -s', (l) => l.replace(/ -j /, ' -s fd00::2 -j ')],
  ['trailing bare -j', (l) => `${l} -j`],
  ['trailing bare -s', (l) => `${l} -s`],
  ['target followed by a module', (l) => `${l} -m mark --mark 0x1`],
  ['target followed by a builtin', (l) => `${l} -p udp`],
  ['target followed by a short option', (l) => `${l} -x 1`],
  ['target followed by a negated option', (l) => `${l} ! --foo 1`],
  ['target followed by a bare word', (l) => `${l} stray --opt`],
  ['second target', (l) => `${l} -j ACCEPT`],
  ['-j inside the comment', (l) => l.replace(/--comment "/, '--comment "-j X ')],
  ['-s inside the comment', (l) => l.replace(/--comment "/, '--comment "a -s b:c ')],
  ['plain comment', (l) => l.replace(/--comment "([^" ]*)[^"]*"/, '--comment $1')],
  ['comment that looks like a flag', (l) => l.replace(/--comment "[^"]*"/, '--comment -j')],
  ['comment module without --comment', (l) => l.replace(/-m comment --comment "[^"]*"/, '-m comment')],
  ['implicit --comment', (l) => l.replace(/-m comment --comment/, '-m tcp --comment')],
  ['stray --comment after a builtin', (l) => l.replace(/ -j /, ' -p tcp --comment x -j ')],
  ['double space', (l) => l.replace(/ -j /, '  -j  ')],
  ['trailing space', (l) => `${l} `],
  ['insert instead of append', (l) => l.replace(/^-A /, '-I ')],
  ['numbered insert', (l) => l.replace(/^-A (\S+)/, '-I $1 1')],
  ['chain that looks like a flag', (l) => l.replace(/^-A \S+/, '-A -x')],
  ['no chain', (l) => l.replace(/^-A \S+.*/, '-A')],
  ['chain only', (l) => l.replace(/^(-A \S+).*/, '$1')],
  ['a -xyz option', (l) => l.replace(/ -j /, ' -xyz 1 -j ')],
  ['a numeric dash word', (l) => l.replace(/ -j /, ' --mark -1 -j ')],
  ['target options with a dash value', (l) => `${l.replace(/ -j .*/, ' -j MARK')} --set-mark -1`],
  ['quoted target option', (l) => `${l.replace(/ -j .*/, ' -j LOG')} --log-prefix "a b"`],
  ['unterminated quote', (l) => l.replace(/"([^"]*)"$/, '"$1').replace(/--comment "([^"]*)"/, '--comment "$1')],
  ['-m "comment"', (l) => l.replace(/-m comment/, '-m "comment"')],
]

/** The facts of the full scan, in the fast scan's terms (offsets relative to the line). */
function fullFacts(line: string, from: number) {
  const scan = scanRuleLine(line, from)
  if (!scan) return undefined
  return {
    op: scan.op,
    insertAt: scan.insertAt,
    chain: scan.chain,
    targetName: scan.targetName,
    targetGoto: scan.targetGoto,
    targetHasOptions: scan.targetHasOptions,
    comment: scan.commentStart < 0 ? undefined : [scan.commentStart, scan.commentEnd],
    mayHaveComment: scan.mayHaveComment,
    ipv6: scan.ipv6,
    unterminatedQuoteAt: scan.unterminatedQuoteAt,
  }
}

/** The fast scan of one line embedded in a text (as in a dump), or undefined when it declines. */
function fastFacts(line: string, from: number) {
  // Lines before and after, so that searches running past the line's end are exercised.
  const before = '-A X -s 1.2.3.4 -m comment --comment "before -j Y" -j Z\n'
  const text = `${before}${line}\n-A NEXT -m comment --comment "after" ! -s ::1 -g W --x\n`
  const scanner = new FastRuleScanner(text)
  const base = before.length
  scanner.scan(0, before.length - 1, false)
  if (!scanner.scan(base + from, base + line.length, false)) return undefined
  const r = scanner.result
  return {
    op: '-A' as const,
    insertAt: undefined,
    chain: text.slice(r.chainStart, r.chainEnd),
    targetName: r.targetStart < 0 ? undefined : text.slice(r.targetStart, r.targetEnd),
    targetGoto: false,
    targetHasOptions: r.targetHasOptions,
    comment: r.commentStart < 0 ? undefined : [r.commentStart - base, r.commentEnd - base],
    mayHaveComment: r.mayHaveComment,
    ipv6: r.ipv6,
    unterminatedQuoteAt: -1,
  }
}

function fromOf(line: string): number {
  return line.startsWith('[') ? line.indexOf(']') + 2 : 0
}

describe('parse: the fast rule scan', () => {
  it('reads the lines of real and generated dumps (most of them)', () => {
    expect(realLines.length).to.be.greaterThan(500)
    let accepted = 0
    for (const line of realLines) {
      const fast = fastFacts(line, fromOf(line))
      if (fast === undefined) continue
      accepted++
      expect(fast, line).to.deep.equal(fullFacts(line, fromOf(line)))
    }
    expect(accepted / realLines.length).to.be.greaterThan(0.9)
  })

  for (const [name, vary] of VARIANTS) {
    it(`agrees with the full scan or declines: ${name}`, () => {
      let changed = 0
      for (const original of realLines) {
        const line = vary(original)
        if (line === original) continue
        changed++
        const fast = fastFacts(line, fromOf(line))
        if (fast !== undefined) expect(fast, line).to.deep.equal(fullFacts(line, fromOf(line)))
      }
      expect(changed, 'the variant applies to some line').to.be.greaterThan(0)
    })
  }

  it('reads a rule\'s destination from its line as decoding it would (destinationOf)', () => {
    const lines = [...realLines, ...VARIANTS.flatMap(([, vary]) => realLines.slice(0, 400).map(vary))]
    let fromLine = 0
    for (const line of lines) {
      const lazy = parseRules(line, {format: 'fragment', lazy: true}).tables[0]?.chains.flatMap((c) => c.rules)[0]
      const eager = parseRules(line, {format: 'fragment'}).tables[0]?.chains.flatMap((c) => c.rules)[0]
      if (!lazy || !eager) continue
      const peeked = destinationOf(lazy)
      if (lazy instanceof LazyRule && !lazy.decoded) fromLine++
      expect(peeked, line).to.deep.equal(eager.destination)
    }
    expect(fromLine, 'answered without decoding').to.be.greaterThan(lines.length / 2)
  })

  it('declines the lines it cannot read with certainty', () => {
    for (const line of ['-I C -j X', '-A C -g X', '-A C\t-j X', '-A C -m comment --comment "a\\"b" -j X', '-A C -j X -m mark --mark 1']) {
      expect(fastFacts(line, 0), line).to.equal(undefined)
    }
  })
})
