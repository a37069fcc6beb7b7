#!/usr/bin/env node
/**
 * Bundles the tsc output (dist/bundle/main.js, dist/bundle/commands.js) with @oclif/core and the
 * small runtime packages into dist/bundled/, which bin/run.js loads when it is up to date.
 *
 * Why: Node spends most of a kpx start resolving, reading and compiling modules (~230: oclif's
 * CommonJS tree, kpx's ESM files). One ESM file per entry (not CommonJS: Node would lex a big CJS
 * file for its exports on import) cuts that to a handful.
 *
 * The Kubernetes client and ws stay external and are imported only in live mode; esbuild's
 * code splitting keeps those dynamic import()s as separate chunks instead of hoisting them.
 * esbuild is a devDependency; without it (an install without dev packages), no bundle is
 * written and bin/run.js falls back to the plain build.
 */
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

let esbuild
try {
  esbuild = await import('esbuild')
} catch {
  console.warn('bundle: esbuild not found; skipping (kpx will start from the unbundled dist/)')
  process.exit(0)
}

await esbuild.build({
  absWorkingDir: root,
  // Worker threads: kpx check's (src/lib/checks/claims-thread.ts, expectations-thread.ts) and the
  // cluster.json scan's (src/lib/snapshot/cluster-thread.ts), loaded by these names from next to
  // their callers.
  entryPoints: {
    main: 'dist/bundle/main.js',
    commands: 'dist/bundle/commands.js',
    'endpoint-claims-worker': 'dist/lib/checks/endpoint-claims-worker.js',
    'cluster-scan-worker': 'dist/lib/snapshot/cluster-scan-worker.js',
    'expectations-worker': 'dist/lib/checks/expectations-worker.js',
  },
  outdir: 'dist/bundled',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Loaded on demand only (live mode; oclif's TypeScript support in development).
  external: ['@kubernetes/client-node', 'ws', 'typescript', 'ts-node', 'tsx', 'pnpapi'],
  // oclif is CommonJS and calls require() for optional things (externals, package.json files).
  banner: {js: "import {createRequire as kpxCreateRequire} from 'node:module'; const require = kpxCreateRequire(import.meta.url);"},
  logLevel: 'warning',
})
console.log('dist/bundled: written')
