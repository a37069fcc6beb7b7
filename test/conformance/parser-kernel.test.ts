/**
 * Parser vs kernel (issue 2, "Done when"): every ruleset is loaded into a network namespace with
 * each backend; what the real `iptables-save` prints (with and without -c, after some traffic so
 * counters are not all zero) must come back byte for byte from printIptablesSave(parseRules(...)).
 */
import {expect} from 'chai'

import {parseRules, printIptablesSave} from '../../src/lib/parse/index.js'
import {createLab, type Lab, requireRoot} from '../helpers/netns.js'
import {generateRuleset} from '../helpers/ruleset-generator.js'
import {corpusFiles, exampleFiles, type RulesFile} from './rule-sources.js'

const PREFIX = 'kpxK-'

function generatedFiles(): RulesFile[] {
  return [11, 12, 13].map((seed) => {
    const generated = generateRuleset(seed, 8)
    return {name: `generated seed ${seed}`, text: generated.text, family: 4 as const, nodeIps: generated.nodeIps, cases: []}
  })
}

/** The first line where two texts differ, for a readable failure. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n')
  const b = actual.split('\n')
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  iptables-save: ${JSON.stringify(a[i])}\n  kpx printed:   ${JSON.stringify(b[i])}`
  }
  return 'identical'
}

/** Printing what was read (the printer's default) must give the kernel's text back. */
function assertRoundTrip(saved: string, family: 4 | 6): void {
  const dump = parseRules(saved, {family})
  const errors = dump.issues.filter((issue) => issue.severity === 'error')
  expect(errors, 'parse errors on the kernel\'s own output').to.deep.equal([])
  const printed = printIptablesSave(dump)
  if (printed !== saved) expect.fail(`round trip differs at ${firstDifference(saved, printed)}`)
}

const files = [...corpusFiles(), ...exampleFiles(), ...generatedFiles()]

for (const backend of ['nft', 'legacy'] as const) {
  describe(`parser vs kernel: iptables-${backend}-save round trip`, function () {
    this.timeout(60_000)
    let lab: Lab | undefined

    before(async function () {
      requireRoot(this)
      // One lab per backend: iptables-nft-save warns when legacy tables exist in the namespace.
      lab = await createLab({prefix: PREFIX, nodeIps: ['192.168.0.2', '2001:db8::1'], clientIps: ['10.0.0.2', 'fd00:10::2']})
    })
    after(async () => {
      await lab?.close()
    })

    it('has rulesets to check', () => {
      expect(files.length).to.be.greaterThan(20)
    })

    for (const file of files) {
      it(`${file.name} (IPv${file.family})`, async () => {
        await lab!.loadRules(file.text, {backend, family: file.family})
        // A little traffic so that -c output carries real, non-zero counters.
        const dst = file.family === 6 ? '2001:db8::1' : '192.168.0.2'
        await lab!.send({from: 'client', dst, port: 80, proto: 'tcp', count: 3})
        assertRoundTrip(await lab!.saveRules({backend, family: file.family}), file.family)
        assertRoundTrip(await lab!.saveRules({backend, family: file.family, counters: true}), file.family)
      })
    }
  })
}
