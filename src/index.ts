/** kpx as a library: the oclif entry point plus the pure building blocks and their result types. */
export {run} from '@oclif/core/run'
export * from './lib/parse/index.js'
export * from './lib/errors.js'
export type {Snapshot, NodeCapture, ClusterObjects} from './lib/snapshot/types.js'
