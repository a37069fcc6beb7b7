/**
 * The three line shapes that make up most of a kube-proxy dump, each matched by one regexp in a
 * single native pass (a word-by-word scan costs several times more, and `kpx check` reads 2×10^5
 * of these lines on a 10k-Service node):
 *
 *   -A KUBE-SVC-X [-m comment --comment C] -m statistic --mode random --probability P -j KUBE-SEP-Y
 *   -A KUBE-SVC-X [-m comment --comment C] -j KUBE-SEP-Y          (the last endpoint; any plain jump)
 *   -A KUBE-SEP-Y -p tcp [-m comment --comment C] -m tcp -j DNAT --to-destination IP:PORT
 *
 * Every word class excludes spaces, tabs, quotes and backslashes, a value never starts with `-`
 * or `!`, and the only quoted word is the comment, without escapes: so each regexp word is
 * exactly one tokenizer word and the parser reads the line as the shape says. Values the decoder
 * checks (P, IP:PORT) are checked the same way here; anything else is left to line-facts.ts.
 */
import {parseNatRange, parseProbability} from '../parse/decode-values.js'
import type {LineFacts} from './line-scanner.js'

/** A plain word that the parser takes as a value (or chain, or target name), not as a flag. */
const WORD = String.raw`[^\s"\\!-][^\s"\\]*`
const COMMENT = String.raw`(?: -m comment --comment (?:"[^"\\]*"|${WORD}))?`
const HEAD = String.raw`-A ${WORD}`

// Sticky, not anchored with ^: the match starts after any `[packets:bytes]` counters.
const RANDOM_JUMP = new RegExp(String.raw`${HEAD}${COMMENT} -m statistic --mode random --probability ${WORD} -j ${WORD}$`, 'y')
const PLAIN_JUMP = new RegExp(String.raw`${HEAD}${COMMENT} -j ${WORD}$`, 'y')
const ENDPOINT_DNAT = new RegExp(String.raw`${HEAD} -p ${WORD}${COMMENT} -m (?:tcp|udp|sctp) -j DNAT --to-destination ${WORD}$`, 'y')

/**
 * Fills `facts` (already reset) when the line, from `from`, has one of the shapes; false
 * otherwise (and for a probability or address the decoder would reject).
 */
export function readKubeProxyShape(line: string, from: number, facts: LineFacts): boolean {
  if (line.charCodeAt(from) !== 45 /* - */) return false
  // Each shape needs a given flag right after the chain word (` -m` for the random jump,
  // ` -m` or ` -j` for the plain one, ` -p` for the DNAT): only the shapes that can match are
  // tried. (When the chain word is not the regexps' WORD, every shape fails anyway.)
  const flag = line.charCodeAt(line.indexOf(' ', from + 3) + 2)
  if (flag === 109 /* m */ && test(RANDOM_JUMP, line, from)) return readRandomJump(line, facts)
  if ((flag === 109 || flag === 106) /* m, j */ && test(PLAIN_JUMP, line, from)) {
    setTarget(line, facts, line.lastIndexOf(' -j ') + 4)
    return true
  }
  return flag === 112 /* p */ && test(ENDPOINT_DNAT, line, from) && readEndpointDnat(line, from, facts)
}

function test(shape: RegExp, line: string, from: number): boolean {
  shape.lastIndex = from
  return shape.test(line)
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
