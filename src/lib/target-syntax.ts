/**
 * Syntax check of a trace TARGET, done in the flag layer so that a typo fails with the usage
 * exit code before any file or cluster is read. Resolution (does the Service exist?) happens later.
 */
import {UsageError} from './errors.js'
import {parseAddress} from './net/ip.js'

const SERVICE = /^(svc|service|services)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

export function checkTargetSyntax(target: string): void {
  if (SERVICE.test(target)) return
  if (/^(svc|service|services)\//.test(target)) throw new UsageError(`"${target}": not a valid Service name (lower-case DNS label)`)
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(target)
  const hostPort = bracketed ?? /^([^:]+)(?::(\d+))?$/.exec(target) ?? (target.includes('::') || target.split(':').length > 2 ? [target, target, undefined] : null)
  if (!hostPort) throw new UsageError(`"${target}": expected svc/NAME, IP:PORT, [IPv6]:PORT or IP`)
  const [, host, port] = hostPort
  try {
    parseAddress(host)
  } catch {
    throw new UsageError(`"${target}": "${host}" is not an IP address (expected svc/NAME, IP:PORT, [IPv6]:PORT or IP)`)
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new UsageError(`"${target}": port ${port} is out of range 1-65535`)
}
