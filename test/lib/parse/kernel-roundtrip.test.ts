/**
 * The kernel is the oracle: load rules into a network namespace with the real iptables-restore
 * (nft and legacy backends, and ip6tables), save them back with iptables-save [-c], and check
 * that kpx parses the result without errors and prints it back byte for byte.
 */
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {formatIssue, parseRules, printIptablesSave} from '../../../src/lib/parse/index.js'
import {modelOf} from './model-of.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const CORPUS = CORPUS_DIR
const NS = `kpxA-rt-${process.pid}`
const isRoot = process.getuid?.() === 0

function inNs(argv: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', NS, ...argv], {input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe']})
}

function tools(v6: boolean): {name: string; restore: string; save: string}[] {
  const ip = v6 ? 'ip6tables' : 'iptables'
  return [
    {name: `${ip}-nft`, restore: `${ip}-nft-restore`, save: `${ip}-nft-save`},
    {name: `${ip}-legacy`, restore: `${ip}-legacy-restore`, save: `${ip}-legacy-save`},
  ]
}

describe('parse: round-trip through the real iptables-save', function () {
  this.timeout(120_000)

  before(function () {
    if (!isRoot) {
      console.warn('\n  !!! SKIPPED: kernel round-trip tests need root (ip netns, iptables-restore) !!!\n')
      this.skip()
    }
    execFileSync('ip', ['netns', 'add', NS])
    inNs(['ip', 'link', 'set', 'lo', 'up'])
  })

  after(() => {
    if (isRoot) execFileSync('ip', ['netns', 'del', NS], {stdio: 'ignore'})
  })

  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.rules'))
  for (const file of files) {
    const text = readFileSync(join(CORPUS, file), 'utf8')
    const v6 = text.includes('ip6tables') || /-[sd] [0-9a-f]*:[0-9a-f:]*\//.test(text)
    for (const tool of tools(v6)) {
      it(`${file} via ${tool.name}`, () => {
        inNs([tool.restore], text)
        // send a few connections on loopback so some counters are not zero
        inNs(['bash', '-c', 'for p in 80 3001; do timeout 1 bash -c "echo > /dev/tcp/127.0.0.1/$p" 2>/dev/null; done; true'])
        for (const args of [[], ['-c']]) {
          const saved = inNs([tool.save, ...args])
          const dump = parseRules(saved)
          expect(dump.issues.filter((i) => i.severity === 'error').map((i) => formatIssue(tool.save, i))).to.deep.equal([])
          expect(dump.family).to.equal(v6 ? 6 : 4)
          expect(printIptablesSave(dump)).to.equal(saved)
          expect(modelOf(parseRules(printIptablesSave(dump)))).to.deep.equal(modelOf(dump))
        }
      })
    }
  }

  it('-S output printed by kpx is accepted by iptables-restore', () => {
    inNs(['iptables-nft-restore'], readFileSync(join(CORPUS, 'TestOverallIPTablesRules.rules'), 'utf8'))
    const listed = inNs(['iptables-nft', '-t', 'nat', '-S'])
    const dump = parseRules(listed)
    expect(dump.format).to.equal('iptables-S')
    expect(dump.tables.map((t) => t.name)).to.deep.equal(['nat'])
    inNs(['iptables-nft-restore', '--test'], printIptablesSave(dump))
    // and the kernel reads it as the same rules
    inNs(['iptables-nft-restore'], printIptablesSave(dump))
    expect(inNs(['iptables-nft', '-t', 'nat', '-S'])).to.equal(listed)
  })
})
