// Formatting for people: sizes in 1000-based units, durations, times in the viewer's zone (UTC in the title).

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** A byte count in 1000-based units: "950 B", "1.2 kB", "34.5 MB", "120 GB". */
export function bytes(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  let size = Math.abs(value);
  let unit = 0;
  while (size >= 1000 && unit < SIZE_UNITS.length - 1) { size /= 1000; unit += 1; }
  const sign = value < 0 ? '-' : '';
  if (unit === 0) return `${sign}${Math.round(size)} B`;
  // 999.95 kB rounds to "1000.0": show it as the next unit instead.
  if (size >= 999.95 && unit < SIZE_UNITS.length - 1) { size /= 1000; unit += 1; }
  return `${sign}${size < 100 ? size.toFixed(1) : Math.round(size)} ${SIZE_UNITS[unit]}`;
}

/** A duration in seconds: "0.4 s", "42 s", "3 min 5 s", "2 h 7 min", "3 d 4 h". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
  const s = Math.abs(seconds);
  if (s === 0) return '0 s';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) {
    const minutes = Math.floor(s / 60);
    const rest = Math.round(s - minutes * 60);
    return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
  }
  if (s < 86400) {
    const hours = Math.floor(s / 3600);
    const minutes = Math.round((s - hours * 3600) / 60);
    return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
  }
  const days = Math.floor(s / 86400);
  const hours = Math.round((s - days * 86400) / 3600);
  return hours === 0 ? `${days} d` : `${days} d ${hours} h`;
}

/** An age: "just now", "5 min ago", "3 h ago", "2 d ago". */
export function age(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return 'just now';
  return `${duration(seconds).replace(/ \d+ (s|min|h)$/, '')} ago`;
}

/** A relative change as an arrow and a percentage: "▲ 12%", "▼ 3.5%", "= 0%"; null for no change known. */
export function change(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return null;
  const percent = Math.abs(ratio * 100);
  const text = percent < 10 ? percent.toFixed(1).replace(/\.0$/, '') : String(Math.round(percent));
  if (percent < 0.05) return '= 0%';
  return `${ratio > 0 ? '▲' : '▼'} ${text}%`;
}

/** "2026-12-06 17:04:09 UTC": the title of every shown time. */
export function utcText(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A time in a zone (the viewer's when none is given), e.g. "6 Dec 2026, 18:04". */
export function localTime(iso, timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  const options = { dateStyle: 'medium', timeStyle: 'short' };
  if (timeZone) options.timeZone = timeZone;
  try {
    return new Intl.DateTimeFormat(undefined, options).format(date);
  } catch {
    // An unknown zone (the user is still typing it): the viewer's own.
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
  }
}

/** The name a restore of a source proposes: {source}_restore_{yyyyMMddHHmm} (UTC), lower-case, a valid database name. */
export function proposedTargetDatabase(source, now) {
  const stamp = now.toISOString().slice(0, 16).replace(/[-T:]/g, '');
  let name = source.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z_]/.test(name)) name = `db_${name}`;
  return `${name.slice(0, 63 - '_restore_'.length - stamp.length)}_restore_${stamp}`;
}

/** The start of a calendar date (yyyy-mm-dd) in the viewer's zone, as an ISO instant; null when empty or not a date. */
export function startOfLocalDate(date, addDays = 0) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date ?? '')) return null;
  const [year, month, day] = date.split('-').map(Number);
  const start = new Date(year, month - 1, day + addDays);
  return Number.isNaN(start.getTime()) ? null : start.toISOString();
}

/** A calendar date in a zone (the viewer's when none is given), e.g. "6 Dec 2026". */
export function localDate(iso, timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(date);
  }
}
