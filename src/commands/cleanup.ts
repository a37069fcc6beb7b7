import * as Flags from '@oclif/core/flags'

import {KpxCommand} from '../lib/command-base.js'
import {clusterFlags} from '../lib/flags.js'

export interface CleanupResult {
  /** `namespace/name` of every debug pod deleted. */
  deleted: string[]
}

export default class Cleanup extends KpxCommand {
  static override summary = 'Delete debug pods a kpx run left behind (found by their kpx labels).'
  static override description = `kpx deletes its node-debug pods when it finishes, fails or is interrupted, and every pod also has activeDeadlineSeconds as a safety net. If kpx was killed hard (SIGKILL, a lost laptop), this removes what is left: pods labelled app.kubernetes.io/managed-by=kpx and kpx.dev/role=node-debug, in every namespace unless --namespace is given. Nothing else is touched.`
  static override examples = [
    {description: 'Remove every leftover kpx debug pod', command: '<%= config.bin %> <%= command.id %>'},
    {description: "One namespace, one run's pods", command: '<%= config.bin %> <%= command.id %> --namespace kube-system --session 3f9a1c2e'},
  ]
  static override enableJsonFlag = true
  static override flags = {
    namespace: Flags.string({char: 'n', summary: 'Only this namespace (default: every namespace).'}),
    session: Flags.string({summary: "Only the pods of this kpx run (the kpx.dev/session label)."}),
    kubeconfig: clusterFlags.kubeconfig,
    context: clusterFlags.context,
  }

  async run(): Promise<CleanupResult> {
    const {flags} = await this.parse(Cleanup)
    // Loaded on demand, as in source/live.ts: the Kubernetes client is heavy, and importing it
    // here would make every kpx start (which loads all commands in the bundled build) pay for it.
    const {Cluster, cleanupDebugPods} = await import('../lib/cluster/index.js')
    const client = await Cluster.connect({kubeconfig: flags.kubeconfig, context: flags.context})
    const deleted = await cleanupDebugPods(client, {namespace: flags.namespace, sessionId: flags.session})
    this.log(deleted.length === 0 ? 'no kpx debug pods found' : [`deleted ${deleted.length} kpx debug pod${deleted.length === 1 ? '' : 's'}:`, ...deleted.map((p) => `  ${p}`)].join('\n'))
    return {deleted}
  }
}
