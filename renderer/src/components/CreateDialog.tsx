import { useEffect, useRef, useState } from 'react';
import { CreateSandboxRequest, CreateContainerRequest, HypervisorType, parsePortFlag, type CreateProgress, type NetworkInfo, type PortMapping, type VesselError } from '../../../core/contract/index.js';
import { api, type StreamHandle } from '../api/client.js';
import { useStore } from '../store.js';
import { ImagePicker } from '../features/images/ImagePicker.js';
import { PortSuggestions } from '../features/images/PortSuggestions.js';
import { SourceHint } from '../features/factory/SourceHint.js';

interface Form {
  name: string;
  vcpus: string;
  memory: string;
  hypervisor: string;
  kernel: string;
  withContainer: boolean;
  command: string;
  tty: boolean;
  /** '' = the default (vessel as root, user otherwise); a network name, 'user' or 'none'. */
  network: string;
  /** '' = the built-in busybox. */
  image: string;
  /** -p values, space separated: [hostip:]hostport:containerport[/tcp|/udp]. */
  ports: string;
}

const INITIAL: Form = { name: '', vcpus: '1', memory: '512', hypervisor: 'qemu', kernel: '', withContainer: true, command: 'sh', tty: true, network: '', image: '', ports: '' };

type Errors = Partial<Record<keyof Form, string>>;

function toNumber(v: string): number {
  return /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
}

/** Validate with the contract's own schemas, so the dialog and the core agree. */
/** The typed -p values as mappings, and the first one that is not one. */
function portsOf(text: string): { ports: PortMapping[]; error?: string } {
  const ports: PortMapping[] = [];
  for (const word of text.split(/[\s,]+/).filter(Boolean)) {
    const p = parsePortFlag(word);
    if (typeof p === 'string') return { ports, error: p };
    ports.push(p);
  }
  return { ports };
}

function validate(f: Form) {
  const errors: Errors = {};
  const typed = portsOf(f.ports);
  if (typed.error) errors.ports = typed.error;
  else if (typed.ports.length && f.network === 'none') errors.ports = 'port forwards need a network (not none)';
  const sandbox = {
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    vcpus: toNumber(f.vcpus),
    memoryMiB: toNumber(f.memory),
    hypervisor: f.hypervisor,
    ...(f.kernel.trim() ? { kernel: f.kernel.trim() } : {}),
    ...(f.network ? { network: f.network } : {}),
    ...(typed.ports.length ? { ports: typed.ports } : {}),
  };
  const parsed = CreateSandboxRequest.safeParse(sandbox);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      const field: keyof Form = key === 'memoryMiB' ? 'memory' : key === 'vcpus' ? 'vcpus' : key === 'name' ? 'name' : key === 'kernel' ? 'kernel' : 'hypervisor';
      errors[field] ??= field === 'memory' && Number.isNaN(sandbox.memoryMiB) ? 'memory must be a whole number of MiB' : field === 'vcpus' && Number.isNaN(sandbox.vcpus) ? 'vCPUs must be a whole number' : issue.message;
    }
  }
  const args = f.command.trim().split(/\s+/).filter(Boolean);
  // With an image, an empty command runs the image's own Entrypoint + Cmd.
  const container = { ...(args.length ? { args } : {}), tty: f.tty, ...(f.image ? { image: f.image } : {}) };
  if (f.withContainer) {
    const c = CreateContainerRequest.safeParse(container);
    if (!c.success || (args.length === 0 && !f.image)) errors.command = 'give a command to run, e.g. sh';
  }
  return { errors, request: { sandbox, ...(f.withContainer ? { container } : {}) } };
}

function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string | undefined; hint?: string; children: React.ReactNode }) {
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? <div id={`${id}-error`} className="field-error" role="alert">{error}</div> : hint ? <div id={`${id}-hint`} className="hint">{hint}</div> : null}
    </div>
  );
}

