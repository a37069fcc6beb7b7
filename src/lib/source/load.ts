/**
 * Every command's input in one call: a snapshot directory, a single rules file, or a live
 * capture. Analysis code downstream only ever sees the resulting Snapshot.
 */
import {UsageError} from '../errors.js'
import {readRulesFile, readSnapshot} from '../snapshot/read.js'
import {selectNodes as pickNodes} from '../snapshot/select.js'
import type {NodeCapture, Snapshot} from '../snapshot/types.js'

export interface SourceOptions {
  snapshot?: string
  rules?: string
  nodeIps?: string[]
  /** With --rules: the node name to report (default 'node'). */
  nodeName?: string
  /** Captures the live cluster; called only when neither snapshot nor rules is given. */
  live?: () => Promise<Snapshot>
  /** Parse cluster.json objects when used (trace looks up a few; see readSnapshot). */
  lazyCluster?: boolean
  /** Read cluster.json only when used (check builds its cluster side on a thread; see readSnapshot). */
  deferCluster?: boolean
  /** Snapshot directories only: work on the nodes while cluster.json is read (see readSnapshot). */
  meanwhile?: (nodes: NodeCapture[]) => void
}

export async function loadSnapshot(opts: SourceOptions): Promise<Snapshot> {
  if (opts.snapshot) return readSnapshot(opts.snapshot, {lazyCluster: opts.lazyCluster, deferCluster: opts.deferCluster, meanwhile: opts.meanwhile})
  if (opts.rules) return readRulesFile(opts.rules, {nodeIps: opts.nodeIps, nodeName: opts.nodeName})
  if (opts.live) return opts.live()
  throw new UsageError('no input: give --snapshot DIR or --rules FILE', [
    'kpx rules --snapshot examples/ghost',
    'kpx rules --rules iptables-save.txt --node-ip 192.168.64.35',
  ])
}

/** Keep only the nodes asked for; an unknown name is "not found" (exit 5) with suggestions. */
export function selectNodes(snapshot: Snapshot, names: string[] | undefined): Snapshot {
  return {...snapshot, nodes: pickNodes(snapshot, names)}
}
