import * as Flags from '@oclif/core/flags'

import {KpxCommand} from '../lib/command-base.js'
import {InputError, NotFoundError} from '../lib/errors.js'
import {closeNames} from '../lib/suggest.js'
import {clusterFlags, colorFlag, liveNodeFlags, nodeFlag, sourceFlags} from '../lib/flags.js'
import {printIptablesSave} from '../lib/parse/index.js'
import type {IptablesDump} from '../lib/parse/types.js'
import {makeChalk} from '../lib/render/colors.js'
import {renderRules} from '../lib/render/rules.js'
import {captureLive} from '../lib/source/live.js'
import {loadSnapshot, selectNodes} from '../lib/source/load.js'
import {assertNoErrors, parseNodeRules, parseNodeRules6} from '../lib/source/parse-node.js'

export interface RulesResult {
  /** `iptables` (IPv4) and/or `ip6tables` (IPv6): whichever the node has. */
  nodes: {name: string; origin: string; origin6?: string; iptables?: IptablesDump; ip6tables?: IptablesDump}[]
}

export default class Rules extends KpxCommand {
  static override summary = "Show what a node's iptables rules hold: tables, chains, kube-proxy chains by kind, problems."
  static override description = `Parses iptables-save output (with or without -c counters, legacy or nft), iptables-restore input, \`iptables -S\` output, grep'd rule fragments and \`iptables -L -n [-v]\` listings.
Every problem is reported as FILE:LINE:COLUMN: message; errors exit with code 4.
--json prints the full parsed model (schema: schemas/rules.schema.json); --normalize prints the rules back in iptables-save form, which iptables-restore accepts.`
  static override examples = [
    {description: 'Summarise a shipped example', command: '<%= config.bin %> <%= command.id %> --snapshot examples/ghost'},
    {description: "Show one chain's rules with line numbers", command: '<%= config.bin %> <%= command.id %> --snapshot examples/ghost --node k8s-1 --chain KUBE-SVC-4XJR4EADNBDQKTKS'},
    {description: 'Turn a pasted `iptables -t nat -L -n` listing into iptables-save form', command: '<%= config.bin %> <%= command.id %> --rules listing.txt --table nat --normalize'},
  ]
  static override enableJsonFlag = true
  static override flags = {
    ...sourceFlags,
    node: nodeFlag,
    chain: Flags.string({summary: 'Print the rules of this chain in full (repeatable).', multiple: true}),
    normalize: Flags.boolean({summary: 'Print the parsed rules back in iptables-save form.'}),
    color: colorFlag,
    ...liveNodeFlags,
    ...clusterFlags,
  }

  async run(): Promise<RulesResult> {
    const {flags} = await this.parse(Rules)
    const snapshot = selectNodes(await loadSnapshot({snapshot: flags.snapshot, rules: flags.rules, nodeIps: flags['node-ip'], live: () => captureLive(flags, this)}), flags.node)
    const nodes = snapshot.nodes.map((node) => ({
      name: node.name,
      origin: node.iptables?.origin ?? node.ip6tables?.origin ?? node.name,
      ...(node.ip6tables ? {origin6: node.ip6tables.origin} : {}),
      ...(node.iptables ? {iptables: parseNodeRules(node, {table: flags.table, strict: false})} : {}),
      ...(node.ip6tables ? {ip6tables: parseNodeRules6(node, {table: flags.table, strict: false})} : {}),
    }))
    const dumps = nodes.flatMap((n) => [
      ...(n.iptables ? [{name: n.name, origin: n.origin, dump: n.iptables}] : []),
      ...(n.ip6tables ? [{name: `${n.name} (IPv6)`, origin: n.origin6 ?? n.origin, dump: n.ip6tables}] : []),
    ])
    if (dumps.length === 0) throw new InputError(`no rules in ${snapshot.origin}`, ['a snapshot node needs nodes/NODE/iptables-save.txt or ip6tables-save.txt'], 'no-rules')
    if (flags.chain) assertChainsExist(dumps.map((d) => d.dump), flags.chain)
    if (flags.normalize) {
      for (const d of dumps) this.log(printIptablesSave(d.dump).replace(/\n$/, ''))
    } else {
      this.log(renderRules(dumps, {chalk: makeChalk({flag: flags.color}), chains: flags.chain}).replace(/\n$/, ''))
    }
    // Shown everything first; now fail with the documented code if any input was unparsable.
    for (const d of dumps) assertNoErrors(d.origin, d.dump.issues)
    return {nodes}
  }
}

/** `--chain NAME` must name a chain somewhere in the input: else "not found" with suggestions. */
function assertChainsExist(dumps: IptablesDump[], wanted: string[]): void {
  const known = new Set(dumps.flatMap((d) => d.tables.flatMap((t) => t.chains.map((c) => c.name))))
  const missing = wanted.filter((c) => !known.has(c))
  if (missing.length === 0) return
  const close = missing.flatMap((c) => closeNames(c, [...known]))
  throw new NotFoundError(`no chain ${missing.join(', ')} in the rules`, close.map((c) => `--chain ${c}`), 'chain-not-found')
}
