'use strict'
// A small service with two classic listener leaks and one correct pattern.

const { EventEmitter } = require('node:events')

const config = new EventEmitter() // module-level, lives as long as the process

// LEAK 1: every request subscribes to config changes and never unsubscribes.
function handleRequest(req) {
  config.on('change', () => req.refresh())
  return req.id
}

// LEAK 2: a long-lived AbortSignal collects an 'abort' listener per job.
const shutdown = new AbortController()
function runJob(job) {
  shutdown.signal.addEventListener('abort', () => job.cancel())
}

// CORRECT: the listener is removed when the request ends (the seed article's pattern).
function streamRequest(req) {
  const onData = (chunk) => req.body.push(chunk)
  req.on('data', onData)
  req.on('end', () => req.removeListener('data', onData))
}

module.exports = { handleRequest, runJob, streamRequest, config, shutdown }
