import {KpxCommand} from '../lib/command-base.js'
import {clusterFlags, colorFlag, liveNodeFlags, nodeFlag, sourceFlags} from '../lib/flags.js'
import {buildProxyModel} from '../lib/kube-proxy/model.js'
import {makeChalk} from '../lib/render/colors.js'
import {renderServices, type NodeServices} from '../lib/render/services.js'
import {captureLive} from '../lib/source/live.js'
import {loadSnapshot, selectNodes} from '../lib/source/load.js'
import {assertNoLateErrors, parseBothFamilies} from '../lib/source/parse-node.js'
import {listServicePorts} from '../lib/trace/index.js'

export type ServicesResult = NodeServices[]

export default class Services extends KpxCommand {
  static override summary = "List the Service ports a node's kube-proxy rules implement, with their endpoints and shares."
  static override description = `Reads the kube-proxy chains (iptables mode) and shows, per Service port: cluster IPs, NodePorts, external and load-balancer IPs, traffic policies, session affinity, and each endpoint with its effective load-balancing share. With cluster objects (a snapshot's cluster.json, or live), endpoints get their pod names and stale ones are marked.
Service names come from rule comments and, where comments are missing (kube-proxy drops them above 1000 endpoints), from kube-proxy's chain-name hashes of the known Services.`
  static override examples = [
    {description: 'Every Service port on every node of a shipped example', command: '<%= config.bin %> <%= command.id %> --snapshot examples/modern'},
    {description: 'One node, machine-readable', command: '<%= config.bin %> <%= command.id %> --snapshot examples/modern --node node-c --json'},
  ]
  static override enableJsonFlag = true
  static override flags = {...sourceFlags, node: nodeFlag, color: colorFlag, ...liveNodeFlags, ...clusterFlags}

  async run(): Promise<ServicesResult> {
    const {flags} = await this.parse(Services)
    const snapshot = selectNodes(await loadSnapshot({snapshot: flags.snapshot, rules: flags.rules, nodeIps: flags['node-ip'], live: () => captureLive(flags, this)}), flags.node)
    // Dual-stack nodes implement each Service port once per family: list both.
    const result = snapshot.nodes.map((node) => {
      const dumps = parseBothFamilies(node, flags.table)
      const services = dumps.flatMap((dump) => (dump ? listServicePorts(buildProxyModel(dump, {services: snapshot.cluster?.services}), snapshot) : []))
      return {node: node.name, services}
    })
    // Rules are decoded lazily: errors in the ones the model read surface now, as exit 4.
    assertNoLateErrors(snapshot.nodes)
    // Under --json oclif drops this.log's text anyway: do not build it.
    if (!this.jsonEnabled()) this.log(renderServices(result, {chalk: makeChalk({flag: flags.color})}).replace(/\n$/, ''))
    return result
  }
}
