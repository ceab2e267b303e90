export { ApiSession, type ApiSessionOptions } from './session.js';
export { callHandlers, DEFAULT_SHELL } from './handlers.js';
