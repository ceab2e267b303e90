/**
 * Vessel's persistent store, as virtcontainers' persist: per-sandbox config
 * and state files written atomically, and per-sandbox readers-writer locks
 * that work across processes.
 */
export { resolveStoreRoot } from './root.js';
export { SandboxStore, STORE_SCHEMA_VERSION, CONFIG_FILE, STATE_FILE } from './store.js';
export { DEFAULT_LOCK_TIMEOUT_MS } from './lock.js';
export type { LockMode, LockOptions } from './lock.js';
export { writeFileAtomic } from './atomic.js';
