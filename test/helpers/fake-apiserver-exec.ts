/**
 * The exec subresource over WebSocket, as the kubelet serves it behind kube-apiserver
 * (k8s.io/apimachinery/pkg/util/remotecommand, apiserver/pkg/util/wsstream):
 *  - binary protocols v5.channel.k8s.io and v4.channel.k8s.io: every frame starts with a channel
 *    byte — 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status JSON when the command ends),
 *    4 resize; v5 adds 255 "close this channel" sent by the client (e.g. end of stdin);
 *  - text protocol v4.base64.channel.k8s.io: the channel is an ASCII digit, the payload base64.
 * The pre-v4 protocols (channel.k8s.io, base64.channel.k8s.io, v2, v3) are not offered: their error
 * channel carries plain text rather than a Status, and every current client offers v4 or v5.
 * The command runs inside the network namespace standing for the pod's node.
 */
import {spawn} from 'node:child_process'
import type {Duplex} from 'node:stream'

import {WebSocket, WebSocketServer} from 'ws'

import {execInternalError, execNonZeroExit, execSuccess} from './fake-apiserver-status.js'

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io']

const STDIN = 0
const STDOUT = 1
const STDERR = 2
const ERROR = 3
const CLOSE = 255

export interface ExecPlan {
  argv: string[]
  nodeName?: string
  /** Network namespace to run in; when absent the canned output (or an exec error) is used. */
  netns?: string
  canned?: {stdout: string; stderr?: string; exitCode?: number}
  hang?: boolean
  fail?: boolean
  stdin: boolean
}

/** Picks the first protocol the client offers that the fake speaks, as wsstream does. */
export function chooseProtocol(offered: Set<string>): string | false {
  for (const p of offered) if (EXEC_PROTOCOLS.includes(p)) return p
  return false
}

function channelWriter(ws: WebSocket): (channel: number, data: Buffer | string) => void {
  const base64 = ws.protocol.includes('base64')
  return (channel, data) => {
    if (ws.readyState !== WebSocket.OPEN) return
    const payload = Buffer.isBuffer(data) ? data : Buffer.from(data)
    if (base64) ws.send(String(channel) + payload.toString('base64'))
    else ws.send(Buffer.concat([Buffer.from([channel]), payload]))
  }
}

/**
 * The ip-netns form of the node's host. A node-debug pod runs `chroot /host CMD` with the host's
 * root mounted at /host; in the lab the host root *is* this machine's root, so drop the chroot.
 */
function hostArgv(argv: string[]): string[] {
  return argv[0] === 'chroot' && argv[1] === '/host' ? argv.slice(2) : argv
}

function finish(ws: WebSocket, write: ReturnType<typeof channelWriter>, argv: string[], exitCode: number): void {
  write(ERROR, JSON.stringify(exitCode === 0 ? execSuccess() : execNonZeroExit(argv, exitCode)))
  ws.close(1000)
}

function runInNetns(ws: WebSocket, plan: ExecPlan & {netns: string}, write: ReturnType<typeof channelWriter>): void {
  const child = spawn('ip', ['netns', 'exec', plan.netns, ...hostArgv(plan.argv)], {stdio: ['pipe', 'pipe', 'pipe']})
  if (!plan.stdin) child.stdin.end()
  child.stdout.on('data', (chunk: Buffer) => write(STDOUT, chunk))
  child.stderr.on('data', (chunk: Buffer) => write(STDERR, chunk))
  child.on('error', (err) => {
    write(ERROR, JSON.stringify(execInternalError(err.message)))
    ws.close(1000)
  })
  child.on('close', (code, signal) => finish(ws, write, plan.argv, code ?? (signal ? 137 : 1)))
  ws.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const frame = isBinary ? data : Buffer.from(data.toString().slice(1), 'base64')
    const channel = isBinary ? data[0] : Number(data.toString()[0])
    if (channel === STDIN && plan.stdin) child.stdin.write(isBinary ? frame.subarray(1) : frame)
    if (channel === CLOSE && frame[isBinary ? 1 : 0] === STDIN) child.stdin.end()
  })
}

function runCanned(ws: WebSocket, plan: ExecPlan, write: ReturnType<typeof channelWriter>): void {
  if (!plan.canned) {
    // What containerd reports for a binary missing from the image.
    const cause = `failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: exec: "${plan.argv[0]}": executable file not found in $PATH: unknown`
    write(ERROR, JSON.stringify(execInternalError(cause)))
    ws.close(1000)
    return
  }
  if (plan.canned.stdout) write(STDOUT, plan.canned.stdout)
  if (plan.canned.stderr) write(STDERR, plan.canned.stderr)
  finish(ws, write, plan.argv, plan.canned.exitCode ?? 0)
}

/** Serves one exec session on an accepted WebSocket. */
export function serveExec(ws: WebSocket, plan: ExecPlan): void {
  const write = channelWriter(ws)
  if (plan.hang) return // never answers; the client's timeout (or close()) ends it
  if (plan.fail) {
    write(STDERR, `fake-apiserver: exec failure injected for node ${plan.nodeName}\n`)
    finish(ws, write, plan.argv, 1)
    return
  }
  if (plan.netns) runInNetns(ws, {...plan, netns: plan.netns}, write)
  else runCanned(ws, plan, write)
}

export function createExecServer(): WebSocketServer {
  return new WebSocketServer({noServer: true, handleProtocols: (offered) => chooseProtocol(offered)})
}

export function upgradeToExec(wss: WebSocketServer, req: import('node:http').IncomingMessage, socket: Duplex, head: Buffer, plan: ExecPlan): void {
  wss.handleUpgrade(req, socket, head, (ws) => serveExec(ws, plan))
}
