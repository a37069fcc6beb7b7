import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KpxCommand} from '../lib/command-base.js'
import {clusterFlags, colorFlag, liveNodeFlags, nodeFlag, sourceFlags, usageCheck} from '../lib/flags.js'
import {makeChalk} from '../lib/render/colors.js'
import {renderTraces} from '../lib/render/trace.js'
import {captureLive} from '../lib/source/live.js'
import {loadSnapshot, selectNodes} from '../lib/source/load.js'
import {assertNoLateErrors, parseFamily} from '../lib/source/parse-node.js'
import {checkTargetSyntax} from '../lib/target-syntax.js'
import {parseAhead, traceSnapshot} from '../lib/trace/index.js'
import type {NodeCapture} from '../lib/snapshot/types.js'
import type {TraceResult} from '../lib/trace/types.js'

/** One node traced: an object; several: an array (issue #3's schema, schemas/trace.schema.json). */
export type TraceCommandResult = TraceResult | TraceResult[]

export default class Trace extends KpxCommand {
  static override summary = "Replay a packet through a node's kube-proxy rules: every branch, its probability, the pod, masquerading."
  static override description = `Evaluates the first packet of a new connection the way netfilter does (iptables mode): nat PREROUTING for a packet from a pod or from outside, nat OUTPUT when the source is the node itself; DNAT, filter INPUT/FORWARD/OUTPUT, then nat POSTROUTING for the masquerade decision.
Load-balancing (statistic) rules fork the walk, session affinity (recent) forks into "has affinity"/"has not", and any match kpx cannot decide forks too and is listed under assumptions. An outcome's share is conditional on the assumptions it lists (the IF column): with no undecided match, the shares sum to 1.
TARGET is svc/NAME (with --namespace), IP:PORT, [IPv6]:PORT, or IP with --port. Without --node every node is traced and differences are shown.`
  static override examples = [
    {description: 'NodePort traffic from outside, on every node of a shipped example', command: '<%= config.bin %> <%= command.id %> svc/ghost --nodeport 30966 --snapshot examples/ghost'},
    {description: 'A ClusterIP from a given pod, on one node', command: '<%= config.bin %> <%= command.id %> 10.254.198.92:80 --src 172.17.0.9 --snapshot examples/nginx'},
    {description: 'From the node itself (nat OUTPUT), machine-readable', command: '<%= config.bin %> <%= command.id %> svc/ghost --src node/k8s-1 --node k8s-1 --snapshot examples/ghost --json'},
    {description: 'A rules file pasted into a ticket', command: '<%= config.bin %> <%= command.id %> 10.96.0.10:53 --proto udp --rules iptables-save.txt --node-ip 10.0.0.5'},
  ]
  static override enableJsonFlag = true
  static override args = {
    target: Args.string({
      description: 'svc/NAME, IP:PORT, [IPv6]:PORT, or IP (with --port)',
      required: true,
      parse: async (input) => usageCheck(() => checkTargetSyntax(input), input),
    }),
  }
  static override flags = {
    ...sourceFlags,
    namespace: Flags.string({char: 'n', summary: 'Namespace of a svc/NAME target.', default: 'default'}),
    port: Flags.string({summary: 'Service port (number or name) of a svc/NAME target, or the destination port of a bare IP.'}),
    nodeport: Flags.integer({summary: "Trace NodePort traffic: to the node's own address on this port.", min: 1, max: 65535}),
    src: Flags.string({summary: 'Source: an IP, pod/NAME, node/NAME or external (default: external for NodePort/external/LB targets, a pod for ClusterIPs).'}),
    proto: Flags.option({summary: 'Protocol (default: the Service port\'s, else tcp).', options: ['tcp', 'udp', 'sctp'] as const})(),
    node: nodeFlag,
    verbose: Flags.boolean({char: 'v', summary: 'Print the rule text of every step.'}),
    color: colorFlag,
    ...liveNodeFlags,
    ...clusterFlags,
  }

  async run(): Promise<TraceCommandResult> {
    const {args, flags} = await this.parse(Trace)
    const parse = (node: NodeCapture, family: 4 | 6) => parseFamily(node, family, flags.table)
    const snapshot = selectNodes(
      await loadSnapshot({
        lazyCluster: true,
        // The rules are parsed while a big cluster.json is scanned on another thread.
        meanwhile: (nodes) => parseAhead(nodes, {target: args.target, parse, nodes: flags.node}),
        snapshot: flags.snapshot,
        rules: flags.rules,
        nodeIps: flags['node-ip'],
        live: () => captureLive(flags, this, {defaultAllNodes: true}),
      }),
      flags.node,
    )
    const results = traceSnapshot(snapshot, {
      target: args.target,
      namespace: flags.namespace,
      port: flags.port,
      nodePort: flags.nodeport,
      src: flags.src,
      proto: flags.proto,
      parse,
    })
    assertNoLateErrors(snapshot.nodes) // rules are decoded lazily: a walked rule may be bad
    // Under --json oclif drops this.log's text anyway: do not build it (tables, colours).
    if (!this.jsonEnabled()) this.log(renderTraces(results, {chalk: makeChalk({flag: flags.color}), verbose: flags.verbose}).replace(/\n$/, ''))
    return results.length === 1 ? results[0] : results
  }
}
