export { ImageService, type ImageProvider, type PreparedImage, type ImageUse, type ImageServiceOptions } from './service.js';
export { parseReference, formatReference, shortName, isLoopbackRegistry, type ImageReference } from './reference.js';
export { imageProcess, resolveUser, type ImageProcess, type ImageProcessOverrides } from './image-spec.js';
export { placeImageRootfs } from './rootfs.js';
export { ImageStore } from './store.js';
export { rootfsTransportHooks, chooseDefault, factoryKeepsVms, readRootfsDefault, writeRootfsDefault, transportUnavailable, type RootfsTransportHooks, type TransportChoice } from './rootfs-transport.js';
export { ensureBlockImage } from './block-rootfs.js';
export { runningVirtiofsd, stopVirtiofsd, virtiofsUnavailable } from './virtiofsd.js';
