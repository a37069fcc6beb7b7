/**
 * kube-proxy's rule comments, every form written since 1.20:
 *   "ns/svc:port cluster IP"          "ns/svc:port external IP"      "ns/svc:port loadbalancer IP"
 *   "ns/svc:port -> 10.0.0.1:80"      "ns/svc:port"                  "ns/svc:" (older, unnamed port)
 *   "ns/svc:port has no endpoints"    "ns/svc:port has no local endpoints"
 *   "ns/svc:port health check node port"
 *   "masquerade traffic for ns/svc:port external destinations", "Balancing rule 0 for ns/svc:", ...
 * The service port name is the first word shaped `namespace/name[:port]`.
 */

export type CommentRole =
  | 'cluster-ip'
  | 'external-ip'
  | 'loadbalancer-ip'
  | 'endpoint'
  | 'no-endpoints'
  | 'no-local-endpoints'
  | 'health-check'
  | 'other'

export interface CommentRef {
  namespace: string
  name: string
  /** '' for an unnamed port (written `ns/svc` or, by older versions, `ns/svc:`). */
  portName: string
  /** kube-proxy's servicePortName as this version wrote it (`ns/svc`, `ns/svc:` or `ns/svc:port`). */
  written: string
  role: CommentRole
  /** For `-> ip:port` comments: the endpoint. */
  endpoint?: string
}

// DNS-1123 labels/subdomains for namespace and name; IANA_SVC_NAME-ish for the port.
const SERVICE_PORT = /(?:^|\s)([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)\/([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)(:[a-z0-9-]*)?(?=\s|$)/

const ROLES: [RegExp, CommentRole][] = [
  [/ cluster IP$/, 'cluster-ip'],
  [/ external IP$/, 'external-ip'],
  [/ loadbalancer IP$/, 'loadbalancer-ip'],
  [/ has no local endpoints$/, 'no-local-endpoints'],
  [/ has no endpoints$/, 'no-endpoints'],
  [/ health check node port$/, 'health-check'],
]

/** The service port a comment names, with what the rule is for; null for other comments. */
export function parseServiceComment(comment: string | undefined): CommentRef | null {
  if (!comment) return null
  const m = SERVICE_PORT.exec(comment)
  if (!m) return null
  const [, namespace, name, port] = m
  const written = `${namespace}/${name}${port ?? ''}`
  const ref: CommentRef = {namespace, name, portName: port ? port.slice(1) : '', written, role: 'other'}
  const arrow = / -> (\S+)$/.exec(comment)
  if (arrow && comment.startsWith(written)) return {...ref, role: 'endpoint', endpoint: arrow[1]}
  if (comment === written) return ref
  for (const [pattern, role] of ROLES) {
    if (comment.startsWith(written) && pattern.test(comment)) return {...ref, role}
  }
  return ref
}

/**
 * Just the service port key a comment names (what servicePortKey(parseServiceComment(c)) gives),
 * without the role: `kpx check` asks this of a comment of every per-service chain (10^5), so the
 * words are read in place (servicePortKeyByRegExp is the same reading by SERVICE_PORT, the
 * reference the tests hold this to). The key is a slice of the comment, which hashes without
 * being copied (a concatenation would be copied to be hashed).
 */
export function servicePortKeyOf(comment: string | undefined): string | undefined {
  if (!comment) return undefined
  for (let start = 0; start < comment.length; start++) {
    // A word starts at 0 or after a whitespace character (the regexp's `(?:^|\s)`).
    if (start > 0 && !isWhitespace(comment.charCodeAt(start - 1))) continue
    const key = servicePortKeyAt(comment, start)
    if (key !== undefined) return key
  }
  return undefined
}

/** `ns/name[:port]` exactly from `start` up to whitespace or the end, as the key; else undefined. */
function servicePortKeyAt(comment: string, start: number): string | undefined {
  const slash = labelEnd(comment, start)
  if (slash < 0 || comment.charCodeAt(slash) !== 47 /* / */) return undefined
  const nameEnd = labelEnd(comment, slash + 1)
  if (nameEnd < 0) return undefined
  let end = nameEnd
  if (comment.charCodeAt(end) === 58 /* : */) {
    end++
    while (end < comment.length && isPortChar(comment.charCodeAt(end))) end++
  }
  if (end < comment.length && !isWhitespace(comment.charCodeAt(end))) return undefined
  // An empty port (`ns/svc:`, older kube-proxy) is the unnamed port `ns/svc`.
  return comment.slice(start, end === nameEnd + 1 ? nameEnd : end)
}

/**
 * The end of a DNS-style label run `[a-z0-9]([-a-z0-9.]*[a-z0-9])?` from `start`, or -1. The run
 * is taken whole: ending it earlier would leave a `.` or `-` where the key needs `/`, `:`, a space
 * or the end, so no shorter run can match either.
 */
function labelEnd(text: string, start: number): number {
  let end = start
  while (end < text.length && isLabelChar(text.charCodeAt(end))) end++
  if (end === start || !isAlnum(text.charCodeAt(start)) || !isAlnum(text.charCodeAt(end - 1))) return -1
  return end
}

function isAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57)
}

function isLabelChar(c: number): boolean {
  return isAlnum(c) || c === 45 /* - */ || c === 46 /* . */
}

function isPortChar(c: number): boolean {
  return isAlnum(c) || c === 45
}

/** JavaScript's `\s`: ASCII whitespace, NBSP, the Unicode space separators, line/paragraph separators, BOM. */
function isWhitespace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13)
  if (c < 0xa0) return false
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
}

/** servicePortKeyOf by the SERVICE_PORT regexp: the reference for the tests. */
export function servicePortKeyByRegExp(comment: string | undefined): string | undefined {
  if (!comment) return undefined
  const m = SERVICE_PORT.exec(comment)
  if (!m) return undefined
  const text = m[0]
  const start = m[1].length + m[2].length + 1 + (m[3]?.length ?? 0) < text.length ? 1 : 0
  return m[3] === ':' ? text.slice(start, -1) : start === 0 ? text : text.slice(start)
}

/** The model's key for a service port: `ns/name:port`, or `ns/name` for an unnamed port. */
export function servicePortKey(ref: {namespace: string; name: string; portName: string}): string {
  return ref.portName ? `${ref.namespace}/${ref.name}:${ref.portName}` : `${ref.namespace}/${ref.name}`
}
