import {readFileSync} from 'node:fs'

import {expect} from 'chai'

import {captureSnapshot, imageTag, selectNodes, type CaptureFailure} from '../../../src/lib/cluster/capture.js'
import {CleanupRegistry} from '../../../src/lib/cluster/cleanup.js'
import {parseKubeProxyConfigMap} from '../../../src/lib/cluster/k8s-client.js'
import {KpxError} from '../../../src/lib/errors.js'
import type {NodeCapture} from '../../../src/lib/snapshot/types.js'
import {FakeClusterClient, type FakeNode} from './fake-cluster-client.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const rules = readFileSync(`${CORPUS_DIR}/TestNodePorts-1.rules`, 'utf8')
const IP_ADDR = '2: eth0    inet 10.0.0.9/24 brd 10.0.0.255 scope global eth0'

function healthy(name: string, extra: Partial<FakeNode> = {}): FakeNode {
  return {name, kubeProxyPod: true, commands: {'iptables-nft-save': {stdout: rules}, 'ip -o addr show': {stdout: IP_ADDR}}, ...extra}
}

const configMap = parseKubeProxyConfigMap({
  metadata: {name: 'kube-proxy', namespace: 'kube-system'},
  data: {'config.conf': 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\nclusterCIDR: 10.244.0.0/16\niptables:\n  masqueradeAll: false\n'},
})

describe('cluster/capture', () => {
  it('parses the KubeProxyConfiguration out of the ConfigMap', () => {
    expect({mode: configMap.mode, clusterCIDR: configMap.clusterCIDR, masqueradeAll: configMap.masqueradeAll}).to.deep.equal({
      mode: 'iptables',
      clusterCIDR: '10.244.0.0/16',
      masqueradeAll: false,
    })
  })

  it('captures every node through its kube-proxy pod, with meta per node', async () => {
    const client = new FakeClusterClient([healthy('a'), healthy('b')], configMap)
    const {snapshot, failures} = await captureSnapshot(client, {allNodes: true, transport: 'auto'})
    expect(failures).to.deep.equal([])
    expect(snapshot.nodes.map((n) => n.name)).to.deep.equal(['a', 'b'])
    const a = snapshot.nodes[0]
    expect(a.iptables).to.deep.equal({origin: 'live:a', text: rules})
    expect(a.addresses).to.deep.equal(['10.0.0.9'])
    expect(a.meta).to.include({transport: 'kube-proxy-exec', kubeProxyMode: 'iptables', kubeProxyVersion: 'v1.31.2', backend: 'nft'})
    expect(a.meta?.commands?.find((c) => c.argv[0] === 'iptables-nft-save')?.exitCode).to.equal(0)
    expect(snapshot.cluster?.configMaps.map((c) => c.metadata.name)).to.deep.equal(['kube-proxy'])
    expect(snapshot.cluster?.nodes).to.have.length(2)
  })

  it('one node failing never sinks the others; the failure is in failures and in the node meta', async () => {
    const client = new FakeClusterClient([healthy('a'), healthy('bad', {commands: {}}), healthy('c')])
    const progress: [number, number, string, string | undefined][] = []
    const {snapshot, failures} = await captureSnapshot(client, {
      allNodes: true,
      transport: 'kube-proxy',
      onProgress: (done, total, node, error) => progress.push([done, total, node, error?.code]),
    })
    expect(failures.map((f) => f.node)).to.deep.equal(['bad'])
    expect(failures[0].error).to.match(/no iptables-save variant could run/)
    const bad = snapshot.nodes.find((n) => n.name === 'bad')!
    expect(bad.iptables).to.equal(undefined)
    expect(bad.meta?.error).to.equal(failures[0].error)
    expect(bad.addresses).to.deep.equal(['10.0.0.2'])
    expect(snapshot.nodes.filter((n) => n.iptables).map((n) => n.name)).to.deep.equal(['a', 'c'])
    expect(progress.map((p) => p[0])).to.deep.equal([1, 2, 3])
    expect(progress.find((p) => p[2] === 'bad')?.[3]).to.equal('no-iptables-save')
  })

  it('a hanging node is cut off at the node timeout while the others finish', async () => {
    const client = new FakeClusterClient([healthy('a'), healthy('stuck', {hang: true})])
    const started = Date.now()
    const {failures, snapshot} = await captureSnapshot(client, {allNodes: true, transport: 'kube-proxy', nodeTimeoutMs: 300})
    expect(Date.now() - started).to.be.lessThan(2000)
    expect(failures).to.deep.equal([{node: 'stuck', error: 'node stuck: no answer within 300 ms', code: 'node-timeout', suggestions: ['raise --node-timeout']}])
    expect(snapshot.nodes[0].iptables?.text).to.equal(rules)
  })

  it('an exec that times out on its own at the deadline is still reported as the node timeout', async () => {
    const client = new FakeClusterClient([healthy('a'), healthy('slow', {execTimesOut: true})])
    const {failures} = await captureSnapshot(client, {allNodes: true, transport: 'kube-proxy', nodeTimeoutMs: 300})
    expect(failures.map((f) => [f.node, f.code, f.error])).to.deep.equal([['slow', 'node-timeout', 'node slow: no answer within 300 ms']])
  })

  it('keeps at most `concurrency` nodes in flight', async () => {
    const nodes = Array.from({length: 12}, (_, i) => healthy(`n${i}`, {delayMs: 5}))
    const client = new FakeClusterClient(nodes)
    await captureSnapshot(client, {allNodes: true, transport: 'kube-proxy', concurrency: 3})
    expect(client.maxInFlight).to.equal(3)
  })

  it('hands each node to onNodeRules as it arrives and drops the text with keepText: false', async () => {
    const client = new FakeClusterClient([healthy('a'), healthy('b')])
    const seen: string[] = []
    const {snapshot} = await captureSnapshot(client, {
      allNodes: true,
      transport: 'kube-proxy',
      keepText: false,
      onNodeRules(capture: NodeCapture) {
        seen.push(`${capture.name}:${capture.iptables?.text.length}`)
      },
    })
    expect(seen.sort()).to.deep.equal([`a:${rules.length}`, `b:${rules.length}`])
    expect(snapshot.nodes.every((n) => n.iptables === undefined)).to.equal(true)
  })

  describe('transport auto', () => {
    it('without allowDebugPod: a node without kube-proxy pod fails and suggests --transport debug-pod', async () => {
      const client = new FakeClusterClient([healthy('k3s', {kubeProxyPod: false})])
      const {failures} = await captureSnapshot(client, {allNodes: true, transport: 'auto'})
      expect(failures[0]).to.include({node: 'k3s', code: 'no-kube-proxy-pod'})
      expect(failures[0].suggestions?.join('\n')).to.match(/--transport debug-pod/)
      expect(client.created).to.have.length(0)
    })

    it('with allowDebugPod: falls back to a debug pod, runs the node binaries under chroot, and deletes it', async () => {
      const client = new FakeClusterClient([healthy('k3s', {kubeProxyPod: false})])
      const registry = new CleanupRegistry()
      const {snapshot, failures} = await captureSnapshot(client, {allNodes: true, transport: 'auto', allowDebugPod: true, registry, sessionId: 's1'})
      expect(failures).to.deep.equal([])
      const node = snapshot.nodes[0]
      expect(node.meta?.transport).to.equal('debug-pod')
      expect(node.meta?.warnings?.[0]).to.match(/kube-proxy exec failed \(no kube-proxy pod on node k3s/)
      expect(node.iptables?.text).to.equal(rules)
      expect(client.execLog.every((e) => e.argv[0] === 'chroot' && e.argv[1] === '/host')).to.equal(true)
      expect(client.created.map((p) => p.metadata.name)).to.deep.equal(['kpx-debug-s1-k3s'])
      // The debug pod borrows the kube-proxy image (already on every node).
      expect((client.created[0].spec.containers as {image: string}[])[0].image).to.equal('registry.k8s.io/kube-proxy:v1.31.2')
      expect(client.deleted).to.deep.equal(['kube-system/kpx-debug-s1-k3s'])
      expect(client.pods.filter((p) => p.metadata.name.startsWith('kpx-debug'))).to.deep.equal([])
      expect(registry.size).to.equal(0)
    })

    it('with allowDebugPod: an exec denied by RBAC on kube-proxy also falls back', async () => {
      const client = new FakeClusterClient([healthy('a', {execForbidden: true})])
      const {snapshot} = await captureSnapshot(client, {allNodes: true, transport: 'auto', allowDebugPod: true, debugImage: 'busybox:1.36'})
      expect(snapshot.nodes[0].meta?.transport).to.equal('debug-pod')
      expect((client.created[0].spec.containers as {image: string}[])[0].image).to.equal('busybox:1.36')
    })
  })

  describe('selectNodes', () => {
    const nodes = ['a', 'b', 'c'].map((name) => ({metadata: {name}}))
    const cases: {name: string; opts: Parameters<typeof selectNodes>[1]; want?: string[]; failures?: string[]; error?: RegExp; exit?: number}[] = [
      {name: '--node picks those nodes in the given order', opts: {nodes: ['c', 'a']}, want: ['c', 'a']},
      {name: 'an unknown --node among known ones is a failure, not an error', opts: {nodes: ['a', 'zz']}, want: ['a'], failures: ['zz']},
      {name: 'only unknown --node names: not found (exit 5)', opts: {nodes: ['zz']}, error: /node not found: zz/, exit: 5},
      {name: '--all-nodes', opts: {allNodes: true}, want: ['a', 'b', 'c']},
      {name: 'no choice with several nodes: usage error (exit 2) listing them', opts: {}, error: /3 nodes: choose with --node NAME, --all-nodes or --selector/, exit: 2},
    ]
    for (const c of cases) {
      it(c.name, () => {
        const failures: CaptureFailure[] = []
        if (c.error) {
          expect(() => selectNodes(nodes, c.opts, failures)).to.throw(KpxError, c.error).with.property('exitCode', c.exit)
          return
        }
        expect(selectNodes(nodes, c.opts, failures).map((n) => n.metadata.name)).to.deep.equal(c.want)
        expect(failures.map((f) => f.node)).to.deep.equal(c.failures ?? [])
      })
    }

    it('a single-node cluster needs no choice', () => {
      expect(selectNodes([{metadata: {name: 'solo'}}], {}, []).map((n) => n.metadata.name)).to.deep.equal(['solo'])
    })
  })

  it('imageTag reads the tag, not a registry port or digest', () => {
    expect([imageTag('registry.k8s.io/kube-proxy:v1.30.2'), imageTag('host:5000/kube-proxy'), imageTag('r/kp:v1.29.0@sha256:abc'), imageTag(undefined)]).to.deep.equal([
      'v1.30.2',
      undefined,
      'v1.29.0',
      undefined,
    ])
  })
})
