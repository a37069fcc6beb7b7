import * as Flags from '@oclif/core/flags'

import {KpxCommand} from '../lib/command-base.js'
import {clusterFlags, liveNodeFlags} from '../lib/flags.js'
import {captureLiveResult} from '../lib/source/live.js'
import {writeSnapshot} from '../lib/snapshot/write.js'
import type {NodeCapture} from '../lib/snapshot/types.js'

export interface DumpedNode {
  name: string
  transport?: string
  /** `-A` lines in the node's iptables (and ip6tables) dump. */
  rules: number
  error?: string
}

export interface DumpResult {
  dir: string
  nodes: DumpedNode[]
}

export default class Dump extends KpxCommand {
  static override summary = "Capture the live cluster's objects and its nodes' rules into a snapshot directory."
  static override description = `Replay the directory with any command's --snapshot flag (e.g. kpx check --snapshot DIR).
Writes the snapshot layout every command reads with --snapshot: cluster.json (nodes, services, endpointslices, pods, the kube-proxy ConfigMap) and nodes/<node>/{iptables-save.txt, ip6tables-save.txt, addresses.txt, meta.json}. meta.json records the capture time, transport, kube-proxy mode and version, and every command run with its exit code, so the directory can be attached to a ticket and replayed anywhere.
A node that cannot be read is recorded with its error in meta.json; the others are still written and kpx exits 6 (partial).`
  static override examples = [
    {description: 'Capture every node for an incident ticket', command: '<%= config.bin %> <%= command.id %> --output ./incident-42 --all-nodes'},
    {description: 'Two nodes, through a debug pod where kube-proxy cannot be exec-ed', command: '<%= config.bin %> <%= command.id %> --output ./incident-42 --node k8s-1 --node k8s-2 --allow-debug-pod'},
    {description: 'The worker nodes, machine-readable summary', command: '<%= config.bin %> <%= command.id %> --output ./incident-42 --selector node-role.kubernetes.io/worker --json'},
  ]
  static override enableJsonFlag = true
  static override flags = {
    output: Flags.string({char: 'o', summary: 'Directory to write the snapshot to (created; must be empty unless --force).', required: true}),
    force: Flags.boolean({summary: 'Replace the snapshot files (cluster.json, nodes/) of a non-empty directory.'}),
    node: Flags.string({summary: 'Node to capture (repeatable); with one node in the cluster, that node.', multiple: true, helpGroup: 'CLUSTER'}),
    ...liveNodeFlags,
    ...clusterFlags,
  }

  async run(): Promise<DumpResult> {
    const {flags} = await this.parse(Dump)
    const capture = await captureLiveResult(flags, this, {keepFailedNodes: true, keepText: true})
    await writeSnapshot(capture.snapshot, flags.output, {force: flags.force})
    const result: DumpResult = {dir: flags.output, nodes: capture.snapshot.nodes.map((n) => dumpedNode(n))}
    this.log(renderDumpSummary(result))
    return result
  }
}

const countRules = (text: string | undefined): number => text?.match(/^-A /gm)?.length ?? 0

function dumpedNode(node: NodeCapture): DumpedNode {
  return {
    name: node.name,
    ...(node.meta?.transport ? {transport: node.meta.transport} : {}),
    rules: countRules(node.iptables?.text) + countRules(node.ip6tables?.text),
    ...(node.meta?.error ? {error: node.meta.error} : {}),
  }
}

function renderDumpSummary(result: DumpResult): string {
  const failed = result.nodes.filter((n) => n.error).length
  const lines = result.nodes.map((n) => (n.error ? `  ${n.name}: FAILED: ${n.error}` : `  ${n.name}: ${n.rules} rules via ${n.transport ?? 'unknown transport'}`))
  const total = result.nodes.reduce((sum, n) => sum + n.rules, 0)
  return [`wrote ${result.dir}: ${result.nodes.length} node${result.nodes.length === 1 ? '' : 's'}, ${total} rules, ${failed} failed`, ...lines].join('\n')
}
