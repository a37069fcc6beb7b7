/**
 * The catalogue: one check per file under catalogue/, in the order `kpx check --list` shows them
 * (the API against the rules first, then the rules on their own, then the node as a whole).
 * IDs are public API: never rename one.
 */
import {backendSplit} from './catalogue/backend-split.js'
import {counterSkew} from './catalogue/counter-skew.js'
import {duplicateEndpoint} from './catalogue/duplicate-endpoint.js'
import {hashMismatch} from './catalogue/hash-mismatch.js'
import {lastRuleHasStatistic} from './catalogue/last-rule-has-statistic.js'
import {masqueradeMissing} from './catalogue/masquerade-missing.js'
import {missingChainJump} from './catalogue/missing-chain-jump.js'
import {missingEndpoint} from './catalogue/missing-endpoint.js'
import {noEndpointsRule} from './catalogue/no-endpoints-rule.js'
import {noKubeProxyRules} from './catalogue/no-kube-proxy-rules.js'
import {nodesDisagree} from './catalogue/nodes-disagree.js'
import {orphanChain} from './catalogue/orphan-chain.js'
import {postroutingJump} from './catalogue/postrouting-jump.js'
import {probabilityNonuniform} from './catalogue/probability-nonuniform.js'
import {probabilityOutOfRange} from './catalogue/probability-out-of-range.js'
import {ruleCount} from './catalogue/rule-count.js'
import {rulesForDeletedService} from './catalogue/rules-for-deleted-service.js'
import {serviceWithoutRules} from './catalogue/service-without-rules.js'
import {servicePortalsJump} from './catalogue/service-portals-jump.js'
import {staleEndpoint} from './catalogue/stale-endpoint.js'
import {unreachableRule} from './catalogue/unreachable-rule.js'
import type {Check} from './types.js'

export const CHECKS: readonly Check[] = [
  staleEndpoint,
  missingEndpoint,
  noKubeProxyRules,
  serviceWithoutRules,
  rulesForDeletedService,
  noEndpointsRule,
  nodesDisagree,
  probabilityNonuniform,
  probabilityOutOfRange,
  lastRuleHasStatistic,
  duplicateEndpoint,
  unreachableRule,
  counterSkew,
  servicePortalsJump,
  postroutingJump,
  masqueradeMissing,
  missingChainJump,
  orphanChain,
  hashMismatch,
  backendSplit,
  ruleCount,
]
