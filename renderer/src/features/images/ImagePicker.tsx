import { useEffect } from 'react';
import { useImages } from './store.js';

/** "busybox (built in)" or a local image: what the create dialog and "run another" offer. '' = busybox. */
export function ImagePicker({ id, value, onChange, disabled }: { id: string; value: string; onChange: (image: string) => void; disabled?: boolean }) {
  const { images, refresh } = useImages();
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled} aria-label="image">
      <option value="">busybox (built in)</option>
      {images.map((i) => <option key={i.name} value={i.name}>{i.shortName}</option>)}
    </select>
  );
}
