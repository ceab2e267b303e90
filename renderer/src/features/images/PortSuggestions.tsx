import { useEffect, useState } from 'react';
import './images.css';
import { suggestPortForwards, type PortMapping, type PortSuggestion } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';

/**
 * The image's ExposedPorts as port forwards one click away (the create
 * dialog): each not yet forwarded is a button that adds its -p value.
 */
export function PortSuggestions({ image, forwarded, onAdd, disabled }: { image: string; forwarded: PortMapping[]; onAdd: (flag: string) => void; disabled?: boolean }) {
  const [exposed, setExposed] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    setExposed([]);
    if (image) api.call('image.inspect', { image }).then((i) => live && setExposed(i.config.exposedPorts), () => live && setExposed([]));
    return () => {
      live = false;
    };
  }, [image]);
  const suggestions: PortSuggestion[] = suggestPortForwards(exposed, forwarded);
  if (suggestions.length === 0) return null;
  return (
    <div className="port-suggestions" role="group" aria-label="suggested port forwards">
      <span className="hint">the image exposes {suggestions.map((s) => s.exposed).join(', ')}:</span>
      {suggestions.map((s) => (
        <button key={s.flag} type="button" className="chip" onClick={() => onAdd(s.flag)} disabled={disabled} title={`forward 127.0.0.1:${s.mapping.hostPort} on the host to port ${s.mapping.containerPort}/${s.mapping.protocol} in the sandbox`}>
          + {s.flag}
        </button>
      ))}
    </div>
  );
}
