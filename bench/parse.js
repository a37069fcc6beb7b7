#!/usr/bin/env node
/**
 * Parser benchmark: generates kube-proxy-shaped dumps (1k and 10k services × 10 endpoints),
 * then parses each in a fresh child process so its peak RSS is the parser's alone, and prints
 * parse time, MB/s, rules/s and peak RSS. Uses the BUILT parser: run `npx tsc -p tsconfig.json`
 * (or `npm run build`) first.
 *
 *   node bench/parse.js [--sizes 1000,10000] [--runs 3] [--modes lazy,eager]
 * Target (issue 2): the 10k dump (~48 MB, ~430k lines) in < 0.5 s with < 500 MB peak RSS.
 * `lazy` is parseRules(text, {lazy: true}) (what trace/services/check use): every line is read
 * and the dump's structure checked, but a chain's rules are scanned when the chain is first read
 * and a rule is decoded when its matches are; so `lazy` also prints the time to then read every
 * chain's rules (what a whole-dump check pays on top). `eager` decodes every rule up front
 * (kpx rules). CPU time is printed next to wall time: on a loaded machine it is the steadier figure.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {generateKubeProxyDump} from './generate-dump.js'

const here = dirname(fileURLToPath(import.meta.url))
const TARGET_SECONDS = 0.5
const TARGET_RSS_MB = 500

async function child(file, runs, mode) {
  const {parseRules} = await import('../dist/lib/parse/index.js')
  const text = readFileSync(file, 'utf8')
  const times = []
  const cpu = []
  let dump
  for (let i = 0; i < runs; i++) {
    dump = undefined
    globalThis.gc?.()
    const start = process.hrtime.bigint()
    const cpuStart = process.cpuUsage()
    dump = parseRules(text, {lazy: mode === 'lazy'})
    times.push(Number(process.hrtime.bigint() - start) / 1e9)
    const used = process.cpuUsage(cpuStart)
    cpu.push((used.user + used.system) / 1e6)
  }
  const touchStart = process.hrtime.bigint()
  const rules = dump.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0)
  const touchAll = Number(process.hrtime.bigint() - touchStart) / 1e9
  const errors = dump.issues.filter((i) => i.severity === 'error').length
  const result = {
    bytes: Buffer.byteLength(text),
    lines: text.split('\n').length - 1,
    rules,
    errors,
    first: times[0],
    best: Math.min(...times),
    bestCpu: Math.min(...cpu),
    touchAll,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }
  process.stdout.write(JSON.stringify(result))
}

function ensureDump(services) {
  const dir = join(here, 'out')
  const file = join(dir, `kube-proxy-${services}x10.rules`)
  if (!existsSync(file)) {
    mkdirSync(dir, {recursive: true})
    writeFileSync(file, generateKubeProxyDump({services, endpointsPerService: 10, seed: 1}))
  }
  return file
}

function main(argv) {
  const arg = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback)
  if (!existsSync(join(here, '../dist/lib/parse/index.js'))) {
    console.error('bench/parse.js: build first (npx tsc -p tsconfig.json)')
    process.exit(2)
  }
  const runs = arg('--runs', '3')
  const modes = arg('--modes', 'lazy,eager').split(',')
  let ok = true
  for (const services of arg('--sizes', '1000,10000').split(',').map(Number)) {
    const file = ensureDump(services)
    for (const mode of modes) {
      const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', file, '--runs', runs, '--mode', mode], {
        maxBuffer: 1 << 20,
      })
      const r = JSON.parse(out.toString())
      const mb = r.bytes / 1e6
      console.log(
        `${services} services × 10 endpoints, ${mode}: ${mb.toFixed(1)} MB, ${r.lines} lines, ${r.rules} rules, ${r.errors} errors | ` +
          `parse ${r.best.toFixed(3)} s best of ${runs} (first ${r.first.toFixed(3)} s, CPU ${r.bestCpu.toFixed(3)} s), ${(mb / r.best).toFixed(0)} MB/s, ` +
          `${Math.round(r.rules / r.best).toLocaleString('en')} rules/s | peak RSS ${r.peakRssMb.toFixed(0)} MB` +
          (mode === 'lazy' ? ` | then reading every chain's rules: +${r.touchAll.toFixed(3)} s` : ''),
      )
      if (services >= 10000 && mode === 'lazy' && (r.first > TARGET_SECONDS || r.peakRssMb > TARGET_RSS_MB)) ok = false
    }
  }
  if (!ok) console.log(`target missed: < ${TARGET_SECONDS} s (first run) and < ${TARGET_RSS_MB} MB peak RSS for the 10k dump`)
}

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[5] ?? '1'), process.argv[7] ?? 'eager')
else main(process.argv.slice(2))
