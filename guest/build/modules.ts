// Kernel module selection: resolve the modules the guest needs, with their
// dependencies, in load order, from the kernel's own modules.dep.
import path from 'node:path';

/** "virtio-rng", "virtio_rng.ko.xz" and "kernel/…/virtio_rng.ko" all name virtio_rng. */
export function moduleName(file: string): string {
  return path.basename(file).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

export interface ModuleIndex {
  /** module name → path relative to /lib/modules/<release> */
  paths: Map<string, string>;
  /** module name → names of the modules it needs */
  deps: Map<string, string[]>;
}

export function parseModulesDep(text: string): ModuleIndex {
  const paths = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const file = line.slice(0, colon).trim();
    const name = moduleName(file);
    paths.set(name, file);
    deps.set(name, line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(moduleName));
  }
  return { paths, deps };
}

export function parseModulesBuiltin(text: string): Set<string> {
  return new Set(text.split('\n').map((l) => l.trim()).filter(Boolean).map(moduleName));
}

export interface ModuleResolution {
  /** Module names in an order insmod accepts (dependencies first). */
  order: string[];
  /** Requested modules that are built into the kernel (nothing to load). */
  builtin: string[];
  /** Requested modules the kernel has neither as module nor built in. */
  missing: string[];
}

export function resolveModules(index: ModuleIndex, builtin: Set<string>, wanted: string[]): ModuleResolution {
  const order: string[] = [];
  const seen = new Set<string>();
  const builtinHits: string[] = [];
  const missing: string[] = [];
  const visit = (name: string, chain: string[]): void => {
    if (seen.has(name)) return;
    if (chain.includes(name)) throw new Error(`module dependency cycle: ${[...chain, name].join(' -> ')}`);
    const deps = index.deps.get(name);
    if (deps === undefined) throw new Error(`modules.dep names ${name} as a dependency but has no entry for it`);
    for (const dep of deps) visit(dep, [...chain, name]);
    seen.add(name);
    order.push(name);
  };
  for (const raw of wanted) {
    const name = moduleName(raw);
    if (index.paths.has(name)) visit(name, []);
    else if (builtin.has(name)) builtinHits.push(name);
    else missing.push(name);
  }
  return { order, builtin: builtinHits, missing };
}
