import { readFileSync } from 'node:fs';

/**
 * Vendor, device and class names from the PCI ID database (Debian's `pci.ids`
 * package, /usr/share/misc/pci.ids), the same file lspci reads. Parsed once,
 * on first use; a missing file only means no names.
 */

export const DEFAULT_PCI_IDS = '/usr/share/misc/pci.ids';

export interface PciNames {
  vendor(vendorId: string): string | null;
  device(vendorId: string, deviceId: string): string | null;
  /** A name for a 24-bit class code: the subclass, with the prog-if in parentheses when pci.ids names one; else the class. */
  className(classCode: string): string | null;
}

interface Parsed {
  vendors: Map<string, string>;
  devices: Map<string, string>;
  classes: Map<string, string>;
}

export function parsePciIds(text: string): Parsed {
  const vendors = new Map<string, string>();
  const devices = new Map<string, string>();
  const classes = new Map<string, string>();
  let vendor: string | null = null;
  let klass: string | null = null;
  let subclass: string | null = null;
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    let m: RegExpExecArray | null;
    if ((m = /^C ([0-9a-f]{2})\s+(.*)$/.exec(line))) {
      klass = m[1] ?? null;
      subclass = null;
      vendor = null;
      if (klass) classes.set(klass, m[2] ?? '');
    } else if (klass !== null && (m = /^\t\t([0-9a-f]{2})\s+(.*)$/.exec(line))) {
      if (subclass) classes.set(`${klass}${subclass}${m[1]}`, m[2] ?? '');
    } else if (klass !== null && (m = /^\t([0-9a-f]{2})\s+(.*)$/.exec(line))) {
      subclass = m[1] ?? null;
      classes.set(`${klass}${subclass}`, m[2] ?? '');
    } else if ((m = /^([0-9a-f]{4})\s+(.*)$/.exec(line))) {
      vendor = m[1] ?? null;
      klass = null;
      if (vendor) vendors.set(vendor, m[2] ?? '');
    } else if (vendor !== null && (m = /^\t([0-9a-f]{4})\s+(.*)$/.exec(line))) {
      devices.set(`${vendor}:${m[1]}`, m[2] ?? '');
    }
  }
  return { vendors, devices, classes };
}

/** One parse per file per process (the file is ~1.3 MB). */
const cache = new Map<string, Parsed>();

export function loadPciNames(file: string = DEFAULT_PCI_IDS): PciNames {
  const get = (): Parsed => {
    let parsed = cache.get(file);
    if (parsed) return parsed;
    try {
      parsed = parsePciIds(readFileSync(file, 'utf8'));
    } catch {
      parsed = { vendors: new Map(), devices: new Map(), classes: new Map() };
    }
    cache.set(file, parsed);
    return parsed;
  };
  return {
    vendor: (v) => get().vendors.get(v.toLowerCase()) ?? null,
    device: (v, d) => get().devices.get(`${v.toLowerCase()}:${d.toLowerCase()}`) ?? null,
    className: (code) => {
      const c = code.toLowerCase().padStart(6, '0');
      const p = get();
      const sub = p.classes.get(c.slice(0, 4)) ?? null;
      const progIf = p.classes.get(c) ?? null;
      if (sub && progIf) return `${sub} (${progIf})`;
      return sub ?? p.classes.get(c.slice(0, 2)) ?? null;
    },
  };
}
