/**
 * captureLive (src/lib/source/live.ts) in-process against the fake API server, with each ghost
 * node's rules canned (no root needed): what the command layer cannot show through a pipe —
 * the progress line on a terminal, the exit code it sets, and releasing the rules text.
 */
import {readFileSync} from 'node:fs'

import {expect} from 'chai'

import {captureLive, type LiveIo} from '../../src/lib/source/live.js'
import {type FakeApiServer, type Scenario, startFakeApiServer} from '../helpers/fake-apiserver.js'
import {GHOST_NODES, ghostRulesPath, ghostScenario} from '../helpers/fake-apiserver-scenarios.js'

function cannedGhost(faults: Scenario['faults'] = {}): Scenario {
  const execOutputs: NonNullable<Scenario['execOutputs']> = {}
  for (const node of GHOST_NODES) {
    execOutputs[`${node}:iptables-legacy-save`] = {stdout: readFileSync(ghostRulesPath(node), 'utf8')}
    execOutputs[`${node}:iptables-nft-save`] = {stdout: '', exitCode: 1}
    execOutputs[`${node}:ip6tables-legacy-save`] = {stdout: ''}
    execOutputs[`${node}:ip6tables-nft-save`] = {stdout: '', exitCode: 1}
    execOutputs[`${node}:ip -o addr show`] = {stdout: readFileSync(ghostRulesPath(node).replace('iptables-save.txt', 'addresses.txt'), 'utf8')}
  }
  return ghostScenario({execOutputs, faults})
}

function recordingIo(isTTY: boolean): LiveIo & {written: string; exitCode?: number} {
  const io = {
    written: '',
    exitCode: undefined as number | undefined,
    stderr: {isTTY, write: (text: string) => (io.written += text)},
    setExitCode: (code: number) => (io.exitCode = code),
    interrupted: () => {
      throw new Error('not interrupted in these tests')
    },
  }
  return io
}

const host = (json: boolean) => ({jsonEnabled: () => json})

describe('captureLive against the fake API server (canned node rules)', function () {
  this.timeout(30_000)
  let server: FakeApiServer
  before(async () => {
    server = await startFakeApiServer(cannedGhost())
  })
  after(() => server.close())

  const flags = () => ({kubeconfig: server.kubeconfigPath, 'all-nodes': true})

  const progressCases = [
    {name: 'draws and clears a progress line on a terminal', isTTY: true, json: false, expectBar: true},
    {name: 'draws nothing under --json', isTTY: true, json: true, expectBar: false},
    {name: 'draws nothing when stderr is not a terminal', isTTY: false, json: false, expectBar: false},
  ]
  for (const c of progressCases) {
    it(c.name, async () => {
      const io = recordingIo(c.isTTY)
      const snapshot = await captureLive(flags(), host(c.json), {}, io)
      expect(snapshot.nodes.map((n) => n.name)).to.deep.equal(['k8s-1', 'k8s-2'])
      if (c.expectBar) {
        expect(io.written).to.match(/\] 1\/2 nodes {2}k8s-[12]/)
        expect(io.written).to.match(/\[={24}\] 2\/2 nodes/)
        expect(io.written.endsWith('\r\u001B[2K'), 'the line is cleared at the end').to.equal(true)
      } else {
        expect(io.written).to.equal('')
      }
      expect(io.exitCode).to.equal(undefined)
    })
  }

  it('parses each node as it arrives and releases the text unless asked to keep it', async () => {
    const released = await captureLive(flags(), host(true), {}, recordingIo(false))
    for (const node of released.nodes) {
      expect(node.iptables?.text).to.equal('')
      expect(node.parsed?.iptables?.tables.map((t) => t.name)).to.include('nat')
    }
    const kept = await captureLive(flags(), host(true), {keepText: true}, recordingIo(false))
    expect(kept.nodes[0].iptables?.text).to.include('-A KUBE-SERVICES')
  })
})

describe('captureLive with a failing node', function () {
  this.timeout(30_000)
  let server: FakeApiServer
  before(async () => {
    server = await startFakeApiServer(cannedGhost({execFail: ['k8s-2']}))
  })
  after(() => server.close())

  it('drops the failed node, warns on stderr and sets exit code 6', async () => {
    const io = recordingIo(false)
    const snapshot = await captureLive({kubeconfig: server.kubeconfigPath, 'all-nodes': true}, host(false), {}, io)
    expect(snapshot.nodes.map((n) => n.name)).to.deep.equal(['k8s-1'])
    expect(io.exitCode).to.equal(6)
    expect(io.written).to.match(/^kpx: warning: node k8s-2: /m)
    expect(io.written).to.match(/partial result: 1 of 2 nodes could not be read/)
  })

  it('keeps it, with meta.error, for dump', async () => {
    const snapshot = await captureLive({kubeconfig: server.kubeconfigPath, 'all-nodes': true}, host(false), {keepFailedNodes: true}, recordingIo(false))
    expect(snapshot.nodes.map((n) => [n.name, Boolean(n.meta?.error)])).to.deep.equal([['k8s-1', false], ['k8s-2', true]])
  })

  it('throws a ClusterAccessError (exit 3) when the only node asked for fails', async () => {
    const io = recordingIo(false)
    const error = await captureLive({kubeconfig: server.kubeconfigPath, node: ['k8s-2']}, host(false), {}, io).then(
      () => undefined,
      (e: unknown) => e as {exitCode?: number; message: string},
    )
    expect(error?.exitCode).to.equal(3)
    expect(error?.message).to.match(/k8s-2/)
    expect(io.exitCode).to.equal(undefined)
  })
})
