/**
 * Where the kube-proxy corpus lives: `shared/` sits beside the repository (on developer machines
 * and in CI's fresh clone alike), so resolve it from this file, not from an absolute path.
 * KPX_CORPUS overrides it.
 */
import {dirname, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

export const CORPUS_DIR = process.env.KPX_CORPUS ?? resolve(repoRoot, '..', 'shared', 'corpus', 'kube-proxy-iptables')
