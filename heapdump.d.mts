// Types of `import ... from 'leakguard/heapdump'` (heapdump.mjs).
import * as heapdump from './heapdump.js'

export * from './heapdump.js'
export default heapdump
