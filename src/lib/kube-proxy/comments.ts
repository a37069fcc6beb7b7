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
 * without the role: `kpx check` asks this of a comment of every per-service chain.
 */
export function servicePortKeyOf(comment: string | undefined): string | undefined {
  if (!comment) return undefined
  const m = SERVICE_PORT.exec(comment)
  if (!m) return undefined
  // The key is the match itself, less a leading space and an empty `:` port: a slice of the
  // comment, which hashes without being copied (a concatenation would be copied to be hashed).
  const text = m[0]
  const start = m[1].length + m[2].length + 1 + (m[3]?.length ?? 0) < text.length ? 1 : 0
  return m[3] === ':' ? text.slice(start, -1) : start === 0 ? text : text.slice(start)
}

/** The model's key for a service port: `ns/name:port`, or `ns/name` for an unnamed port. */
export function servicePortKey(ref: {namespace: string; name: string; portName: string}): string {
  return ref.portName ? `${ref.namespace}/${ref.name}:${ref.portName}` : `${ref.namespace}/${ref.name}`
}
