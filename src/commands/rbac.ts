import * as Flags from '@oclif/core/flags'

// rbac.js itself, not cluster/index.js: that would load the Kubernetes client at start-up.
import {rbacManifest, type RbacOptions} from '../lib/cluster/rbac.js'
import {KpxCommand} from '../lib/command-base.js'
import {usageCheck} from '../lib/flags.js'

export interface RbacResult {
  transport: 'kube-proxy' | 'debug-pod' | 'all'
  /** The YAML documents, separated by `---`. */
  manifest: string
}

export default class Rbac extends KpxCommand {
  static override summary = 'Print the least-privilege RBAC (ClusterRole, Role and bindings) kpx needs, as YAML.'
  static override description = `Reads are cluster-wide (nodes, services, pods, endpointslices: a node's rules cover every namespace). The powerful verbs sit in namespaced Roles: exec into the kube-proxy pods (--transport kube-proxy), or create and delete kpx's privileged debug pods (--transport debug-pod). --transport all grants both, for --transport auto with --allow-debug-pod.
Review the output, set the subject, then apply it: kpx rbac | kubectl apply -f -`
  static override examples = [
    {description: 'The RBAC for exec into kube-proxy, bound to a group', command: '<%= config.bin %> <%= command.id %> --transport kube-proxy --group oncall'},
    {description: 'Everything, for a service account used by CI', command: '<%= config.bin %> <%= command.id %> --transport all --service-account ci/kpx'},
  ]
  static override enableJsonFlag = true
  static override flags = {
    transport: Flags.option({summary: 'The transport to grant: exec into kube-proxy, debug pods, or both.', options: ['kube-proxy', 'debug-pod', 'all'] as const, default: 'all'})(),
    name: Flags.string({summary: 'Name of the roles and bindings.', default: 'kpx'}),
    group: Flags.string({summary: 'Bind to this group (default: a group named kpx-users).', exclusive: ['user', 'service-account']}),
    user: Flags.string({summary: 'Bind to this user.', exclusive: ['group', 'service-account']}),
    'service-account': Flags.string({
      summary: 'Bind to this service account, as NAMESPACE/NAME.',
      exclusive: ['group', 'user'],
      parse: async (input) => usageCheck(() => splitServiceAccount(input), input),
    }),
    'kube-proxy-namespace': Flags.string({summary: 'Namespace of the kube-proxy pods (and of the debug pods).', default: 'kube-system'}),
  }

  async run(): Promise<RbacResult> {
    const {flags} = await this.parse(Rbac)
    const opts: RbacOptions = {name: flags.name, kubeProxyNamespace: flags['kube-proxy-namespace'], subject: subjectOf(flags)}
    const manifest = rbacManifest(flags.transport === 'all' ? 'auto' : flags.transport, opts)
    this.log(manifest.replace(/\n$/, ''))
    return {transport: flags.transport, manifest}
  }
}

function splitServiceAccount(value: string): {namespace: string; name: string} {
  const match = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(value)
  if (!match) throw new Error(`--service-account ${value}: expected NAMESPACE/NAME`)
  return {namespace: match[1], name: match[2]}
}

function subjectOf(flags: {group?: string; user?: string; 'service-account'?: string}): RbacOptions['subject'] {
  if (flags.user) return {kind: 'User', name: flags.user}
  if (flags['service-account']) return {kind: 'ServiceAccount', ...splitServiceAccount(flags['service-account'])}
  return flags.group ? {kind: 'Group', name: flags.group} : undefined
}
