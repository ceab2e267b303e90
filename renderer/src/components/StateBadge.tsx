export function StateBadge({ state }: { state: string }) {
  return <span className={`badge badge-${state}`} aria-label={`state: ${state}`}>{state}</span>;
}
