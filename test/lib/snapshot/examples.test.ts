/**
 * Every shipped example reads as a snapshot with the nodes, addresses and objects its README
 * describes, and its cluster.json is a List kubectl itself can read.
 */
import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {endpointChainName} from '../../../src/lib/kube-proxy/names.js'
import {indexCluster} from '../../../src/lib/snapshot/cluster-index.js'
import {readSnapshot} from '../../../src/lib/snapshot/read.js'

const EXAMPLES = join(import.meta.dirname, '../../../examples')

interface Expectation {
  nodes: Record<string, string[]>
  counts: {nodes: number; services: number; endpointSlices: number; pods: number}
  /** Strings that must appear in every node's iptables-save.txt. */
  everywhere: string[]
}

const expected: Record<string, Expectation> = {
  ghost: {
    nodes: {
      'k8s-1': ['127.0.0.1', '::1', '192.168.64.35', '10.32.0.1'],
      'k8s-2': ['127.0.0.1', '::1', '192.168.64.36', '10.44.0.0'],
    },
    counts: {nodes: 2, services: 3, endpointSlices: 3, pods: 4},
    everywhere: [
      '-A KUBE-SERVICES ! -s 10.32.0.0/12 -d 10.98.141.188/32 -p tcp -m comment --comment "default/ghost cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
      '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/ghost" -m tcp --dport 30966 -j KUBE-SVC-4XJR4EADNBDQKTKS',
      '--probability 0.50000000000 -j KUBE-SEP-7I5NH52DVZSA3QHP',
      '-j DNAT --to-destination 10.44.0.4:2368',
      ':KUBE-SEP-PSCUKR75WU2ULAEX - [0:0]',
      '-j MASQUERADE --random-fully',
    ],
  },
  nginx: {
    nodes: {hjdevelop: ['127.0.0.1', '::1', '192.168.0.11', '172.17.0.1']},
    counts: {nodes: 1, services: 2, endpointSlices: 2, pods: 3},
    everywhere: [
      '-m comment --comment "default/nginx-service-nodeport:" -m statistic --mode random --probability 0.33332999982 -j KUBE-SEP-MMWJ6M2J72TU3J64',
      '--probability 0.50000000000 -j KUBE-SEP-GRLEVIWNO4P37GSQ',
      '-A KUBE-SVC-I64SNEMOLCWHJHS3 -m comment --comment "default/nginx-service-nodeport:" -j KUBE-SEP-74XRUOWV76LDS3ID',
      '--dport 32110',
      '-d 10.254.198.92/32',
    ],
  },
  modern: {
    nodes: {
      'node-a': ['127.0.0.1', '::1', '10.0.1.11', '10.244.0.1'],
      'node-b': ['127.0.0.1', '::1', '10.0.1.12', '10.244.1.1'],
      'node-c': ['127.0.0.1', '::1', '10.0.1.13', '10.244.2.1'],
    },
    counts: {nodes: 3, services: 6, endpointSlices: 6, pods: 9},
    everywhere: [
      ':KUBE-EXT-',
      '-j KUBE-FW-',
      'KUBE-PROXY-FIREWALL',
      '--probability 0.33333333349',
      '"shop/legacy-api:http has no endpoints"',
      '-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-',
      '-p udp -m comment --comment "kube-system/kube-dns:dns cluster IP"',
    ],
  },
  stale: {
    nodes: {'stale-1': ['127.0.0.1', '::1', '10.0.2.11', '10.244.0.1'], 'stale-2': ['127.0.0.1', '::1', '10.0.2.12', '10.244.1.1']},
    counts: {nodes: 2, services: 3, endpointSlices: 3, pods: 5},
    everywhere: ['-j DNAT --to-destination 10.244.1.6:8080'],
  },
}

