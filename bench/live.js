#!/usr/bin/env node
/**
 * Live capture at scale (issue 5): a 200-node fake cluster served by the fake API server
 * (test/helpers/fake-apiserver.ts, loaded through tsx), each node's rules canned via
 * execOutputs (200 network namespaces would measure `ip netns`, not kpx). Runs the BUILT
 * `kpx check --all-nodes` against it as a child process and reports:
 * - wall time to fetch and check every node (and the fetch alone, via `kpx dump`);
 * - the child's peak RSS (VmHWM from /proc, polled), to show that dumps are parsed as they
 *   arrive and their text released rather than all held at once.
 *
 *   node bench/live.js [--nodes 200] [--services 200] [--concurrency 16]
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {register} from 'tsx/esm/api'

import {ensureSnapshot, NODE_IP} from './snapshot.js'

register()
const {startFakeApiServer} = await import('../test/helpers/fake-apiserver.ts')

const here = dirname(fileURLToPath(import.meta.url))
const bin = join(here, '..', 'bin', 'run.js')

/** Nodes node-1..N, a kube-proxy pod on each, and canned answers for every command kpx runs there. */
function buildScenario(nodes, rulesText, clusterItems) {
  const objects = clusterItems.filter((o) => o.kind !== 'Node')
  const execOutputs = {}
  for (let i = 1; i <= nodes; i++) {
    const name = `node-${i}`
    const ip = `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`
    objects.push({apiVersion: 'v1', kind: 'Node', metadata: {name, labels: {'kubernetes.io/hostname': name}}, status: {addresses: [{type: 'InternalIP', address: ip}], nodeInfo: {kubeProxyVersion: 'v1.31.0'}}})
    objects.push({
      apiVersion: 'v1', kind: 'Pod',
      metadata: {name: `kube-proxy-${i}`, namespace: 'kube-system', labels: {'k8s-app': 'kube-proxy'}},
      spec: {nodeName: name, hostNetwork: true, containers: [{name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.31.0'}]},
      status: {phase: 'Running', podIP: ip, conditions: [{type: 'Ready', status: 'True'}]},
    })
    // Same text object for every node: the server's memory must not be what is measured.
    execOutputs[`${name}:iptables-legacy-save`] = {stdout: '', exitCode: 0}
    execOutputs[`${name}:iptables-nft-save`] = {stdout: rulesText}
    execOutputs[`${name}:ip6tables-legacy-save`] = {stdout: ''}
    execOutputs[`${name}:ip6tables-nft-save`] = {stdout: ''}
    execOutputs[`${name}:ip -o addr show`] = {stdout: `1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet ${ip}/16 scope global eth0\n3: eth0    inet ${NODE_IP}/32 scope global eth0\n`}
  }
  return {objects, execOutputs}
}

/** Runs kpx asynchronously (the server lives in this process) and samples its peak RSS. */
function timeKpx(args) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, [bin, ...args], {stdio: ['ignore', 'pipe', 'pipe']})
    let peakKb = 0
    let stdout = ''
    let stderr = ''
    const sample = () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(safeRead(`/proc/${child.pid}/status`))
      if (m) peakKb = Math.max(peakKb, Number(m[1]))
    }
    const timer = setInterval(sample, 20)
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', () => sample())
    child.on('close', (code) => {
      clearInterval(timer)
      resolve({seconds: Number(process.hrtime.bigint() - start) / 1e9, peakMb: peakKb / 1024, code, stdout, stderr})
    })
  })
}

function safeRead(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

async function main(argv) {
  const arg = (name, fallback) => Number(argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback)
  const nodes = arg('--nodes', 200)
  const services = arg('--services', 200)
  const concurrency = arg('--concurrency', 16)
  const snapshotDir = ensureSnapshot(join(here, 'out'), services)
  const rulesText = readFileSync(join(snapshotDir, 'nodes', 'node-1', 'iptables-save.txt'), 'utf8')
  const clusterItems = JSON.parse(readFileSync(join(snapshotDir, 'cluster.json'), 'utf8')).items
  const server = await startFakeApiServer(buildScenario(nodes, rulesText, clusterItems))
  const out = mkdtempSync(join(tmpdir(), 'kpx-bench-live-'))
  try {
    const live = ['--kubeconfig', server.kubeconfigPath, '--all-nodes', '--concurrency', String(concurrency), '--json']
    const sizeMb = (rulesText.length / 1024 / 1024).toFixed(2)
    console.log(`${nodes} nodes x ${services} services (${rulesText.split('\n').length} rules lines, ${sizeMb} MB per node, ${(rulesText.length * nodes / 1024 / 1024).toFixed(0)} MB in all), concurrency ${concurrency}`)
    const check = await timeKpx(['check', ...live])
    const report = check.code === 0 || check.code === 1 ? JSON.parse(check.stdout) : undefined
    console.log(`kpx check --all-nodes: ${check.seconds.toFixed(2)} s, peak RSS ${check.peakMb.toFixed(0)} MB, exit ${check.code}, ${report?.nodes.length ?? '?'} nodes checked, ${report?.findings.length ?? '?'} findings (${[...new Set(report?.findings.map((f) => f.id))].join(', ')})${check.code > 1 ? `\n${check.stderr}` : ''}`)
    const dump = await timeKpx(['dump', '--output', join(out, 'snap'), ...live])
    console.log(`kpx dump --all-nodes (fetch + write, text kept): ${dump.seconds.toFixed(2)} s, peak RSS ${dump.peakMb.toFixed(0)} MB, exit ${dump.code}${dump.code !== 0 ? `\n${dump.stderr}` : ''}`)
    const execs = server.requests.filter((r) => r.path.endsWith('/exec')).length
    console.log(`API requests: ${server.requests.length} (${execs} exec sessions)`)
  } finally {
    await server.close()
    rmSync(out, {recursive: true, force: true})
  }
}

await main(process.argv.slice(2))
