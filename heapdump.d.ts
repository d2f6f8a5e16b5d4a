// Types of `leakguard/heapdump`: a drop-in for the `heapdump` package.

/**
 * Writes a heap snapshot of this process to `filename` (default `heapdump-<ms>.<pid>.heapsnapshot`
 * in the current directory), mode 0600, complete or not at all. The write is synchronous; the
 * callback is called before it returns with the error or the absolute path written.
 */
export function writeSnapshot(filename: string, callback: (err: Error | null, filename?: string) => void): void
export function writeSnapshot(callback: (err: Error | null, filename?: string) => void): void
/** Without a callback: true when the snapshot was written, false when it failed (like heapdump). */
export function writeSnapshot(filename?: string): boolean
