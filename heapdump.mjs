// `import { writeSnapshot } from 'leakguard/heapdump'`: the ES module face of heapdump.js.
import heapdump from './heapdump.js'

export const { writeSnapshot } = heapdump
export default heapdump
