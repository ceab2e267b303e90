export * from './errors.js';
export * from './sandbox.js';
export * from './container.js';
export * from './image.js';
export * from './device.js';
export * from './api.js';
export * from './factory.js';
export * from './network.js';
