import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {formatIssue, parseRules, printIptablesSave} from '../../../src/lib/parse/index.js'
import {modelOf} from './model-of.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const CORPUS = CORPUS_DIR
const FIXTURES = new URL('../../fixtures/iptables/', import.meta.url).pathname

/** Real iptables-save output: kube-proxy's test corpus and dumps saved from this kernel. */
const files = [
  ...readdirSync(CORPUS).filter((f) => f.endsWith('.rules')).map((f) => join(CORPUS, f)),
  ...readdirSync(FIXTURES).filter((f) => f.endsWith('.save')).map((f) => join(FIXTURES, f)),
]

describe('parse: real iptables-save dumps', () => {
  it('finds the corpus', () => expect(files.length).to.be.greaterThan(20))

  for (const file of files) {
    describe(file.split('/').slice(-1)[0], () => {
      const text = readFileSync(file, 'utf8')
      const dump = parseRules(text)

      it('parses as iptables-save with no error issues', () => {
        expect(dump.format).to.equal('iptables-save')
        const errors = dump.issues.filter((i) => i.severity === 'error').map((i) => formatIssue(file, i))
        expect(errors).to.deep.equal([])
      })

      it('keeps every rule line', () => {
        const ruleLines = text.split('\n').filter((l) => /^(\[\d+:\d+\] )?-A /.test(l)).length
        const rules = dump.tables.flatMap((t) => t.chains.flatMap((c) => c.rules))
        expect(rules).to.have.length(ruleLines)
        for (const rule of rules) expect(text.split('\n')[rule.line - 1]).to.equal(rule.raw)
      })

      it('prints back byte for byte', () => {
        expect(printIptablesSave(dump)).to.equal(text)
      })

      it('parse → print → parse is the identity on the model', () => {
        expect(modelOf(parseRules(printIptablesSave(dump)))).to.deep.equal(modelOf(dump))
      })

      it('decodes the IP family', () => {
        const v6 = /^-A .* -[sd] [0-9a-f:]*:[0-9a-f:/]* /m.test(text) || /ip6tables-save/.test(text)
        expect(dump.family).to.equal(v6 ? 6 : 4)
      })
    })
  }
})
