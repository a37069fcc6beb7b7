/**
 * Load a kubeconfig the way kubectl does, with errors a user can act on.
 *
 * Precedence (kubectl's): `--kubeconfig` > `$KUBECONFIG` (a path list, merged, first file wins
 * for every name and for current-context) > ~/.kube/config > the in-cluster service account.
 * client-node's `loadFromDefault()` is not used because it throws on a name defined in two
 * files (kubectl keeps the first) and silently falls back to http://localhost:8080 when nothing
 * is configured, which would turn "no kubeconfig" into a confusing "cannot reach" error.
 */
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'

import {KubeConfig} from '@kubernetes/client-node'

import {ClusterAccessError} from '../errors.js'

export interface KubeConfigOptions {
  /** `--kubeconfig`: one file, overrides $KUBECONFIG. */
  kubeconfig?: string
  /** `--context`: defaults to the file's current-context. */
  context?: string
  /** `-n/--namespace`: defaults to the context's namespace, then `default`. */
  namespace?: string
  /** For tests: the environment and home directory to read. */
  env?: Record<string, string | undefined>
  home?: string
  /** For tests: a directory prefixed to the service account mount (/var/run/secrets/...). */
  serviceAccountRoot?: string
}

export interface LoadedKubeConfig {
  kc: KubeConfig
  context: string
  /** The namespace commands use when none is given: the flag, else the context's, else `default`. */
  namespace: string
  /** The API server URL of the selected context's cluster. */
  server: string
  /** Where the configuration came from, for messages. */
  source: string
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Loads and validates the configuration; throws ClusterAccessError (exit 3) when unusable. */
export function loadKubeConfig(opts: KubeConfigOptions = {}): LoadedKubeConfig {
  const env = opts.env ?? process.env
  const {kc, source} = loadSources(opts, env)
  allowPlainHttp(kc)
  if (opts.context !== undefined) selectContext(kc, opts.context, source)
  const contextName = kc.getCurrentContext()
  const context = contextName ? kc.getContextObject(contextName) : null
  if (!context) {
    throw new ClusterAccessError(
      contextName ? `kubeconfig ${source}: current context "${contextName}" is not defined` : `kubeconfig ${source}: no current context is set`,
      ['choose one with --context NAME', ...listContexts(kc)],
      'no-context',
    )
  }
  const cluster = kc.getCurrentCluster()
  if (!cluster?.server) {
    throw new ClusterAccessError(`kubeconfig ${source}: context "${contextName}" names cluster "${context.cluster}", which has no server`, [
      'check the clusters: section of your kubeconfig',
    ], 'no-cluster')
  }
  const namespace = opts.namespace ?? (context.namespace?.trim() || 'default')
  return {kc, context: contextName, namespace, server: cluster.server, source}
}

function loadSources(opts: KubeConfigOptions, env: Record<string, string | undefined>): {kc: KubeConfig; source: string} {
  const files = configFiles(opts, env)
  if (files.length > 0) return {kc: loadMerged(files), source: files.join(delimiter)}
  const root = opts.serviceAccountRoot ?? ''
  if (env.KUBERNETES_SERVICE_HOST && existsSync(`${root}${SERVICE_ACCOUNT_DIR}/token`)) {
    const kc = new KubeConfig()
    // loadFromCluster reads KUBERNETES_SERVICE_HOST/PORT from process.env itself.
    kc.loadFromCluster(root)
    return {kc, source: 'in-cluster service account'}
  }
  throw new ClusterAccessError('no kubeconfig found (looked at $KUBECONFIG, ~/.kube/config and the in-cluster service account)', [
    'pass --kubeconfig PATH or set KUBECONFIG',
    'or analyse a capture offline with --snapshot DIR or --rules FILE',
  ], 'no-kubeconfig')
}

/** The files to merge, in precedence order; missing files in $KUBECONFIG are skipped like kubectl does. */
function configFiles(opts: KubeConfigOptions, env: Record<string, string | undefined>): string[] {
  if (opts.kubeconfig !== undefined) {
    if (!existsSync(opts.kubeconfig)) {
      throw new ClusterAccessError(`kubeconfig ${opts.kubeconfig} does not exist`, ['check the --kubeconfig path'], 'no-kubeconfig')
    }
    return [opts.kubeconfig]
  }
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((f) => f !== '' && existsSync(f))
  const home = opts.home ?? env.HOME ?? homedir()
  const fallback = join(home, '.kube', 'config')
  return existsSync(fallback) ? [fallback] : []
}

function loadMerged(files: string[]): KubeConfig {
  const kc = new KubeConfig()
  files.forEach((file, i) => {
    const part = new KubeConfig()
    try {
      part.loadFromFile(file)
    } catch (error) {
      throw new ClusterAccessError(`kubeconfig ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, [], 'bad-kubeconfig', error)
    }
    if (i === 0) {
      kc.loadFromOptions({clusters: part.clusters ?? [], contexts: part.contexts ?? [], users: part.users ?? [], currentContext: part.currentContext})
      return
    }
    // kubectl: the first file to set a value wins; later files only add new names.
    for (const c of part.clusters ?? []) if (!kc.getCluster(c.name)) kc.addCluster(c)
    for (const u of part.users ?? []) if (!kc.getUser(u.name)) kc.addUser(u)
    for (const c of part.contexts ?? []) if (!kc.getContextObject(c.name)) kc.addContext(c)
    if (!kc.getCurrentContext() && part.currentContext) kc.setCurrentContext(part.currentContext)
  })
  return kc
}

/**
 * kubectl talks to an `http://` server (e.g. `kubectl proxy`, test servers); client-node 1.x
 * refuses unless skipTLSVerify is set, which means nothing without TLS. Set it for http only.
 */
function allowPlainHttp(kc: KubeConfig): void {
  kc.clusters = (kc.clusters ?? []).map((c) => (c.server?.startsWith('http:') && !c.skipTLSVerify ? {...c, skipTLSVerify: true} : c))
}

function selectContext(kc: KubeConfig, name: string, source: string): void {
  if (!kc.getContextObject(name)) {
    throw new ClusterAccessError(`context "${name}" not found in kubeconfig ${source}`, listContexts(kc), 'unknown-context')
  }
  kc.setCurrentContext(name)
}

function listContexts(kc: KubeConfig): string[] {
  const names = (kc.contexts ?? []).map((c) => c.name)
  return names.length > 0 ? [`available contexts: ${names.join(', ')}`] : []
}