describe('shipped examples', () => {
  it('covers every example directory', () => {
    const dirs = readdirSync(EXAMPLES, {withFileTypes: true}).filter((d) => d.isDirectory() && !d.name.startsWith('_'))
    expect(dirs.map((d) => d.name).sort()).to.deep.equal(Object.keys(expected).sort())
  })

  for (const [name, want] of Object.entries(expected)) {
    describe(name, () => {
      it('reads with its nodes, addresses and cluster objects', async () => {
        const snapshot = await readSnapshot(join(EXAMPLES, name))
        expect(snapshot.nodes.map((n) => n.name)).to.deep.equal(Object.keys(want.nodes))
        for (const node of snapshot.nodes) {
          expect(node.addresses, node.name).to.deep.equal(want.nodes[node.name])
          expect(node.iptables?.origin).to.equal(join(EXAMPLES, name, 'nodes', node.name, 'iptables-save.txt'))
          expect(node.meta?.kubeProxyMode).to.equal('iptables')
          for (const text of want.everywhere) expect(node.iptables?.text, `${node.name}: ${text}`).to.include(text)
        }
        const c = snapshot.cluster!
        expect({nodes: c.nodes.length, services: c.services.length, endpointSlices: c.endpointSlices.length, pods: c.pods.length}).to.deep.equal(want.counts)
      })

      it('has an endpoint chain for every ready endpoint of the API (except the faults `stale` holds)', async () => {
        const snapshot = await readSnapshot(join(EXAMPLES, name))
        const missing = missingEndpointChains(snapshot.cluster!, snapshot.nodes.map((n) => n.iptables!.text).join('\n'), name === 'nginx')
        expect(missing).to.deep.equal(name === 'stale' ? ['default/api:http -> 10.244.0.6:8080'] : [])
      })

      it('has a README saying what it shows and which kpx commands to try', async () => {
        const {readFile} = await import('node:fs/promises')
        const readme = await readFile(join(EXAMPLES, name, 'README.md'), 'utf8')
        expect(readme).to.match(/kpx \w+/)
      })
    })
  }

  it('ghost: every endpoint resolves to its pod and node', async () => {
    const snapshot = await readSnapshot(join(EXAMPLES, 'ghost'))
    const index = indexCluster(snapshot.cluster!)
    const slices = index.endpointSlices('default', 'ghost')
    expect(slices).to.have.length(1)
    const pods = slices[0].endpoints!.map((ep) => index.podByIP(ep.addresses[0])!)
    expect(pods.map((p) => [p.metadata.name.startsWith('ghost-'), p.spec?.nodeName])).to.deep.equal([[true, 'k8s-2'], [true, 'k8s-2']])
    expect(index.nodeByAddress('192.168.64.36')?.metadata.name).to.equal('k8s-2')
  })

  it('stale: the API no longer has the pod whose SEP is still in the rules', async () => {
    const snapshot = await readSnapshot(join(EXAMPLES, 'stale'))
    const index = indexCluster(snapshot.cluster!)
    expect(index.podByIP('10.244.1.6')).to.equal(undefined)
    expect(snapshot.nodes[0].iptables!.text).to.include('--probability 0.89999999991')
    expect(snapshot.nodes[1].iptables!.text).not.to.include('--probability 0.89999999991')
  })

  describe('cluster.json is readable by kubectl', function () {
    this.timeout(60_000)
    for (const name of Object.keys(expected)) {
      it(name, async function () {
        // `kubectl create --dry-run=client` needs an API server for discovery; `label --local`
        // decodes the file entirely offline, which is what we want to prove.
        const file = join(EXAMPLES, name, 'cluster.json')
        let stdout: string
        try {
          ;({stdout} = await promisify(execFile)('kubectl', ['label', '--local', '-f', file, '-o', 'name', 'kpx.dev/probe=1'], {timeout: 30_000}))
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            console.warn('    SKIPPED: kubectl is not installed')
            this.skip()
          }
          throw error
        }
        const snapshot = await readSnapshot(join(EXAMPLES, name))
        const c = snapshot.cluster!
        const names = [
          ...c.nodes.map((o) => `node/${o.metadata.name}`),
          ...c.services.map((o) => `service/${o.metadata.name}`),
          ...c.endpointSlices.map((o) => `endpointslice.discovery.k8s.io/${o.metadata.name}`),
          ...c.pods.map((o) => `pod/${o.metadata.name}`),
        ]
        expect(stdout.trim().split('\n')).to.deep.equal(names)
      })
    }
  })
})

/** `svcPort -> ip:port` for each ready API endpoint whose KUBE-SEP chain is in none of the rules. */
function missingEndpointChains(cluster: NonNullable<Awaited<ReturnType<typeof readSnapshot>>['cluster']>, rules: string, colonForUnnamed: boolean): string[] {
  const index = indexCluster(cluster)
  const missing: string[] = []
  for (const svc of cluster.services) {
    for (const port of svc.spec.ports ?? []) {
      const base = port.name ? `${svc.metadata.namespace}/${svc.metadata.name}:${port.name}` : `${svc.metadata.namespace}/${svc.metadata.name}`
      const spn = colonForUnnamed && !port.name ? base + ':' : base
      for (const slice of index.endpointSlices(svc.metadata.namespace!, svc.metadata.name)) {
        const slicePort = slice.ports?.find((p) => (p.name ?? '') === (port.name ?? ''))
        for (const ep of slice.endpoints ?? []) {
          if (ep.conditions?.ready === false) continue
          const target = `${ep.addresses[0]}:${slicePort?.port}`
          if (!rules.includes(`:${endpointChainName(spn, port.protocol ?? 'TCP', target)} `)) missing.push(`${spn} -> ${target}`)
        }
      }
    }
  }
  return missing
}
