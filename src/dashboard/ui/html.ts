import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

/** Tagged templates instead of JSX, so the UI needs no compile step of its own. */
export const html = htm.bind(h);

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/** Loads `fn` at mount and every `everyMs` (if given) while the page is shown. */
export function useLoad<T>(fn: () => Promise<T>, everyMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let live = true;
    const run = () =>
      fnRef.current().then(
        (d) => {
          if (!live) return;
          setData(d);
          setError(undefined);
        },
        (e: unknown) => live && setError((e as Error).message),
      );
    void run();
    const timer = everyMs ? setInterval(run, everyMs) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [tick, everyMs]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
