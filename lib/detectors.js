'use strict'
// The detector registry. `check()` runs every registered detector; each kind of leak
// (listeners here; collections, watched objects, globals in their own files) is one detector:
//
//   {
//     kind: 'listeners',                 // the Leak kind it reports
//     start(options) {}, stop() {},      // optional: install / drop instrumentation
//     baseline() {},                     // optional: "from now on"
//     async collect(context) -> Leak[],  // context: { options, checkOptions, cwd, binding }
//     collectSync(context) -> Leak[],    // optional: the same without waiting (toLeak on a sync fn)
//     enterScope() -> token,             // optional: a nested block counted on its own
//     exitScope(token),                  //   (lib/epochs.js); without them a block is a baseline()
//     async annotate(leaks, context) {}, // optional: adds fields to the findings of every
//   }                                    //   detector (explain: retainer paths)
//
// Detectors register at require time of their module; lib/session.js requires them all.

const detectors = []

/** Adds a detector; registering the same kind twice replaces the first. */
function registerDetector(detector) {
  const i = detectors.findIndex((d) => d.kind === detector.kind)
  if (i >= 0) detectors[i] = detector
  else detectors.push(detector)
}

module.exports = { detectors, registerDetector }
