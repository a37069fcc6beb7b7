/**
 * Label and field selectors as kube-apiserver parses them (k8s.io/apimachinery/pkg/labels and
 * pkg/fields), and limit/continue paging. Parse errors are returned as messages the server
 * would put in a 400 BadRequest Status.
 */

type LabelRequirement =
  | {key: string; op: 'in' | 'notin'; values: string[]}
  | {key: string; op: 'exists' | 'doesnotexist'}

export type Matcher = (obj: KubeObject) => boolean

export interface KubeObject {
  metadata: {name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown}
  [k: string]: unknown
}

/** Splits on commas that are not inside `in (a,b)` parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const ch of selector) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  parts.push(current)
  return parts.map((p) => p.trim()).filter((p) => p !== '')
}

function parseLabelRequirement(term: string): LabelRequirement | string {
  const setMatch = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term)
  if (setMatch) {
    const values = setMatch[3].split(',').map((v) => v.trim())
    return {key: setMatch[1], op: setMatch[2] as 'in' | 'notin', values}
  }
  const eqMatch = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term)
  if (eqMatch) return {key: eqMatch[1], op: eqMatch[2] === '!=' ? 'notin' : 'in', values: [eqMatch[3]]}
  const existsMatch = /^(!?)([\w./-]+)$/.exec(term)
  if (existsMatch) return {key: existsMatch[2], op: existsMatch[1] ? 'doesnotexist' : 'exists'}
  return `unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`
}

function requirementMatches(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key)
  switch (req.op) {
    case 'exists':
      return has
    case 'doesnotexist':
      return !has
    case 'in':
      return has && req.values.includes(labels[req.key])
    case 'notin':
      return !has || !req.values.includes(labels[req.key])
  }
}

export function parseLabelSelector(selector: string | null): Matcher | string {
  if (!selector) return () => true
  const reqs: LabelRequirement[] = []
  for (const term of splitTopLevel(selector)) {
    const parsed = parseLabelRequirement(term)
    if (typeof parsed === 'string') return parsed
    reqs.push(parsed)
  }
  return (obj) => reqs.every((r) => requirementMatches(r, obj.metadata.labels ?? {}))
}

/** Field paths each resource supports; the server rejects any other field with a 400. */
const FIELD_GETTERS: Record<string, (o: KubeObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
  'spec.nodeName': (o) => (o.spec as {nodeName?: string} | undefined)?.nodeName,
  'status.phase': (o) => (o.status as {phase?: string} | undefined)?.phase,
}

const POD_ONLY_FIELDS = new Set(['spec.nodeName', 'status.phase'])

export function parseFieldSelector(selector: string | null, resource: string): Matcher | string {
  if (!selector) return () => true
  const checks: Matcher[] = []
  for (const term of splitTopLevel(selector)) {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term)
    if (!m) return `invalid selector: '${selector}'; can't understand '${term}'`
    const [, field, op, value] = m
    const getter = FIELD_GETTERS[field]
    if (!getter || (POD_ONLY_FIELDS.has(field) && resource !== 'pods')) {
      return `field label not supported: ${field}`
    }
    checks.push(op === '!=' ? (o) => (getter(o) ?? '') !== value : (o) => (getter(o) ?? '') === value)
  }
  return (obj) => checks.every((c) => c(obj))
}

interface ContinueToken {
  rv: number
  start: number
}

export interface Page<T> {
  items: T[]
  continueToken?: string
  remainingItemCount?: number
}

/**
 * The continue token is opaque to clients; like the real server it encodes where the next page
 * starts. Items are sorted by namespace/name so pages are stable while nothing changes.
 */
export function paginate<T>(items: T[], limit: number, continueParam: string | null, rv: number): Page<T> | 'invalid' {
  let start = 0
  if (continueParam) {
    try {
      const token = JSON.parse(Buffer.from(continueParam, 'base64').toString('utf8')) as ContinueToken
      if (typeof token.start !== 'number') return 'invalid'
      start = token.start
    } catch {
      return 'invalid'
    }
  }
  if (!(limit > 0) || start + limit >= items.length) return {items: items.slice(start)}
  const next: ContinueToken = {rv, start: start + limit}
  return {
    items: items.slice(start, start + limit),
    continueToken: Buffer.from(JSON.stringify(next)).toString('base64'),
    remainingItemCount: items.length - start - limit,
  }
}
