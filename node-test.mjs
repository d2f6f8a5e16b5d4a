// `import 'leakguard/node-test'` / `node --test --import leakguard/node-test`: the ES module face of node-test.js.
import integration from './node-test.js'

export const { configure } = integration
export default integration
