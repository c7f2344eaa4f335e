import type { ListContext } from './list-schema';

/**
 * Where "now" stands against a context's window (for an election, the legal blackout). The
 * window is half-open, [start, end): at `end` the restriction is lifted (in France, polls close
 * and results may be published at 20:00 exactly).
 */

export type ContextState = 'active' | 'upcoming' | 'over';

export interface ContextStatus {
  state: ContextState;
  start: number;
  end: number;
  /** Only while upcoming. */
  msUntilStart?: number;
  /** Only while active. */
  msUntilEnd?: number;
}

export function contextStatus(ctx: Pick<ListContext, 'start' | 'end'>, now: number): ContextStatus {
  const start = Date.parse(ctx.start);
  const end = Date.parse(ctx.end);
  if (now < start) return { state: 'upcoming', start, end, msUntilStart: start - now };
  if (now < end) return { state: 'active', start, end, msUntilEnd: end - now };
  return { state: 'over', start, end };
}

function dateTimeFormat(locale: string, timeZone: string, withZoneName: boolean): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(withZoneName ? { timeZoneName: 'short' } : {}),
  });
}

function timeFormat(locale: string, timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit' });
}

function dayKey(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(ms);
}

/** "Europe/Paris" -> "Paris": the city is understood in every language, unlike a zone abbreviation. */
function zoneCity(timeZone: string): string {
  return (timeZone.split('/').pop() ?? timeZone).replace(/_/g, ' ');
}

/**
 * An instant as the reader's local time and as the time in the zone where the rule applies, since a
 * legal deadline is set in its own zone ("20:00 in Paris") but acted on in the reader's. When both
 * zones show the same clock, it is shown once.
 * e.g. "Sunday 7 May 2017 at 14:00 GMT-4 · 20:00 (Paris)"
 */
export function formatInstant(
  ms: number,
  locale: string,
  timeZone: string,
  localTimeZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone,
): string {
  const city = zoneCity(timeZone);
  const zoned = dateTimeFormat(locale, timeZone, false).format(ms);
  if (zoned === dateTimeFormat(locale, localTimeZone, false).format(ms)) return `${zoned} (${city})`;
  const local = dateTimeFormat(locale, localTimeZone, true).format(ms);
  const sameDay = dayKey(ms, timeZone) === dayKey(ms, localTimeZone);
  const there = sameDay ? timeFormat(locale, timeZone).format(ms) : zoned;
  return `${local} · ${there} (${city})`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface DurationWords {
  lessThanAMinute: string;
  prefix: string;
  day: (n: number) => string;
  hour: string;
  minute: string;
}

const DURATION_WORDS: Record<'en' | 'fr', DurationWords> = {
  en: {
    lessThanAMinute: 'in less than a minute',
    prefix: 'in',
    day: (n) => (n === 1 ? 'day' : 'days'),
    hour: 'h',
    minute: 'min',
  },
  fr: {
    lessThanAMinute: 'dans moins d’une minute',
    prefix: 'dans',
    day: () => 'j',
    hour: 'h',
    minute: 'min',
  },
};

/**
 * A time left, to the two largest units: "in 2 days 3 h", "in 3 h 20 min" / "dans 2 j 3 h". It is
 * rounded down, so a deadline is never announced later than it is. Negative values count as zero.
 */
export function formatDuration(ms: number, locale: string): string {
  const words = DURATION_WORDS[locale.toLowerCase().startsWith('fr') ? 'fr' : 'en'];
  const left = Math.max(0, ms);
  if (left < MINUTE) return words.lessThanAMinute;
  const days = Math.floor(left / DAY);
  const hours = Math.floor((left % DAY) / HOUR);
  const minutes = Math.floor((left % HOUR) / MINUTE);
  const parts: string[] = [];
  if (days > 0) {
    parts.push(`${days} ${words.day(days)}`);
    if (hours > 0) parts.push(`${hours} ${words.hour}`);
  } else {
    if (hours > 0) parts.push(`${hours} ${words.hour}`);
    if (minutes > 0) parts.push(`${minutes} ${words.minute}`);
  }
  return `${words.prefix} ${parts.join(' ')}`;
}
