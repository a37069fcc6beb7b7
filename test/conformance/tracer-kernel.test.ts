/**
 * Tracer vs kernel (issue 3): for kube-proxy's corpus, the shipped examples and seeded
 * generated rulesets, kpx's trace of each probe packet is refereed by the kernel's counters
 * after N real connections (see referee.ts for the checks and README.md for the method).
 */
import {expect} from 'chai'

import type {IptablesDump} from '../../src/lib/parse/types.js'
import {createLab, type Lab, requireRoot} from '../helpers/netns.js'
import {parseRules} from '../../src/lib/parse/index.js'
import {generateRuleset} from '../helpers/ruleset-generator.js'
import {describeFailures, type KernelTarget, KernelReferee, type TargetVerdict} from './kernel-run.js'
import {corpusFiles, exampleFiles, type RulesFile} from './rule-sources.js'

const PREFIX = 'kpxK-'
const OUTSIDE = '203.0.113.2'

interface Suite {
  name: string
  file: RulesFile
  /** Targets known up front, or derived from the loaded dump. */
  targets: KernelTarget[] | ((dump: IptablesDump) => KernelTarget[])
}

function corpusTargets(file: RulesFile): KernelTarget[] {
  return file.cases
    .filter((c) => c.protocol === 'tcp' || c.protocol === 'udp') // Node has no SCTP sockets
    .map((c) => ({name: c.name, src: c.sourceIP, dst: c.destIP, port: c.destPort, proto: c.protocol as 'tcp' | 'udp'}))
}

/** A pod-network address next to the first DNAT endpoint (x.y.z.250), so probes can come from "a pod". */
function podSource(dump: IptablesDump): string | undefined {
  const nat = dump.tables.find((t) => t.name === 'nat')
  for (const chain of nat?.chains ?? []) {
    for (const rule of chain.rules) {
      const typed = rule.target?.typed
      const ip = typed?.kind === 'dnat' ? typed.to[0]?.addressFrom : undefined
      if (ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip)) return ip.replace(/\.\d+$/, '.250')
    }
  }
  return undefined
}

/** Probes for a dump without cases: every service destination and NodePort, from outside, the node and a pod. */
export function probesFromDump(dump: IptablesDump, nodeIps: string[]): KernelTarget[] {
  const nat = dump.tables.find((t) => t.name === 'nat')
  const pod = podSource(dump)
  const out: KernelTarget[] = []
  const seen = new Set<string>()
  const add = (target: KernelTarget) => {
    const key = `${target.src} ${target.dst} ${target.port} ${target.proto}`
    if (!seen.has(key)) out.push(target)
    seen.add(key)
  }
  for (const chainName of ['KUBE-SERVICES', 'KUBE-NODEPORTS']) {
    for (const rule of nat?.chains.find((c) => c.name === chainName)?.rules ?? []) {
      const ports = rule.matches.find((m) => m.typed?.kind === 'ports')?.typed
      const dport = ports?.kind === 'ports' && !ports.dport?.negated ? ports.dport?.value.from : undefined
      const proto = rule.protocol?.value
      if (!dport || (proto !== 'tcp' && proto !== 'udp') || rule.destination?.negated) continue
      const dst = chainName === 'KUBE-NODEPORTS' ? nodeIps[0] : rule.destination?.value.replace(/\/\d+$/, '')
      if (!dst || dst.startsWith('127.')) continue
      add({name: `${rule.comment ?? rule.raw} from outside`, src: OUTSIDE, dst, port: dport, proto})
      add({name: `${rule.comment ?? rule.raw} from the node`, src: nodeIps[0], dst, port: dport, proto})
      if (pod) add({name: `${rule.comment ?? rule.raw} from a pod`, src: pod, dst, port: dport, proto})
    }
  }
  return out
}

function suites(): {title: string; list: Suite[]}[] {
  const corpus = corpusFiles().filter((f) => f.cases.length > 0)
  const generated = [79, 203, 340].map((seed) => {
    const g = generateRuleset(seed, 7)
    return {name: `seed ${seed}`, file: {name: `seed ${seed}`, text: g.text, family: 4 as const, nodeIps: g.nodeIps, cases: []}, targets: g.targets}
  })
  return [
    {title: 'corpus (kube-proxy packet flows)', list: corpus.map((file) => ({name: file.name, file, targets: corpusTargets(file)}))},
    {title: 'shipped examples', list: exampleFiles().map((file) => ({name: file.name, file, targets: (dump: IptablesDump) => probesFromDump(dump, file.nodeIps)}))},
    {title: 'generated kube-proxy rulesets', list: generated},
  ]
}

for (const {title, list} of suites()) {
  describe(`tracer vs kernel: ${title}`, function () {
    this.timeout(120_000)
    before(function () {
      requireRoot(this)
    })

    for (const suite of list) {
      it(`${suite.name}: kernel counters agree with kpx's traces`, async () => {
        const clientIps = suite.file.family === 6 ? ['fd00:10::2'] : ['10.0.0.2']
        const lab: Lab = await createLab({prefix: PREFIX, nodeIps: suite.file.nodeIps, clientIps})
        try {
          const referee = new KernelReferee(lab, suite.file.nodeIps)
          const dump = await referee.load(suite.file.text, suite.file.family)
          const targets = typeof suite.targets === 'function' ? suite.targets(dump) : suite.targets
          expect(targets, 'no probe targets').to.not.be.empty
          const verdicts: TargetVerdict[] = []
          for (const target of targets) verdicts.push(await referee.referee(target))
          const failed = verdicts.filter((v) => v.discrepancies.length > 0)
          if (failed.length > 0) expect.fail(`${failed.length}/${verdicts.length} targets disagree with the kernel:\n${describeFailures(failed)}`)
        } finally {
          await lab.close()
        }
      })
    }
  })
}

describe('tracer vs kernel: negative control', function () {
  this.timeout(60_000)
  before(function () {
    requireRoot(this)
  })

  // The referee must reject a wrong trace: the kernel runs the real 50/50 split while kpx
  // traces a copy whose first endpoint gets 0.9 and whose masquerade rule was dropped.
  it('flags a trace of a doctored ruleset', async () => {
    const file = corpusFiles().find((f) => f.name === 'TestTracePacket')!
    const lab = await createLab({prefix: PREFIX, nodeIps: file.nodeIps, clientIps: ['10.0.0.2']})
    try {
      const referee = new KernelReferee(lab, file.nodeIps)
      const real = await referee.load(file.text, 4)
      const doctored = parseRules(
        (await lab.saveRules({family: 4}))
          .replace('--probability 0.50000000000', '--probability 0.90000000000')
          .replace(/^-A KUBE-POSTROUTING .*-j MASQUERADE$/m, ''),
        {family: 4},
      )
      expect(real.tables.length).to.equal(doctored.tables.length)
      const split = await referee.referee({name: 'split', src: '10.0.0.2', dst: '172.30.0.44', port: 80, proto: 'tcp'}, doctored)
      expect(split.discrepancies.map((d) => d.check)).to.include('c')
      expect(split.runs, 'a real difference survives the re-run').to.equal(2)
      const masq = await referee.referee({name: 'masq', src: '192.168.0.2', dst: '192.168.99.22', port: 80, proto: 'tcp'}, doctored)
      expect(masq.discrepancies.map((d) => d.check)).to.include('d')
    } finally {
      await lab.close()
    }
  })
})
