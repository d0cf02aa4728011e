// Numbers and times as the page writes them. Capture times are epoch decimal strings (the
// capture's own precision); they are split as text so microseconds are never rounded away.

export type TimeMode = 'absolute' | 'relative' | 'delta';

/** "2026-11-24 15:01:24.343801 UTC". */
export function formatEpoch(time: string | null, withDate = true): string {
  if (!time) return '–';
  const [whole, fraction = ''] = time.split('.');
  const iso = new Date(Number(whole) * 1000).toISOString();
  const frac = fraction ? `.${fraction.slice(0, 6)}` : '';
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac} UTC` : `${iso.slice(11, 19)}${frac}`;
}

/** Seconds between two epoch decimal strings (for spans and durations, a double is precise enough). */
export function secondsBetween(from: string, to: string): number {
  return Number(to) - Number(from);
}

/** "850 ms", "3.21 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '–';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toLocaleString('en-US');
}

/** The time column of one ladder row: UTC time of day, seconds since the first message, or since the previous one. */
export function formatRowTime(mode: TimeMode, time: string, offset: number, delta: number): string {
  if (mode === 'absolute') return formatEpoch(time, false);
  if (mode === 'relative') return offset.toFixed(6);
  return `+${delta.toFixed(6)}`;
}

/** The user part of a SIP URI ("sip:alice@example.com" -> "alice"), or the URI when it has none. */
export function uriUser(uri: string | null): string | null {
  if (!uri) return null;
  const m = /^(?:sips?|tel):([^@;>]+)@?/i.exec(uri);
  return m ? m[1] : uri;
}
