'use strict'
// The detector registry: one detector per leak kind, in the order findings are reported. The
// session (check(), assertNoLeaks, the test integrations) and guard mode (periodic sampling)
// are two drivers over this one list. A detector is:
//
//   {
//     kind: 'listeners',                 // the Leak kind it reports
//     startOptions, checkOptions,        // optional: its own options { name: { default, validate } }
//     start(options) {}, stop() {},      // optional: install / drop instrumentation
//     baseline() {},                     // optional: "from now on": drop what no kept epoch
//                                        // needs (lib/session/epochs.js: the process's one clock,
//                                        // which tags and counts what each detector sees)
//     transition() {},                   // optional: the epoch is about to change (a baseline,
//                                        // a nested block's start or end)
//     awaitingGC() -> Map,               // optional: things of the counted epochs that only a
//                                        // forced GC can judge (watched objects still alive),
//                                        // description -> count
//     needsGC: true,                     // optional: check() is meaningful only after a GC
//     check(context) -> Leak[],          // findings now, of the counted epochs;
//                                        // context: { options, checkOptions, cwd }
//     sample(now, context) -> [{ key, value, meta, trend? }],
//                                        // guard mode: one point per series (key: a string,
//                                        // value: a number; meta: what Rust needs to describe
//                                        // the series when it grows, see growth.rs; trend: a
//                                        // second trend the same series is judged by)
//     sporadic: true,                    // optional: sample() gives points only when it has a
//                                        // reading (a series missing from it is not gone)
//     growing(meta, context) -> meta | null,
//                                        // optional: called for a series that grew, before its
//                                        // finding is made (adds what is costly to know: an
//                                        // add-site, allocation sites); null: ask again next sample
//     startSampling(options), stopSampling(),
//                                        // optional: guard mode's own resources (heap profiler)
//   }

const detectors = [
  require('./listeners'),
  require('./collection'),
  require('./retained'),
  require('./global'),
  require('./timers'),
  require('./handles'),
  require('./heap'),
]

module.exports = { detectors }
