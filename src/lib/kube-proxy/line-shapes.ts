/**
 * The facts of the three line shapes (parse/line-shapes.ts) that make up most of a kube-proxy
 * dump, each recognized by one regexp in a single native pass (a word-by-word scan costs several
 * times more, and `kpx check` reads 2×10^5 of these lines on a 10k-Service node):
 *
 *   -A KUBE-SVC-X [-m comment --comment C] -m statistic --mode random --probability P -j KUBE-SEP-Y
 *   -A KUBE-SVC-X [-m comment --comment C] -j KUBE-SEP-Y          (the last endpoint; any plain jump)
 *   -A KUBE-SEP-Y -p tcp [-m comment --comment C] -m tcp -j DNAT --to-destination IP:PORT
 *
 * The parser reads a line of a shape as the shape says. Values the decoder checks (P, IP:PORT)
 * are checked the same way here; anything else (the fourth shape, `-s` jumps, too) is left to
 * line-scanner.ts.
 */
import {parseNatRange, parseProbability} from '../parse/decode-values.js'
import {SHAPE_ENDPOINT_DNAT, SHAPE_PLAIN_JUMP, SHAPE_RANDOM_JUMP, shapeOfLine} from '../parse/line-shapes.js'
import type {LineFacts} from './line-scanner.js'

/**
 * Fills `facts` (already reset) when the line, from `from`, has one of the shapes; false
 * otherwise (and for a probability or address the decoder would reject).
 */
export function readKubeProxyShape(line: string, from: number, facts: LineFacts): boolean {
  return readShapeFacts(line, from, shapeOfLine(line, from), facts)
}

/**
 * Fills `facts` (already reset) from a line known to have `shape` (from `from`); false for no
 * shape, and for a probability or address the decoder would reject.
 */
export function readShapeFacts(line: string, from: number, shape: number, facts: LineFacts): boolean {
  switch (shape) {
    case SHAPE_RANDOM_JUMP:
      return readRandomJump(line, facts)
    case SHAPE_PLAIN_JUMP:
      setTarget(line, facts, line.lastIndexOf(' -j ') + 4)
      return true
    case SHAPE_ENDPOINT_DNAT:
      return readEndpointDnat(line, from, facts)
    default: // SHAPE_SOURCE_JUMP: its facts are the word scan's
      return false
  }
}

/** The target is the last word, after the last ` -j ` (nothing with a space follows it). */
function setTarget(line: string, facts: LineFacts, start: number): void {
  facts.targetStart = start
  facts.targetEnd = line.length
}

function readRandomJump(line: string, facts: LineFacts): boolean {
  const jump = line.lastIndexOf(' -j ')
  // P is the one word between the last ` --probability ` and ` -j ` (a comment comes before both).
  const probability = parseProbability(line.slice(line.lastIndexOf(' --probability ', jump) + 15, jump))
  if (probability === undefined) return false
  facts.conditional = true
  facts.statistic = true
  facts.probability = probability
  setTarget(line, facts, jump + 4)
  return true
}

function readEndpointDnat(line: string, from: number, facts: LineFacts): boolean {
  const toStart = line.lastIndexOf(' ') + 1
  // Nearly every endpoint is plain IPv4: checked in place, without the decoder's slices.
  if (!isPlainIpv4Endpoint(line, toStart) && parseNatRange(line.slice(toStart)) === undefined) return false
  facts.conditional = true
  facts.toStart = toStart
  facts.toEnd = line.length
  facts.protoStart = line.indexOf(' ', from + 3) + 4 // after `-A CHAIN -p `
  facts.protoEnd = line.indexOf(' ', facts.protoStart)
  facts.targetStart = line.lastIndexOf(' -j DNAT ') + 4
  facts.targetEnd = facts.targetStart + 4
  return true
}

/**
 * `a.b.c.d:port` from `start` to the end of text: four decimal octets 0-255 and a port 1-65535,
 * none with a leading zero. parseNatRange accepts every such text (a dotted quad, a port
 * number), and canonicalEndpoint returns it unchanged; anything else returns false (ask them).
 */
export function isPlainIpv4Endpoint(text: string, start: number): boolean {
  let at = start
  for (let part = 0; part < 5; part++) {
    const first = at
    let value = 0
    for (; at < text.length; at++) {
      const digit = text.charCodeAt(at) - 48
      if (digit < 0 || digit > 9) break
      value = value * 10 + digit
    }
    const digits = at - first
    if (digits === 0 || (digits > 1 && text.charCodeAt(first) === 48)) return false
    if (part < 4 ? digits > 3 || value > 255 : digits > 5 || value === 0 || value > 65535) return false
    const separator = part < 3 ? 46 /* . */ : 58 /* : */
    if (part < 4 && text.charCodeAt(at++) !== separator) return false
  }
  return at === text.length
}
