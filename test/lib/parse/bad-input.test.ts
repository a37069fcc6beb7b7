import {expect} from 'chai'

import {formatIssue, parseRules, printIptablesSave, type ParseIssue} from '../../../src/lib/parse/index.js'

const HEAD = '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n'

/** [name, input, expected code, line, column (1-based) or undefined when not checked] */
const cases: [string, string, string, number, number?][] = [
  ['truncated table (no COMMIT at end of input)', HEAD + '-A KUBE-SERVICES -j RETURN\n', 'truncated-table', 1],
  ['truncated table (next table starts)', HEAD + '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', 'truncated-table', 1],
  ['rule in an undeclared chain', HEAD + '-A KUBE-NOPE -j RETURN\nCOMMIT\n', 'undeclared-chain', 4, 4],
  ['jump to a missing chain', HEAD + '-A KUBE-SERVICES -p tcp -j KUBE-SVC-MISSING\nCOMMIT\n', 'missing-jump-target', 4, 28],
  ['goto a missing chain', HEAD + '-A KUBE-SERVICES -g KUBE-SVC-MISSING\nCOMMIT\n', 'missing-jump-target', 4, 21],
  ['duplicate chain declaration', HEAD + ':KUBE-SERVICES - [0:0]\nCOMMIT\n', 'duplicate-chain', 4],
  ['rule before any table', '-A KUBE-SERVICES -j RETURN\n' + HEAD + 'COMMIT\n', 'rule-outside-table', 1, 1],
  ['NUL bytes', HEAD + '-A KUBE-SERVICES \u0000\u0001 -j RETURN\nCOMMIT\n', 'binary-garbage', 4, 18],
  ['invalid UTF-8 (replacement characters)', HEAD + Buffer.from([0xff, 0xfe, 0x41]).toString('utf8') + '\nCOMMIT\n', 'binary-garbage', 4, 1],
  ['unbalanced quote', HEAD + '-A KUBE-SERVICES -m comment --comment "oops -j RETURN\nCOMMIT\n', 'unbalanced-quote', 4, 39],
  ['missing target name', HEAD + '-A KUBE-SERVICES -p tcp -j\nCOMMIT\n', 'missing-target-name', 4, 25],
  ['unknown leading token', HEAD + 'bogus line here\nCOMMIT\n', 'unknown-line', 4, 1],
  ['unknown leading flag', HEAD + '-X KUBE-SERVICES\nCOMMIT\n', 'unknown-line', 4, 1],
  ['bad probability', HEAD + '-A KUBE-SERVICES -m statistic --mode random --probability abc -j RETURN\nCOMMIT\n', 'bad-option-value', 4, 45],
  ['port out of range', HEAD + '-A KUBE-SERVICES -p tcp -m tcp --dport 99999 -j RETURN\nCOMMIT\n', 'bad-option-value', 4, 32],
  ['bad mark', HEAD + '-A KUBE-SERVICES -m mark --mark 0xZZ -j RETURN\nCOMMIT\n', 'bad-option-value', 4, 26],
  ['bad DNAT address', HEAD + '-A KUBE-SERVICES -p tcp -j DNAT --to-destination 10.0.0.300:80\nCOMMIT\n', 'bad-option-value', 4, 33],
  ['option with no module or protocol', HEAD + '-A KUBE-SERVICES --dport 80 -j RETURN\nCOMMIT\n', 'unknown-option', 4, 18],
  ['-s without a value', HEAD + '-A KUBE-SERVICES -s\nCOMMIT\n', 'missing-option-value', 4, 18],
  ['malformed chain declaration', HEAD + ':KUBE-X\nCOMMIT\n', 'bad-chain-declaration', 4],
  ['malformed counters', HEAD + '[1:x] -A KUBE-SERVICES -j RETURN\nCOMMIT\n', 'bad-counters', 4],
  ['COMMIT outside a table', HEAD + 'COMMIT\nCOMMIT\n', 'commit-outside-table', 5],
]

function find(issues: ParseIssue[], code: string): ParseIssue | undefined {
  return issues.find((i) => i.code === code)
}

