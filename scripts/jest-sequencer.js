'use strict'
// The order of this repository's own jest suite: jest's (failed first, then slowest first by its
// timing cache, else largest file first), except that the files which write heap snapshots of
// jest's own process run first. On 2 cores jest runs in band, in one process whose heap grows
// with every file before them; on a fresh clone (no timing cache: CI) they ran late and took
// ~90 s each (snapshot-writer, snapshot-explain) instead of ~7.
const Sequencer = require('@jest/test-sequencer').default
const path = require('node:path')

const FIRST = ['snapshot-writer.test.js', 'snapshot-explain.test.js', 'snapshot-holders.test.js', 'guard-snapshots.test.js']

class SnapshotsFirst extends Sequencer {
  sort(tests) {
    const rank = (t) => {
      const i = FIRST.indexOf(path.basename(t.path))
      return i === -1 ? FIRST.length : i
    }
    return Promise.resolve(super.sort(tests)).then((sorted) =>
      sorted
        .map((t, i) => [t, i])
        .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
        .map(([t]) => t),
    )
  }
}

module.exports = SnapshotsFirst
