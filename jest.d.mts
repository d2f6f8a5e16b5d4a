// Types of `import ... from 'leakguard/jest'` (jest.mjs): the same names as jest.d.ts.
import * as integration from './jest.js'

export * from './jest.js'
export default integration
