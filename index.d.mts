// Types of `import ... from 'leakguard'` (index.mjs): the same names as index.d.ts.
import * as leakguard from './index.js'

export * from './index.js'
export default leakguard
