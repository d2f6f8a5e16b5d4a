// Types of `import ... from 'leakguard/node-test'` (node-test.mjs).
import * as integration from './node-test.js'

export * from './node-test.js'
export default integration
