import {runCommand} from '@oclif/test'
import {colorizeJson} from '@oclif/core/ux'
import {expect} from 'chai'

// KpxCommand.logJson skips oclif's JSON tokenizer when no colour theme applies: the text must be
// exactly what oclif's own path prints (colorizeJson without a theme, then a newline).
const CASES: string[][] = [
  ['rules', '--snapshot', 'examples/nginx', '--json'],
  ['trace', 'svc/ghost', '--nodeport', '30966', '--snapshot', 'examples/ghost', '--json'],
  ['trace', '10.254.198.92:80', '--snapshot', 'examples/nginx', '--json'],
  ['services', '--snapshot', 'examples/modern', '--json'],
  ['check', '--snapshot', 'examples/stale', '--json'], // fails: printed by the command, exit 1
  ['check', '--list', '--json'],
  ['trace', 'svc/nope', '--snapshot', 'examples/ghost', '--json'], // the error object, from catch()
  ['rules', '--snapshot', 'examples/ghost', '--chain', 'KUBE-NOPE', '--json'],
]

describe('--json output text', () => {
  for (const argv of CASES) {
    it(`kpx ${argv.join(' ')}: what oclif's colorizeJson prints`, async () => {
      const {stdout} = await runCommand(argv)
      expect(stdout.length).to.be.greaterThan(2)
      expect(stdout).to.equal(colorizeJson(JSON.parse(stdout), {pretty: true}) + '\n')
    })
  }

  it('strings that look like JSON punctuation or escapes survive unchanged', async () => {
    const {stdout} = await runCommand(['trace', 'svc/"{[:,]}\\\\"', '--snapshot', 'examples/ghost', '--json'])
    expect(stdout).to.equal(colorizeJson(JSON.parse(stdout), {pretty: true}) + '\n')
  })
})
