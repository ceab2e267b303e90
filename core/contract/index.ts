export * from './errors.js';
export * from './sandbox.js';
