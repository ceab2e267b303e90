import { useEffect, useState } from 'react';
import { api } from '../../api/client.js';
import { act } from '../../store.js';
import { useImages, type Pull } from './store.js';
import { bytes, shortDigest } from './format.js';

function PullRow({ pull }: { pull: Pull }) {
  const { cancel, dismissPull } = useImages();
  const p = pull.progress;
  const total = p?.totalBytes ?? 0;
  const pct = total > 0 ? Math.round(((p?.doneBytes ?? 0) / total) * 100) : 0;
  const running = !pull.done && !pull.error;
  return (
    <div className="pull" data-pull={pull.reference} aria-label={`pull of ${pull.reference}`}>
      <div className="pull-head">
        <strong className="mono">{pull.reference}</strong>
        <span className="sub">
          {pull.error ? pull.error : pull.done ? 'pulled' : p ? `${p.phase} · ${bytes(p.doneBytes)} / ${bytes(total)} · ${bytes(p.rate)}/s` : 'resolving'}
        </span>
        {running ? <button onClick={() => cancel(pull.reference)}>Cancel</button> : <button className="icon" aria-label={`dismiss pull of ${pull.reference}`} onClick={() => dismissPull(pull.reference)}>×</button>}
      </div>
      {running ? <progress max={100} value={pct} aria-label={`total progress of ${pull.reference}`} /> : null}
      {p && running ? (
        <ul className="layers" aria-label="layers">
          {p.layers.map((l) => (
            <li key={l.digest} data-layer={shortDigest(l.digest)}>
              <span className="mono">{l.kind} {shortDigest(l.digest)}</span>
              <progress max={Math.max(1, l.size)} value={l.done} aria-label={`layer ${shortDigest(l.digest)}`} />
              <span className="sub">{bytes(l.done)} / {bytes(l.size)} · {l.state}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function ImagesPage() {
  const { images, loaded, error, pulls, refresh, pull } = useImages();
  const [reference, setReference] = useState('');
  const [platform, setPlatform] = useState('linux/amd64');
  const [insecure, setInsecure] = useState(false);
  const [importFile, setImportFile] = useState('');
  useEffect(() => {
    void refresh();
    const t = setInterval(() => void refresh(), 5000);
    return () => clearInterval(t);
  }, [refresh]);
  const submitPull = (e: React.FormEvent) => {
    e.preventDefault();
    if (reference.trim()) pull(reference.trim(), { platform, insecure });
  };
  const submitImport = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!importFile.trim()) return;
    if (await act(`Importing ${importFile.trim()}`, () => api.call('image.import', { file: importFile.trim() }))) setImportFile('');
    void refresh();
  };
  return (
    <section className="page" aria-labelledby="images-title">
      <header className="page-head"><h1 id="images-title">Images</h1></header>
      <form className="toolbar" onSubmit={submitPull} aria-label="pull an image">
        <label htmlFor="pull-ref">Pull</label>
        <input id="pull-ref" className="mono" value={reference} onChange={(e) => setReference(e.target.value)} placeholder="debian:12, registry:5000/team/app:1" />
        <label htmlFor="pull-platform">Platform</label>
        <input id="pull-platform" className="mono" value={platform} onChange={(e) => setPlatform(e.target.value)} size={12} />
        <label><input type="checkbox" checked={insecure} onChange={(e) => setInsecure(e.target.checked)} /> plain HTTP</label>
        <button type="submit" className="primary" disabled={!reference.trim()}>Pull</button>
      </form>
      {pulls.length > 0 ? <div className="pulls" role="status" aria-live="polite" aria-label="pulls">{pulls.map((p) => <PullRow key={p.reference} pull={p} />)}</div> : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
      {loaded && images.length === 0 ? <p className="sub">No images yet: pull one above, or import an archive.</p> : null}
      {images.length > 0 ? (
        <table className="grid" aria-label="images">
          <thead><tr><th>Name</th><th>Digest</th><th className="num">Size</th><th>Created</th><th>Used by</th><th>Actions</th></tr></thead>
          <tbody>
            {images.map((i) => (
              <tr key={i.name} data-image={i.name}>
                <td>{i.repository.replace(/^docker\.io\/(library\/)?/, '')}<div className="sub">{i.tag ?? '(digest)'}{i.platform ? ` · ${i.platform.os}/${i.platform.architecture}` : ''}</div></td>
                <td className="mono" title={i.digest}>{shortDigest(i.digest)}</td>
                <td className="num">{bytes(i.size)}</td>
                <td>{i.created ? i.created.slice(0, 19).replace('T', ' ') : '–'}</td>
                <td>{i.usedBy.length ? i.usedBy.map((u) => `${u.sandboxName}/${u.containerName}`).join(', ') : '–'}</td>
                <td>
                  <button
                    onClick={() => void act(`Deleting ${i.shortName}`, () => api.call('image.remove', { image: i.name })).then(() => refresh())}
                    disabled={i.usedBy.length > 0}
                    title={i.usedBy.length ? `in use by ${i.usedBy.map((u) => `container ${u.containerName} in sandbox ${u.sandboxName}`).join(', ')}` : 'delete this image'}
                    aria-label={`delete ${i.shortName}`}
                  >Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form className="toolbar" onSubmit={(e) => void submitImport(e)} aria-label="import an image archive">
        <label htmlFor="import-file">Import</label>
        <input id="import-file" className="mono" value={importFile} onChange={(e) => setImportFile(e.target.value)} placeholder="/path/to/image.tar (podman save / docker save)" />
        <button type="submit" disabled={!importFile.trim()}>Import</button>
      </form>
    </section>
  );
}
