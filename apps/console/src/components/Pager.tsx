/** Previous / next over cursor pages: the cursors seen so far are the way back. */
export function Pager({
  hasPrevious,
  nextCursor,
  onPrevious,
  onNext,
  label,
}: {
  hasPrevious: boolean;
  nextCursor: string | null | undefined;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
  label: string;
}) {
  return (
    <nav className="pager" aria-label="pages">
      <button type="button" disabled={!hasPrevious} onClick={onPrevious}>
        ← Newer
      </button>
      <span>{label}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && onNext(nextCursor)}>
        Older →
      </button>
    </nav>
  );
}
