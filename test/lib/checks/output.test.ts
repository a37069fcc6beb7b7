/** The machine outputs: JUnit parsed back with fast-xml-parser, JSON validated against the schema. */
import {Ajv} from 'ajv'
import {expect} from 'chai'
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {CHECKS, listChecks, renderJUnit} from '../../../src/lib/checks/index.js'
import type {CheckReport} from '../../../src/lib/checks/types.js'
import {readSnapshot} from '../../../src/lib/snapshot/index.js'
import {checkSnapshot, REPO} from './helpers.js'

const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'check.schema.json'), 'utf8'))
const validate = new Ajv({allErrors: true}).compile(schema)
const xml = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'failure'].includes(name)})

async function staleReport(): Promise<CheckReport> {
  return checkSnapshot(await readSnapshot(join(REPO, 'examples', 'stale')))
}

describe('checks: JUnit output', () => {
  it('one testcase per check and node, one failure per finding at the fail level', async () => {
    const report = await staleReport()
    const text = renderJUnit(report)
    expect(XMLValidator.validate(text)).to.equal(true)
    const doc = xml.parse(text)
    const suites = doc.testsuites.testsuite
    expect(suites.map((s: {name: string}) => s.name)).to.deep.equal(['kpx check stale-1', 'kpx check stale-2'])
    for (const suite of suites) expect(suite.testcase).to.have.length(CHECKS.length)
    const stale1 = suites[0].testcase
    const failuresOf = (name: string) => stale1.find((c: {name: string}) => c.name === name)?.failure ?? []
    expect(failuresOf('stale-endpoint')).to.have.length(1)
    expect(failuresOf('stale-endpoint')[0].type).to.equal('error')
    expect(failuresOf('stale-endpoint')[0]['#text']).to.include('hint: ').and.include('evidence: ')
    // a warning is not a failure at the default level, but it is shown
    expect(failuresOf('probability-nonuniform')).to.deep.equal([])
    expect(stale1.find((c: {name: string}) => c.name === 'probability-nonuniform')['system-out']).to.include('90.0%')
    expect(doc.testsuites.failures).to.equal('4') // failed testcases: stale + missing on each node
    expect(doc.testsuites.tests).to.equal(String(2 * CHECKS.length))
  })

  it('--fail-on warning turns warnings into failures', async () => {
    const doc = xml.parse(renderJUnit(await staleReport(), {failOn: 'warning'}))
    const testcase = doc.testsuites.testsuite[0].testcase.find((c: {name: string}) => c.name === 'probability-nonuniform')
    expect(testcase.failure[0].type).to.equal('warning')
    expect(doc.testsuites.failures).to.equal('5')
  })

  it('escapes what XML cannot carry raw', () => {
    const nasty = 'a <b> & "c" \'d\' \u0001 ]]>'
    const report: CheckReport = {
      nodes: [{name: 'n<1>', rules: 1, services: 0, endpoints: 0, findings: {error: 1, warning: 0, info: 0}}],
      findings: [{id: 'stale-endpoint', severity: 'error', node: 'n<1>', message: nasty, hint: nasty, evidence: {table: 'nat', chain: 'X', rule: 1, line: 2, text: nasty}}],
      checks: ['stale-endpoint'],
      summary: {error: 1, warning: 0, info: 0, nodes: 1, checksRun: 1},
    }
    const text = renderJUnit(report)
    expect(XMLValidator.validate(text)).to.equal(true)
    const failure = xml.parse(text).testsuites.testsuite[0].testcase[0].failure[0]
    expect(failure.message).to.equal('a <b> & "c" \'d\'  ]]>')
  })

  it('a node that could not be checked is a suite of skipped testcases', () => {
    const report: CheckReport = {
      nodes: [{name: 'ipvs-node', rules: 0, services: 0, endpoints: 0, findings: {error: 0, warning: 0, info: 0}, skipped: 'no iptables rules captured for this node'}],
      findings: [],
      checks: ['stale-endpoint', 'rule-count'],
      summary: {error: 0, warning: 0, info: 0, nodes: 1, checksRun: 2},
    }
    const suite = xml.parse(renderJUnit(report)).testsuites.testsuite[0]
    expect(suite.skipped).to.equal('2')
    expect(suite.testcase[1].skipped.message).to.equal('no iptables rules captured for this node')
  })
})

describe('checks: JSON output and the catalogue', () => {
  it('every example report validates against schemas/check.schema.json', async () => {
    for (const name of ['ghost', 'nginx', 'modern', 'stale']) {
      const report = JSON.parse(JSON.stringify(checkSnapshot(await readSnapshot(join(REPO, 'examples', name)))))
      expect(validate(report), `${name}: ${JSON.stringify(validate.errors)}`).to.equal(true)
    }
  })

  it('the schema rejects what the contract forbids', async () => {
    const report = JSON.parse(JSON.stringify(await staleReport()))
    report.findings[0].severity = 'fatal'
    delete report.findings[1].hint
    report.findings[2].evidence.line = 0
    expect(validate(report)).to.equal(false)
    expect(validate.errors?.map((e) => e.instancePath).sort()).to.deep.equal(['/findings/0/severity', '/findings/1', '/findings/2/evidence/line'])
  })

  it('lists every check with a stable kebab-case ID, a severity and words', () => {
    const list = listChecks()
    expect(new Set(list.map((c) => c.id)).size).to.equal(list.length)
    for (const c of list) {
      expect(c.id).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      expect(['error', 'warning', 'info']).to.include(c.severity)
      expect(c.summary.length).to.be.within(10, 100)
      expect(c.description.length).to.be.above(40)
    }
  })
})
