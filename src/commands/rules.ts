import {Flags} from '@oclif/core'

import {KpxCommand} from '../lib/command-base.js'
import {clusterFlags, colorFlag, liveNodeFlags, nodeFlag, sourceFlags} from '../lib/flags.js'
import {printIptablesSave} from '../lib/parse/index.js'
import type {IptablesDump} from '../lib/parse/types.js'
import {makeChalk} from '../lib/render/colors.js'
import {renderRules} from '../lib/render/rules.js'
import {captureLive} from '../lib/source/live.js'
import {loadSnapshot, selectNodes} from '../lib/source/load.js'
import {assertNoErrors, parseNodeRules} from '../lib/source/parse-node.js'

export interface RulesResult {
  nodes: {name: string; origin: string; iptables: IptablesDump}[]
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
      origin: node.iptables?.origin ?? node.name,
      iptables: parseNodeRules(node, {table: flags.table, strict: false}),
    }))
    if (flags.normalize) {
      for (const n of nodes) this.log(printIptablesSave(n.iptables).replace(/\n$/, ''))
    } else {
      this.log(renderRules(nodes.map((n) => ({...n, dump: n.iptables})), {chalk: makeChalk({flag: flags.color}), chains: flags.chain}).replace(/\n$/, ''))
    }
    // Shown everything first; now fail with the documented code if any input was unparsable.
    for (const n of nodes) assertNoErrors(n.origin, n.iptables.issues)
    return {nodes}
  }
}
