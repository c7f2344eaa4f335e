import { describe, expect, it } from 'vitest';
import { contextStatus, formatDuration, formatInstant } from '../../utils/blackout';

// The 2017 French presidential second round: blackout from Saturday 6 May 00:00 to Sunday
// 7 May 20:00, Europe/Paris (CEST, UTC+2).
const CTX = { start: '2017-05-05T22:00:00Z', end: '2017-05-07T18:00:00Z' };
const START = Date.parse(CTX.start);
const END = Date.parse(CTX.end);
const HOUR = 3_600_000;

describe('contextStatus', () => {
  it('is upcoming before the start, with the time left', () => {
    const now = Date.parse('2017-05-05T12:00:00Z');
    expect(contextStatus(CTX, now)).toEqual({
      state: 'upcoming',
      start: START,
      end: END,
      msUntilStart: 10 * HOUR,
    });
  });

  it('is active from the exact start', () => {
    expect(contextStatus(CTX, START)).toEqual({
      state: 'active',
      start: START,
      end: END,
      msUntilEnd: END - START,
    });
  });

  it('is upcoming one millisecond before the start', () => {
    expect(contextStatus(CTX, START - 1).state).toBe('upcoming');
  });

  it('is active inside the window, with the time left', () => {
    const now = Date.parse('2017-05-07T10:00:00Z'); // Sunday 12:00 in Paris
    expect(contextStatus(CTX, now)).toMatchObject({ state: 'active', msUntilEnd: 8 * HOUR });
  });

  it('is active one millisecond before the end and over at the exact end (polls close)', () => {
    expect(contextStatus(CTX, END - 1)).toMatchObject({ state: 'active', msUntilEnd: 1 });
    expect(contextStatus(CTX, END)).toEqual({ state: 'over', start: START, end: END });
  });

  it('is over afterwards', () => {
    expect(contextStatus(CTX, Date.parse('2017-05-08T09:00:00Z')).state).toBe('over');
  });

  it('reads instants written with an offset', () => {
    const ctx = { start: '2017-05-06T00:00:00+02:00', end: '2017-05-07T20:00:00+02:00' };
    expect(contextStatus(ctx, START)).toMatchObject({ state: 'active', start: START, end: END });
  });
});

describe('formatInstant', () => {
  it('shows the time once when the reader is in the same zone', () => {
    expect(formatInstant(END, 'fr-FR', 'Europe/Paris', 'Europe/Paris')).toBe(
      'dimanche 7 mai 2017 à 20:00 (Paris)',
    );
    // ICU versions differ on the comma after the weekday.
    expect(formatInstant(START, 'en-GB', 'Europe/Paris', 'Europe/Paris')).toMatch(
      /^Saturday,? 6 May 2017 at 00:00 \(Paris\)$/,
    );
  });

  it('shows local time with its zone and the Paris time when they differ', () => {
    const text = formatInstant(END, 'en-GB', 'Europe/Paris', 'America/New_York');
    expect(text).toMatch(/^Sunday,? 7 May 2017 at 14:00 GMT-4 · 20:00 \(Paris\)$/);
  });

  it('repeats the date when the Paris date differs from the local one', () => {
    const text = formatInstant(END, 'en-GB', 'Europe/Paris', 'Asia/Tokyo');
    expect(text).toMatch(/^Monday,? 8 May 2017 at 03:00 GMT\+9 · Sunday,? 7 May 2017 at 20:00 \(Paris\)$/);
  });

  it('shows a zone without city prettily', () => {
    expect(formatInstant(END, 'en-GB', 'America/New_York', 'America/New_York')).toContain('(New York)');
  });
});

describe('formatDuration', () => {
  it('uses the two largest units, in English and French', () => {
    const d = 2 * 24 * HOUR + 3 * HOUR + 25 * 60_000;
    expect(formatDuration(d, 'en-GB')).toBe('in 2 days 3 h');
    expect(formatDuration(d, 'fr-FR')).toBe('dans 2 j 3 h');
    expect(formatDuration(3 * HOUR + 20 * 60_000, 'en')).toBe('in 3 h 20 min');
    expect(formatDuration(3 * HOUR + 20 * 60_000, 'fr')).toBe('dans 3 h 20 min');
  });

  it('drops zero units and uses the singular', () => {
    expect(formatDuration(24 * HOUR, 'en')).toBe('in 1 day');
    expect(formatDuration(2 * HOUR, 'en')).toBe('in 2 h');
    expect(formatDuration(5 * 60_000, 'fr')).toBe('dans 5 min');
  });

  it('rounds down, so a deadline is never announced late', () => {
    expect(formatDuration(HOUR - 1, 'en')).toBe('in 59 min');
    expect(formatDuration(59_999, 'en')).toBe('in less than a minute');
    expect(formatDuration(-5, 'fr')).toBe('dans moins d’une minute');
  });

  it('falls back to English for other languages', () => {
    expect(formatDuration(2 * HOUR, 'de-DE')).toBe('in 2 h');
  });

  it('counts the 2017 blackout from the Friday noon before it', () => {
    const now = Date.parse('2017-05-05T10:00:00Z');
    const status = contextStatus(CTX, now);
    expect(formatDuration(status.msUntilStart ?? 0, 'en')).toBe('in 12 h');
    expect(formatDuration(END - now, 'fr')).toBe('dans 2 j 8 h');
  });
});
