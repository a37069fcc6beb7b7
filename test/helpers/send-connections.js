#!/usr/bin/env node
// Opens real new connections so that netfilter sees exactly one first packet per attempt.
// Run inside a network namespace (`ip netns exec NS node send-connections.js '<json>'`) by
// test/helpers/netns.ts; plain JavaScript so that it needs no TypeScript loader.
//
// One-shot: argv[2] is a request; `--serve`: one request per stdin line, one reply per stdout
// line, until stdin closes (the lab keeps one such process per namespace: Node takes ~0.3 s to
// start on a small CI machine, more than sending a thousand connections).
// Request (JSON): {targets: [{src?, dst, port, proto: 'tcp'|'udp', count, firstPort}]}
// Reply (JSON): {results: [{sent, errors: {CODE: n}}]} in target order.
//
// Why it works the way it does:
// - Every attempt binds its own source port (firstPort + i), so each one is a distinct
//   conntrack tuple and the first packet traverses the nat table; the caller flushes conntrack
//   between batches so ports can be reused.
// - TCP: the SYN leaves inside connect(2), which Node issues on the next tick; we destroy the
//   socket from setImmediate, after that tick. Closing a SYN_SENT socket sends neither FIN nor
//   RST and cancels the retransmit timer, so each attempt is exactly one packet.
// - UDP: one datagram from a fresh socket.
// - Sources that the namespace does not own work because the lab sets ip_nonlocal_bind.
import dgram from 'node:dgram'
import net from 'node:net'

const WAVE = 256 // sockets open at once: well below any fd limit

function countError(errors, err) {
  const code = (err && err.code) || 'UNKNOWN'
  errors[code] = (errors[code] || 0) + 1
}

function tcpAttempt(target, localPort, errors) {
  return new Promise((resolve) => {
    const socket = net.connect({
      host: target.dst,
      port: target.port,
      localAddress: target.src,
      localPort,
    })
    let failed = false
    socket.on('error', (err) => {
      failed = true
      countError(errors, err)
    })
    setImmediate(() => {
      socket.destroy()
      resolve(!failed)
    })
  })
}

function udpAttempt(target, localPort, errors) {
  return new Promise((resolve) => {
    const type = net.isIPv6(target.dst) ? 'udp6' : 'udp4'
    const socket = dgram.createSocket(type)
    const finish = (ok) => {
      try {
        socket.close()
      } catch {
        // already closed after an error
      }
      resolve(ok)
    }
    socket.on('error', (err) => {
      countError(errors, err)
      finish(false)
    })
    socket.bind({address: target.src, port: localPort}, () => {
      socket.send(Buffer.from('kpx'), target.port, target.dst, (err) => {
        if (err) countError(errors, err)
        finish(!err)
      })
    })
  })
}

async function sendTarget(target) {
  const errors = {}
  let sent = 0
  const attempt = target.proto === 'udp' ? udpAttempt : tcpAttempt
  for (let start = 0; start < target.count; start += WAVE) {
    const wave = []
    for (let i = start; i < Math.min(start + WAVE, target.count); i++) {
      wave.push(attempt(target, target.firstPort + i, errors))
    }
    for (const ok of await Promise.all(wave)) if (ok) sent++
  }
  return {sent, errors}
}

async function handle(line) {
  const {targets} = JSON.parse(line)
  const results = []
  for (const target of targets) results.push(await sendTarget(target))
  return JSON.stringify({results}) + '\n'
}

if (process.argv[2] === '--serve') {
  const {createInterface} = await import('node:readline')
  for await (const line of createInterface({input: process.stdin})) {
    if (line.trim()) process.stdout.write(await handle(line))
  }
} else {
  process.stdout.write(await handle(process.argv[2]))
}
