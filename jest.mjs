// `import { configure, matchers } from 'leakguard/jest'`: the ES module face of jest.js (which
// registers the hooks when it is loaded inside a jest test file's environment).
import integration from './jest.js'

export const { configure, matchers } = integration
export default integration
