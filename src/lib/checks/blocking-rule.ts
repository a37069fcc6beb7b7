/**
 * Which rule of a chain hides the rules after it (unreachable-rule): one that matches every
 * packet and never returns. The rules view asks this of every rule while it reads the dump, so
 * the answers come from what the line shows wherever that settles it, and the decoded rule is
 * read only when it does not.
 */
import {cachedLineFacts} from '../kube-proxy/line-facts.js'
import {matchesEverything} from '../kube-proxy/rule-facts.js'
import {isPerServiceChain} from '../kube-proxy/names.js'
import {targetIsGoto, targetNameOf} from '../parse/lazy-rule.js'
import type {Rule} from '../parse/types.js'

/** Targets after which netfilter never looks at the next rule of the chain. */
const TERMINAL_TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT'])

/**
 * Does control never come back? Verdicts and NAT targets end the chain, `-g` never returns, and
 * kube-proxy's per-service chains (KUBE-SVC/SVL/EXT/FW/XLB/SEP) always end in a DNAT or verdict
 * for the traffic that reaches them.
 */
function endsChain(rule: Rule): boolean {
  const target = targetNameOf(rule)
  return target !== undefined && endsChainTarget(target, targetIsGoto(rule))
}

/** endsChain from the target's name and whether it is a -g. */
export function endsChainTarget(target: string, goto: boolean): boolean {
  return goto || TERMINAL_TARGETS.has(target) || isPerServiceChain(target)
}

/**
 * A rule that matches everything (no match other than comments and `recent --set`, which only
 * records the client; a match kpx does not understand counts as a condition) and ends the chain.
 * When the line was just read (the view reads cascade lines for their probabilities), a
 * condition it shows answers at once: matchesEverything would say the same.
 */
export function blocksLaterRules(rule: Rule): boolean {
  if (!endsChain(rule)) return false
  if (cachedLineFacts(rule)?.conditional) return false
  return !certainlyConditional(rule) && matchesEverything(rule)
}

/** The index of the first rule that hides the rules after it, -1 for none: the reference form. */
export function firstBlockingRule(rules: Rule[]): number {
  return rules.findIndex((rule) => blocksLaterRules(rule))
}

/** Criteria that make a rule conditional; found in the raw text outside its comment, no decoding needed. */
const CONDITION_WORDS = [' -s ', ' -d ', ' -p ', ' -i ', ' -o ', ' -m statistic ', ' -m mark ', ' -m addrtype ', ' -m conntrack ', ' -m set ']

/**
 * A cheap, sound pre-test (false means "cannot tell"): one of the words above stands outside
 * any quotes. Runs on every rule that ends its chain, so it walks the ` -` of the line once and
 * never makes the comment string: with at most one `"..."` section and no backslash, "outside"
 * is "before the opening quote or after the closing one".
 */
export function certainlyConditional(rule: Rule): boolean {
  const raw = rule.raw
  const open = raw.indexOf('"')
  const close = open < 0 ? -1 : raw.indexOf('"', open + 1)
  if (open >= 0 && (close < 0 || raw.indexOf('"', close + 1) >= 0 || raw.includes('\\'))) return conditionalOutsideComment(rule)
  return conditionWordOutsideQuotes(raw)
}

/**
 * certainlyConditional for a line with at most one `"..."` section and no backslash (what the
 * fast scan lets through): "outside the comment" is then "before the opening quote or after the
 * closing one".
 */
export function conditionWordOutsideQuotes(raw: string): boolean {
  const open = raw.indexOf('"')
  const close = open < 0 ? -1 : raw.indexOf('"', open + 1)
  for (let at = raw.indexOf(' -'); at >= 0; at = raw.indexOf(' -', at + 2)) {
    if (at > open && at < close) at = close - 1 // inside the quoted comment: search on from its closing quote
    else if (isConditionWordAt(raw, at)) return true
  }
  return false
}

const CONDITION_MODULES = CONDITION_WORDS.filter((word) => word.startsWith(' -m ')).map((word) => word.slice(4))

/** Does one of CONDITION_WORDS start at `at` (which holds ` -`)? */
function isConditionWordAt(raw: string, at: number): boolean {
  if (raw.charCodeAt(at + 3) !== 32) return false // ` -x `: a one-letter flag
  switch (raw.charCodeAt(at + 2)) {
    case 115: // s
    case 100: // d
    case 112: // p
    case 105: // i
    case 111: // o
      return true
    case 109: // m
      return CONDITION_MODULES.some((module) => raw.startsWith(module, at + 4))
    default:
      return false
  }
}

/** The general form: a condition word in the line that the comment does not explain. */
function conditionalOutsideComment(rule: Rule): boolean {
  const comment = rule.comment ?? ''
  return CONDITION_WORDS.some((word) => rule.raw.includes(word) && !comment.includes(word.trim()))
}
