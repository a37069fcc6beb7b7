import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {XMLParser} from 'fast-xml-parser'

import type {CheckReport} from '../../src/lib/checks/types.js'

/** The report a failing `--json` run printed (it exits 1, so runCommand has no result). */
function reportOf(stdout: string): CheckReport {
  return JSON.parse(stdout) as CheckReport
}

describe('kpx check', () => {
  it('exits 0 on a healthy snapshot and says OK', async () => {
    const {stdout, error} = await runCommand(['check', '--snapshot', 'examples/modern', '--no-color'])
    expect(error).to.equal(undefined)
    expect(stdout).to.match(/^NODE +RULES +SERVICES +ENDPOINTS +ERRORS +WARNINGS +INFO/)
    expect(stdout).to.match(/OK: 0 errors, 0 warnings, 0 info on 3 nodes/)
  })

  it('exits 1 on the stale example with exactly its documented faults', async () => {
    const {stdout, error} = await runCommand(['check', '--snapshot', 'examples/stale', '--json'])
    expect(error?.oclif?.exit).to.equal(1)
    const report = reportOf(stdout)
    const found = report.findings.map((f) => `${f.id} ${f.node} ${f.endpoint ?? f.service}`).sort()
    expect(found).to.deep.equal([
      'missing-endpoint stale-1 10.244.0.6:8080',
      'missing-endpoint stale-2 10.244.0.6:8080',
      'probability-nonuniform stale-1 default/web:http',
      'stale-endpoint stale-1 10.244.1.6:8080',
      'stale-endpoint stale-2 10.244.1.6:8080',
    ])
    expect(report.summary).to.include({error: 4, warning: 1, nodes: 2})
  })

  const failOn = [
    {args: ['--only', 'probability-nonuniform'], failOn: 'error', exit: undefined},
    {args: ['--only', 'probability-nonuniform'], failOn: 'warning', exit: 1},
    {args: ['--skip', 'stale-endpoint', '--skip', 'missing-endpoint', '--skip', 'probability-nonuniform'], failOn: 'info', exit: undefined},
  ]
  for (const c of failOn) {
    it(`--fail-on ${c.failOn} with ${c.args.join(' ')} exits ${c.exit ?? 0}`, async () => {
      const {error} = await runCommand(['check', '--snapshot', 'examples/stale', '--fail-on', c.failOn, ...c.args])
      expect(error?.oclif?.exit).to.equal(c.exit)
    })
  }

  it('writes JUnit that parses back: one testcase per check and node, a failure per finding', async () => {
    const {stdout, error} = await runCommand(['check', '--snapshot', 'examples/stale', '--output', 'junit'])
    expect(error?.oclif?.exit).to.equal(1)
    const xml = new XMLParser({ignoreAttributes: false, isArray: (name) => ['testsuite', 'testcase', 'failure'].includes(name)}).parse(stdout)
    const suites = xml.testsuites.testsuite as {testcase: {'@_name': string; failure?: unknown[]}[]}[]
    expect(suites).to.have.length(2)
    const failures = suites.flatMap((s) => s.testcase.flatMap((t) => t.failure ?? []))
    expect(failures).to.have.length(4) // the four errors; the warning is below --fail-on error
    expect(suites[0].testcase.length).to.be.greaterThan(10)
  })

  it('--list prints the catalogue', async () => {
    const {stdout} = await runCommand(['check', '--list', '--no-color'])
    for (const id of ['stale-endpoint', 'missing-endpoint', 'probability-nonuniform', 'counter-skew', 'backend-split']) expect(stdout).to.match(new RegExp(`^${id} `, 'm'))
  })

  it('rejects an unknown check ID with exit 2', async () => {
    const {error, stderr} = await runCommand(['check', '--snapshot', 'examples/stale', '--only', 'no-such-check'])
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.contain('no-such-check')
  })
})
