import * as Flags from '@oclif/core/flags'
import {join} from 'node:path'

import {withClaimsThread} from '../lib/checks/claims-thread.js'
import {startExpectationsThread} from '../lib/checks/expectations-thread.js'
import {failsAt, listChecks, renderJUnit, runChecksWithThread, type CheckReport, type Severity} from '../lib/checks/index.js'
import {KpxCommand} from '../lib/command-base.js'
import {ExitCode} from '../lib/errors.js'
import {clusterFlags, colorFlag, liveNodeFlags, namespaceFlags, nodeFlag, sourceFlags} from '../lib/flags.js'
import {renderCheckList, renderCheckReport} from '../lib/render/check.js'
import {makeChalk} from '../lib/render/colors.js'
import {SNAPSHOT_FILES} from '../lib/snapshot/files.js'
import {captureLive} from '../lib/source/live.js'
import {loadSnapshot} from '../lib/source/load.js'
import {assertNoLateErrors, parseBothFamilies} from '../lib/source/parse-node.js'

export type CheckResult = CheckReport | {checks: ReturnType<typeof listChecks>}

export default class Check extends KpxCommand {
  static override summary = "Health-check kube-proxy's rules against the cluster: stale and missing endpoints, skewed load balancing, broken structure."
  static override description = `Runs the findings catalogue (kpx check --list) over every node's rules and the cluster objects (iptables mode): DNATs to pods that no longer back a Service, ready endpoints missing from the rules, Services without rules and rules without Services, REJECT/DROP "no endpoints" rules the API contradicts, probability cascades that are not uniform, traffic skew in the counters, broken chain structure, nodes that disagree, and more.
Exit codes: 0 when nothing is at or above --fail-on, 1 when something is, 2 for bad usage, 3 when the cluster cannot be reached, 4 when input cannot be parsed, 6 when some nodes could not be read. -o junit writes JUnit XML for CI.`
  static override examples = [
    {description: 'Check a snapshot; exit 1 on errors', command: '<%= config.bin %> <%= command.id %> --snapshot examples/stale'},
    {description: 'Fail on warnings too, JUnit for the CI system', command: '<%= config.bin %> <%= command.id %> --snapshot examples/modern --fail-on warning --output junit > kpx-junit.xml'},
    {description: 'Only the endpoint checks, one namespace', command: '<%= config.bin %> <%= command.id %> --snapshot examples/stale --only stale-endpoint --only missing-endpoint --namespace default'},
    {description: 'The catalogue', command: '<%= config.bin %> <%= command.id %> --list'},
  ]
  static override enableJsonFlag = true
  static override flags = {
    ...sourceFlags,
    node: nodeFlag,
    'all-nodes': Flags.boolean({summary: 'Check every node (the default for a snapshot).'}),
    ...namespaceFlags,
    'fail-on': Flags.option({summary: 'Exit 1 when a finding is at or above this severity.', options: ['error', 'warning', 'info'] as const, default: 'error'})(),
    output: Flags.option({char: 'o', summary: 'Output format (--json is the same as --output json).', options: ['text', 'json', 'junit'] as const, default: 'text'})(),
    only: Flags.string({summary: 'Run only this check (repeatable; IDs from --list).', multiple: true}),
    skip: Flags.string({summary: 'Skip this check (repeatable).', multiple: true}),
    list: Flags.boolean({summary: 'Print the catalogue of checks and exit.'}),
    color: colorFlag,
    selector: liveNodeFlags.selector,
    ...clusterFlags,
  }

  async run(): Promise<CheckResult> {
    const {flags} = await this.parse(Check)
    const chalk = makeChalk({flag: flags.color})
    const json = this.jsonEnabled() || flags.output === 'json'
    if (flags.list) return this.emit({checks: listChecks()}, json, () => renderCheckList(listChecks(), {chalk}))

    // The cluster side is built on a thread from cluster.json (unless kpx's start began it already).
    if (flags.snapshot) startExpectationsThread(join(flags.snapshot, SNAPSHOT_FILES.cluster))
    // hash-mismatch hashes on a worker thread, started first: it is ready once the rules are read.
    return withClaimsThread(async (thread) => {
      const snapshot = await loadSnapshot({snapshot: flags.snapshot, rules: flags.rules, nodeIps: flags['node-ip'], deferCluster: true, live: () => captureLive(flags, this)})
      const report = await runChecksWithThread(snapshot, {
        nodes: flags.node,
        only: flags.only,
        skip: flags.skip,
        namespace: flags['all-namespaces'] ? undefined : flags.namespace,
        parse: (node) => parseBothFamilies(node, flags.table),
      }, thread)
      assertNoLateErrors(snapshot.nodes) // rules are decoded lazily: a rule a check read may be bad
      return this.report(report, flags, json, chalk)
    })
  }

  private report(report: CheckReport, flags: {output: string; 'fail-on': Severity}, json: boolean, chalk: ReturnType<typeof makeChalk>): CheckReport {
    const render = flags.output === 'junit' ? () => renderJUnit(report, {failOn: flags['fail-on']}) : () => renderCheckReport(report, {chalk, failOn: flags['fail-on']})
    const failed = failsAt(report, flags['fail-on'])
    if (!failed) return this.emit(report, json, render)
    // Failing: write the report first, then exit 1 (ExitError prints nothing more).
    if (json) this.logJson(report)
    else this.log(render().replace(/\n$/, ''))
    return this.exit(ExitCode.findings)
  }

  /** --json lets oclif print the returned result; -o json prints it here; otherwise render text. */
  private emit<T extends CheckResult>(result: T, json: boolean, render: () => string): T {
    if (json && !this.jsonEnabled()) this.logJson(result)
    else if (!json) this.log(render().replace(/\n$/, ''))
    return result
  }
}
