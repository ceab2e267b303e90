export * from './errors.js';
export * from './sandbox.js';
export * from './container.js';
export * from './device.js';
export * from './api.js';