export function CreateDialog() {
  const { createOpen, setCreateOpen, navigate, notify, refresh } = useStore();
  const ref = useRef<HTMLDialogElement>(null);
  const [form, setForm] = useState<Form>(INITIAL);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<string[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const stream = useRef<StreamHandle | null>(null);
  const [networks, setNetworks] = useState<NetworkInfo[]>([]);
  useEffect(() => {
    if (createOpen) api.call('network.list', {}).then(setNetworks, () => setNetworks([]));
  }, [createOpen]);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (createOpen && !d.open) {
      setForm(INITIAL);
      setTouched(false);
      setProgress([]);
      setFailure(null);
      d.showModal();
    } else if (!createOpen && d.open) d.close();
  }, [createOpen]);

  const { errors, request } = validate(form);
  const shown: Errors = touched ? errors : {};
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));
  const aria = (id: keyof Form) => ({ id: `create-${id}`, 'aria-invalid': Boolean(shown[id]), 'aria-describedby': shown[id] ? `create-${id}-error` : undefined });

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length > 0 || busy) return;
    setBusy(true);
    setFailure(null);
    setProgress(['asking the core to create the sandbox']);
    stream.current = api.open('create', request as never, {
      onItem: (p: CreateProgress) => {
        if (p.kind === 'done') {
          setBusy(false);
          setCreateOpen(false);
          notify('ok', `sandbox ${p.sandbox.name} is ${p.sandbox.state}`);
          void refresh();
          navigate({ page: 'sandbox', id: p.sandbox.id });
        } else setProgress((list) => [...list, p.kind === 'progress' ? `[${p.phase}] ${p.message}` : p.message]);
      },
      onError: (err: VesselError) => {
        setBusy(false);
        setFailure(`${err.code}: ${err.message}`);
        void refresh();
      },
    });
  };

  return (
    <dialog ref={ref} className="dialog" aria-labelledby="create-title" onClose={() => setCreateOpen(false)} onCancel={(e) => busy && e.preventDefault()}>
      <form onSubmit={submit} noValidate>
        <h2 id="create-title">New sandbox</h2>
        <div className="form-grid">
          <Field id="create-name" label="Name" error={shown.name} hint="optional; letters, digits, . _ -">
            <input {...aria('name')} value={form.name} onChange={(e) => set('name', e.target.value)} placeholder="my-sandbox" autoFocus disabled={busy} />
          </Field>
          <Field id="create-hypervisor" label="Hypervisor" error={shown.hypervisor}>
            <select {...aria('hypervisor')} value={form.hypervisor} onChange={(e) => set('hypervisor', e.target.value)} disabled={busy}>
              {HypervisorType.options.filter((h) => h !== 'mock').map((h) => (
                <option key={h} value={h} disabled={h !== 'qemu'}>{h}{h !== 'qemu' ? ' (not yet)' : ''}</option>
              ))}
            </select>
          </Field>
          <Field id="create-vcpus" label="vCPUs" error={shown.vcpus}>
            <input {...aria('vcpus')} inputMode="numeric" value={form.vcpus} onChange={(e) => set('vcpus', e.target.value)} disabled={busy} />
          </Field>
          <Field id="create-memory" label="Memory (MiB)" error={shown.memory} hint="64 – 262144">
            <input {...aria('memory')} inputMode="numeric" value={form.memory} onChange={(e) => set('memory', e.target.value)} disabled={busy} />
          </Field>
          <Field id="create-network" label="Network" hint="default: vessel as root, user-mode otherwise">
            <select id="create-network" value={form.network} onChange={(e) => set('network', e.target.value)} disabled={busy}>
              <option value="">default</option>
              {networks.map((n) => <option key={n.name} value={n.name}>{n.name} ({n.subnet})</option>)}
              <option value="user">user-mode (passt if it works here, else slirp)</option>
              <option value="user:passt">user-mode: passt (ports fixed while running)</option>
              <option value="user:slirp">user-mode: QEMU slirp (live port changes)</option>
              <option value="none">none (loopback only)</option>
            </select>
          </Field>
          <Field id="create-ports" label="Port forwards" error={shown.ports} hint="-p values, e.g. 8080:80 (host 127.0.0.1)">
            <input {...aria('ports')} value={form.ports} onChange={(e) => set('ports', e.target.value)} placeholder="8080:80/tcp" disabled={busy} />
            {form.withContainer && form.image ? (
              <PortSuggestions image={form.image} forwarded={portsOf(form.ports).ports} disabled={busy} onAdd={(flag) => setForm((f) => ({ ...f, ports: [f.ports.trim(), flag].filter(Boolean).join(' ') }))} />
            ) : null}
          </Field>
          <Field id="create-kernel" label="Kernel" error={shown.kernel} hint="empty: the built guest kernel">
            <input {...aria('kernel')} value={form.kernel} onChange={(e) => set('kernel', e.target.value)} placeholder="/path/to/vmlinuz" disabled={busy} />
          </Field>
        </div>
        <fieldset disabled={busy}>
          <legend>
            <label><input type="checkbox" checked={form.withContainer} onChange={(e) => set('withContainer', e.target.checked)} /> Start a first container</label>
          </legend>
          {form.withContainer ? (
            <div className="form-grid">
              <Field id="create-image" label="Image">
                <ImagePicker id="create-image" value={form.image} onChange={(v) => setForm((f) => ({ ...f, image: v, command: v && f.command === 'sh' ? '' : f.command }))} />
              </Field>
              <Field id="create-command" label="Command" error={shown.command} hint={form.image ? "empty: the image's own command" : undefined}>
                <input {...aria('command')} value={form.command} onChange={(e) => set('command', e.target.value)} />
              </Field>
              <div className="field">
                <label><input type="checkbox" checked={form.tty} onChange={(e) => set('tty', e.target.checked)} /> TTY</label>
              </div>
            </div>
          ) : null}
        </fieldset>
        {form.hypervisor === 'qemu' && !form.kernel ? <SourceHint request={Object.keys(errors).length === 0 ? (request as { sandbox: CreateSandboxRequest }).sandbox : null} /> : null}
        {progress.length > 0 ? (
          <div className="progress" role="status" aria-live="polite" aria-label="boot progress">
            {busy ? <div className="bar" aria-hidden="true"><div /></div> : null}
            <ol>{progress.map((p, i) => <li key={i}>{p}</li>)}</ol>
          </div>
        ) : null}
        {failure ? <p className="error" role="alert">{failure}</p> : null}
        <div className="actions">
          <button type="button" onClick={() => setCreateOpen(false)} disabled={busy}>Cancel</button>
          <button type="submit" className="primary" disabled={busy}>{busy ? 'Booting…' : 'Create'}</button>
        </div>
      </form>
    </dialog>
  );
}
