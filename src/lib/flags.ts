/**
 * Flags shared by several commands, defined once so their names, help and validation are the
 * same everywhere (STYLE.md habit 5). Bad values fail here, before any file or cluster is read,
 * with oclif's usage exit code 2.
 */
import * as Errors from '@oclif/core/errors'
import * as Flags from '@oclif/core/flags'

import {parseAddress} from './net/ip.js'

/** Where the rules come from: a snapshot directory, a single rules file, or (default) the live cluster. */
export const sourceFlags = {
  snapshot: Flags.string({
    summary: 'Read a snapshot directory (as written by `kpx dump`) instead of the live cluster.',
    helpGroup: 'INPUT',
    exclusive: ['rules'],
  }),
  rules: Flags.string({
    summary: 'Read one rules file (iptables-save, iptables -S, iptables -L, or grep fragments); - for stdin.',
    helpGroup: 'INPUT',
    exclusive: ['snapshot'],
  }),
  'node-ip': Flags.string({
    summary: "The node's own address (repeatable), for --rules: decides LOCAL addresses and the OUTPUT path.",
    helpGroup: 'INPUT',
    multiple: true,
    dependsOn: ['rules'],
    parse: async (input) => usageCheck(() => parseAddress(input), input),
  }),
  table: Flags.string({
    summary: 'Table of the rules when the input does not say (iptables -S output, fragments, -L listings).',
    helpGroup: 'INPUT',
    options: ['filter', 'nat', 'mangle', 'raw', 'security'],
  }),
}

/** How to reach a live cluster (kubectl's names). */
export const clusterFlags = {
  kubeconfig: Flags.string({summary: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).', helpGroup: 'CLUSTER'}),
  context: Flags.string({summary: 'The kubeconfig context to use.', helpGroup: 'CLUSTER'}),
  transport: Flags.option({
    summary: "How to read a node's rules: exec into kube-proxy, a short-lived debug pod, or auto.",
    description:
      'auto tries the kube-proxy pod first and falls back to a debug pod only with --allow-debug-pod.',
    options: ['auto', 'kube-proxy', 'debug-pod'] as const,
    default: 'auto',
    helpGroup: 'CLUSTER',
  })(),
  'allow-debug-pod': Flags.boolean({
    summary: 'Let --transport auto create a privileged, labelled, time-limited debug pod when kube-proxy cannot be exec-ed.',
    helpGroup: 'CLUSTER',
  }),
  'debug-image': Flags.string({summary: "Image of the debug pod (default: the kube-proxy DaemonSet's image, else busybox).", helpGroup: 'CLUSTER'}),
  'kube-proxy-namespace': Flags.string({summary: 'Namespace of the kube-proxy pods.', default: 'kube-system', helpGroup: 'CLUSTER'}),
  'kube-proxy-selector': Flags.string({summary: 'Label selector of the kube-proxy pods.', default: 'k8s-app=kube-proxy', helpGroup: 'CLUSTER'}),
  concurrency: Flags.integer({summary: 'Nodes read at the same time.', default: 16, min: 1, max: 256, helpGroup: 'CLUSTER'}),
  'node-timeout': Flags.integer({summary: 'Seconds allowed to read one node.', default: 60, min: 1, helpGroup: 'CLUSTER'}),
}

/** Which nodes a live capture reads (besides --node); ignored for --snapshot/--rules. */
export const liveNodeFlags = {
  'all-nodes': Flags.boolean({summary: 'Live cluster: read every node.', helpGroup: 'CLUSTER'}),
  selector: Flags.string({summary: 'Live cluster: read the nodes matching this label selector (e.g. node-role.kubernetes.io/worker).', helpGroup: 'CLUSTER'}),
}

export const nodeFlag = Flags.string({
  summary: 'Node to analyse (repeatable); default: every node in the snapshot.',
  multiple: true,
})

export const namespaceFlags = {
  namespace: Flags.string({char: 'n', summary: "Namespace of the Service (default: the context's, or default)."}),
  'all-namespaces': Flags.boolean({char: 'A', summary: 'Every namespace.'}),
}

export const colorFlag = Flags.boolean({
  summary: 'Colour the output (default: on for a terminal, off when NO_COLOR is set or output is piped).',
  allowNo: true,
})

/**
 * oclif rethrows whatever a flag's parse function throws; wrapping it in a CLIError with exit 2
 * keeps bad flag values on the documented usage code instead of looking like a kpx bug.
 */
export function usageCheck<T>(check: () => unknown, value: T): T {
  try {
    check()
  } catch (error) {
    throw new Errors.CLIError(error instanceof Error ? error.message : String(error), {exit: 2})
  }
  return value
}
