/**
 * The ghost example as a live two-node cluster: one network namespace per node holding that
 * node's rules (examples/ghost/nodes/<node>/iptables-save.txt, iptables-legacy as kube-proxy
 * 1.20 wrote them) and its interfaces and addresses (addresses.txt), plus the fake API server
 * serving examples/ghost/cluster.json with exec mapped into those namespaces. What kpx reads
 * live is therefore what the kernel holds, and should equal the offline example.
 */
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {promisify} from 'node:util'

import {type FakeApiServer, type Scenario, startFakeApiServer} from '../../helpers/fake-apiserver.js'
import {GHOST_NODES, ghostRulesPath, ghostScenario} from '../../helpers/fake-apiserver-scenarios.js'
import {REPO} from './kpx-process.js'

const run = promisify(execFile)

export type GhostNode = (typeof GHOST_NODES)[number]

export interface GhostLab {
  server: FakeApiServer
  namespaces: Record<GhostNode, string>
  close(): Promise<void>
}

/** `2: eth0    inet 192.168.64.35/24 ...` lines of addresses.txt → interface and CIDR (lo skipped). */
export function exampleInterfaces(node: GhostNode): {name: string; cidr: string}[] {
  const text = readFileSync(`${REPO}examples/ghost/nodes/${node}/addresses.txt`, 'utf8')
  return [...text.matchAll(/^\d+:\s+(\S+)\s+inet\s+(\S+)/gm)].filter((m) => m[1] !== 'lo').map((m) => ({name: m[1], cidr: m[2]}))
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args)
}

/**
 * Interfaces are ifb devices: always available (unlike `dummy` on some CI kernels) and they
 * carry addresses like any link. No IPv6 link-local address, so `ip -o addr` lists exactly
 * what the example's addresses.txt lists.
 */
async function buildNode(ns: string, node: GhostNode): Promise<void> {
  await ip('netns', 'add', ns)
  await ip('-n', ns, 'link', 'set', 'lo', 'up')
  for (const iface of exampleInterfaces(node)) {
    await ip('-n', ns, 'link', 'add', iface.name, 'type', 'ifb')
    await ip('-n', ns, 'link', 'set', iface.name, 'addrgenmode', 'none')
    await ip('-n', ns, 'addr', 'add', iface.cidr, 'dev', iface.name)
    await ip('-n', ns, 'link', 'set', iface.name, 'up')
  }
  await loadRules(ns, readFileSync(ghostRulesPath(node), 'utf8'))
}

export async function loadRules(ns: string, text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile('ip', ['netns', 'exec', ns, 'iptables-legacy-restore'], (error) => (error ? reject(error) : resolve()))
    child.stdin?.end(text)
  })
}

let labs = 0

/**
 * Builds the namespaces (named `${prefix}<pid>-<n>-<node>`) and starts the server; on any
 * failure removes what was made. `edit` may change the scenario (faults, removed objects).
 */
export async function startGhostLab(prefix: string, edit: (scenario: Scenario) => Scenario = (s) => s): Promise<GhostLab> {
  const id = `${process.pid.toString(36)}${labs++}`
  const namespaces = Object.fromEntries(GHOST_NODES.map((node) => [node, `${prefix}${id}-${node}`])) as Record<GhostNode, string>
  const removeNamespaces = async () => {
    for (const ns of Object.values(namespaces)) await run('ip', ['netns', 'delete', ns]).catch(() => undefined)
  }
  try {
    for (const node of GHOST_NODES) await buildNode(namespaces[node], node)
    const server = await startFakeApiServer(edit(ghostScenario({nodeNamespaces: namespaces})))
    return {
      server,
      namespaces,
      async close() {
        await server.close()
        await removeNamespaces()
      },
    }
  } catch (error) {
    await removeNamespaces()
    throw error
  }
}
