/**
 * metav1.Status bodies shaped exactly like kube-apiserver's (k8s.io/apimachinery/pkg/api/errors),
 * so clients (kubectl, client-node) print the same messages they would against a real cluster.
 */

export interface StatusBody {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message: string
  reason: string
  details?: {name?: string; group?: string; kind?: string; retryAfterSeconds?: number; causes?: {reason?: string; message: string; field?: string}[]}
  code: number
}

function failure(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
  const body: StatusBody = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code}
  if (details) body.details = details
  return body
}

/** `group` is '' for the core API; kube-apiserver puts it in details only when non-empty. */
function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource
}

export function notFound(resource: string, group: string, name: string): StatusBody {
  const details = group ? {name, group, kind: resource} : {name, kind: resource}
  return failure(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, details)
}

export function alreadyExists(resource: string, group: string, name: string): StatusBody {
  const details = group ? {name, group, kind: resource} : {name, kind: resource}
  return failure(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, details)
}

export function unauthorized(): StatusBody {
  return failure(401, 'Unauthorized', 'Unauthorized')
}

export interface ForbiddenRequest {
  user: string
  verb: string
  /** Resource, with "/subresource" when there is one (e.g. "pods/exec"). */
  resource: string
  group: string
  namespace?: string
  name?: string
}

/** The RBAC authorizer's wording, e.g. `pods "x" is forbidden: User "u" cannot create resource "pods/exec" ...`. */
export function forbidden(req: ForbiddenRequest): StatusBody {
  const [base] = req.resource.split('/')
  const subject = req.name ? `${qualified(base, req.group)} "${req.name}"` : qualified(base, req.group)
  const scope = req.namespace ? `in the namespace "${req.namespace}"` : 'at the cluster scope'
  const message = `${subject} is forbidden: User "${req.user}" cannot ${req.verb} resource "${req.resource}" in API group "${req.group}" ${scope}`
  const details: NonNullable<StatusBody['details']> = req.name ? {name: req.name, kind: base} : {kind: base}
  if (req.group) details.group = req.group
  return failure(403, 'Forbidden', message, details)
}

export function tooManyRequests(retryAfterSeconds: number): StatusBody {
  return failure(429, 'TooManyRequests', 'Too many requests, please try again later.', {retryAfterSeconds})
}

export function badRequest(message: string): StatusBody {
  return failure(400, 'BadRequest', message)
}

export function methodNotAllowed(): StatusBody {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
}

/** The body kube-apiserver sends for a path it does not serve at all. */
export function pathNotFound(): StatusBody {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {})
}

export function invalidContinue(): StatusBody {
  return failure(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.')
}

// Exec error-channel bodies. The kubelet marshals a bare metav1.Status (no kind/apiVersion) onto
// channel 3 (pkg/kubelet/cri/streaming/remotecommand/httpstream.go: writeStatus).

export function execSuccess(): object {
  return {metadata: {}, status: 'Success'}
}

export function execNonZeroExit(argv: string[], exitCode: number): object {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: {causes: [{reason: 'ExitCode', message: String(exitCode)}]},
  }
}

/** What the kubelet reports when the runtime cannot start the command (apierrors.NewInternalError). */
export function execInternalError(cause: string): object {
  const err = `error executing command in container: ${cause}`
  return {metadata: {}, status: 'Failure', message: `Internal error occurred: ${err}`, reason: 'InternalError', details: {causes: [{message: err}]}, code: 500}
}
