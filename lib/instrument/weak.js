'use strict'
// The sets of weakly held objects (emitters, handles, timers, watched objects) hold the addon's
// NativeWeakRef (lib/detectors/retained.js says why not WeakRef). Nothing calls back when an
// object dies, so a set drops its dead members when it is read, and, should nobody read it for a
// while, when it has grown: sweepGrown().

/**
 * Once `set` has reached `state[key]` members, drops those `dead(member)` says were collected and
 * sets the next sweep at twice what is left (at least `floor`): amortized O(1) an add.
 */
function sweepGrown(set, state, key, floor, dead) {
  if (set.size < state[key]) return
  for (const member of set) if (dead(member)) set.delete(member)
  state[key] = Math.max(floor, 2 * set.size)
}

module.exports = { sweepGrown }
