#!/usr/bin/env node
/**
 * End-to-end command benchmarks on the 10k-service snapshot (issue 3 and 4 targets):
 * - `kpx trace` as a whole process, start to answer (target < 0.7 s);
 * - a trace alone with the rules already parsed (target < 10 ms);
 * - `kpx check` as a whole process over the dump and a matching cluster.json (target < 2 s).
 * Uses the BUILT CLI (`npm run build` first). Wall-clock medians over --runs runs.
 *
 *   node bench/commands.js [--services 10000] [--runs 5]
 */
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {ensureSnapshot, NODE_IP} from './snapshot.js'

const here = dirname(fileURLToPath(import.meta.url))
const bin = join(here, '..', 'bin', 'run.js')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function timeProcess(args, runs) {
  const times = []
  let last
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    last = spawnSync(process.execPath, [bin, ...args], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})
    times.push(Number(process.hrtime.bigint() - start) / 1e9)
  }
  return {median: median(times), best: Math.min(...times), status: last.status, stderr: last.stderr}
}

async function traceInProcess(dir, runs) {
  const {parseRules} = await import('../dist/lib/parse/index.js')
  const {evaluatePacket} = await import('../dist/lib/trace/index.js')
  const dump = parseRules(readFileSync(join(dir, 'nodes', 'node-1', 'iptables-save.txt'), 'utf8'))
  // The last Service's cluster IP sits at the end of KUBE-SERVICES: the worst case for a scan.
  const lastIp = /-A KUBE-SERVICES -d (\S+)\/32[^\n]*cluster IP[^\n]*\n(?![\s\S]*cluster IP")/.exec(readFileSync(join(dir, 'nodes', 'node-1', 'iptables-save.txt'), 'utf8'))?.[1]
  const packet = {src: '10.99.0.1', dst: lastIp ?? '172.0.0.1', proto: 'tcp', dport: 80}
  const times = []
  let outcomes = 0
  for (let i = 0; i < runs * 20; i++) {
    const start = process.hrtime.bigint()
    outcomes = evaluatePacket(dump, packet, {localAddresses: [NODE_IP]}).outcomes.length
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return {medianMs: median(times), outcomes, dst: packet.dst}
}

/**
 * This VM's speed drifts by 1.5-2x over minutes (other guests). Two yardsticks printed next to
 * the figures, so runs taken at different times can be compared: a bare Node start, and a fixed
 * amount of string and object work in this process.
 */
function printCalibration(runs) {
  const start = timeProcessArgs(['-e', '0'], runs)
  const loops = []
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint()
    const seen = new Map()
    for (let k = 0; k < 100_000; k++) seen.set(`KUBE-SEP-${(k * 2654435761) % 1e9}`, {k})
    loops.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  console.log(`calibration: node start median ${(start.median * 1000).toFixed(0)} ms, reference work median ${median(loops).toFixed(0)} ms; compare figures only between runs whose yardsticks agree`)
}

function timeProcessArgs(args, runs) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    spawnSync(process.execPath, args)
    times.push(Number(process.hrtime.bigint() - start) / 1e9)
  }
  return {median: median(times)}
}

async function main(argv) {
  const arg = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback)
  const services = Number(arg('--services', '10000'))
  const runs = Number(arg('--runs', '5'))
  const dir = ensureSnapshot(join(here, 'out'), services)
  printCalibration(runs)

  const trace = timeProcess(['trace', '172.0.0.1:80', '--snapshot', dir, '--json'], runs)
  console.log(`kpx trace process (${services} services): median ${trace.median.toFixed(3)} s, best ${trace.best.toFixed(3)} s, exit ${trace.status}  [target < 0.7 s]`)
  const inProcess = await traceInProcess(dir, runs)
  console.log(`trace only, rules parsed (dst ${inProcess.dst}, ${inProcess.outcomes} outcomes): median ${inProcess.medianMs.toFixed(2)} ms  [target < 10 ms]`)
  const check = timeProcess(['check', '--snapshot', dir, '--json'], Math.max(1, Math.min(runs, 3)))
  console.log(`kpx check process (${services} services + cluster.json): median ${check.median.toFixed(3)} s, best ${check.best.toFixed(3)} s, exit ${check.status}  [target < 2 s]`)
  if (trace.status !== 0 || check.status !== 0) console.log(`stderr: ${trace.stderr || check.stderr}`)
}

await main(process.argv.slice(2))