describe('parse: bad input gives issues with line and column', () => {
  for (const [name, input, code, line, column] of cases) {
    it(name, () => {
      const dump = parseRules(input)
      const issue = find(dump.issues, code)
      expect(issue, `issues: ${JSON.stringify(dump.issues)}`).to.not.equal(undefined)
      expect(issue!.severity).to.equal('error')
      expect(issue!.line).to.equal(line)
      if (column !== undefined) expect(issue!.column).to.equal(column)
      expect(formatIssue('f.rules', issue!)).to.match(new RegExp(`^f\\.rules:${line}(:\\d+)?: error: .+ \\[${code}\\]$`))
      // the model is still printable (never a throw)
      expect(printIptablesSave(dump)).to.be.a('string')
    })
  }

  it('keeps a rule with a malformed known option verbatim', () => {
    const dump = parseRules(HEAD + '-A KUBE-SERVICES -p tcp -m tcp --dport 99999 -j RETURN\nCOMMIT\n')
    const rule = dump.tables[0].chains[1].rules[0]
    expect(rule.raw).to.equal('-A KUBE-SERVICES -p tcp -m tcp --dport 99999 -j RETURN')
    expect(rule.matches[1].options).to.deep.equal([{flag: '--dport', args: ['99999'], negated: false}])
    expect(printIptablesSave(dump)).to.include(rule.raw)
  })

  it('a valid dump has no issues at all', () => {
    expect(parseRules(HEAD + '-A KUBE-SERVICES -j RETURN\nCOMMIT\n').issues).to.deep.equal([])
  })

  it('unknown modules and targets are kept verbatim and are not errors', () => {
    const text = HEAD + '-A KUBE-SERVICES -m frob --frobnicate "a b" 7 -j FROB --level 3\nCOMMIT\n'
    const dump = parseRules(text)
    expect(dump.issues).to.deep.equal([])
    expect(printIptablesSave(dump)).to.equal(text)
    const strict = parseRules(text, {strict: true})
    expect(strict.issues.map((i) => [i.code, i.severity])).to.deep.equal([
      ['unknown-module', 'warning'],
      ['unknown-target', 'warning'],
    ])
  })

  it('reports a binary file once per line, with a cap and a summary', () => {
    const garbage = Array.from({length: 50}, () => '\u0000\u0001\u0002').join('\n')
    const dump = parseRules(garbage)
    const codes = dump.issues.filter((i) => i.code === 'binary-garbage')
    expect(codes).to.have.length(21)
    expect(codes[20].line).to.equal(0)
  })

  // Past a share of the text read line by line, the rest of the text is checked at once: garbage
  // late in a big dump must still be found on its line, with a lazy parse reading every chain too.
  for (const at of ['first', 'middle', 'last'] as const) {
    it(`finds binary garbage on the ${at} rule of a big dump, read eagerly and lazily`, () => {
      const count = 3000
      const bad = at === 'first' ? 0 : at === 'middle' ? count / 2 : count - 1
      const rules = Array.from({length: count}, (_, i) => `-A KUBE-SVC-${i} -m comment --comment "ns/svc-${i}:http" -j ${i === bad ? 'RET\u0007URN' : 'RETURN'}`)
      const declarations = Array.from({length: count}, (_, i) => `:KUBE-SVC-${i} - [0:0]`)
      const text = ['# Generated by iptables-save v1.8.9 (nf_tables)', '*nat', ...declarations, ...rules, 'COMMIT', ''].join('\n')
      const line = 3 + count + bad
      for (const lazy of [false, true]) {
        const dump = parseRules(text, {lazy})
        for (const table of dump.tables) for (const chain of table.chains) void chain.rules
        const found = dump.issues.filter((i) => i.code === 'binary-garbage').map((i) => i.line)
        expect(found, lazy ? 'lazy' : 'eager').to.deep.equal([line])
      }
    })
  }
})

describe('parse: awkward but valid input', () => {
  it('empty input → empty dump and a warning', () => {
    for (const text of ['', '\n', '  \n\n']) {
      const dump = parseRules(text)
      expect(dump.tables).to.deep.equal([])
      expect(dump.issues.map((i) => [i.code, i.severity])).to.deep.equal([['empty-input', 'warning']])
    }
  })

  it('CRLF line endings parse like LF', () => {
    const lf = HEAD + '-A KUBE-SERVICES -m comment --comment "a b" -j RETURN\nCOMMIT\n'
    const crlf = lf.replace(/\n/g, '\r\n')
    const a = parseRules(lf)
    const b = parseRules(crlf)
    expect(b.issues).to.deep.equal([])
    expect(b).to.deep.equal(a)
    expect(printIptablesSave(b)).to.equal(lf)
  })

  it('a 1 MB line parses quickly (no backtracking)', () => {
    const comment = 'x'.repeat(1 << 20)
    const text = HEAD + `-A KUBE-SERVICES -m comment --comment "${comment} y" -j RETURN\nCOMMIT\n`
    const start = Date.now()
    const dump = parseRules(text)
    expect(Date.now() - start).to.be.lessThan(2000)
    expect(dump.issues).to.deep.equal([])
    expect(dump.tables[0].chains[1].rules[0].comment).to.have.length((1 << 20) + 2)
    expect(printIptablesSave(dump)).to.equal(text)
  })

  it('a 1 MB line of garbage words gives bounded issues and returns', () => {
    const text = HEAD + '-A KUBE-SERVICES ' + 'w '.repeat(1 << 19) + '\nCOMMIT\n'
    const dump = parseRules(text)
    expect(dump.issues.length).to.be.greaterThan(0)
    expect(dump.issues.every((i) => (i.text ?? '').length < 300)).to.equal(true)
  })
})
