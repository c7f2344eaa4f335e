import { htmlToBlocks } from './blocks';

/**
 * Just enough RFC 5322 / MIME to read the words of an e-mail: unfolded headers (Subject, From,
 * To, Date kept as text), multipart bodies walked recursively, quoted-printable and base64
 * decoded, charsets through TextDecoder, HTML parts reduced to visible text. Attachments that
 * are not text are skipped.
 */

interface Part {
  headers: Map<string, string>;
  body: string;
}

function splitHeaders(raw: string): Part {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 2);
  const headers = new Map<string, string>();
  let current: string | null = null;
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && current) {
      headers.set(current, `${headers.get(current)} ${line.trim()}`);
      continue;
    }
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (!m) return { headers: new Map(), body: text }; // not a header block: all body
    current = m[1]!.toLowerCase();
    headers.set(current, m[2]!);
  }
  return { headers, body };
}

function parameter(header: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(header);
  return m ? (m[1] ?? m[2]) : undefined;
}

function bytesOfLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function decodeTransfer(body: string, encoding: string | undefined): Uint8Array {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'base64': {
      const clean = body.replace(/[^A-Za-z0-9+/]/g, '');
      const bin = atob(clean.slice(0, clean.length - (clean.length % 4)));
      return bytesOfLatin1(bin);
    }
    case 'quoted-printable':
      return bytesOfLatin1(
        body
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      );
    default:
      return bytesOfLatin1(body);
  }
}

/** RFC 2047 encoded words in headers (=?utf-8?Q?...?= / =?utf-8?B?...?=). */
export function decodeHeaderWords(value: string): string {
  return value.replace(
    /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g,
    (_, charset: string, kind: string, data: string) => {
      const bytes =
        kind.toUpperCase() === 'B'
          ? decodeTransfer(data, 'base64')
          : decodeTransfer(data.replace(/_/g, ' '), 'quoted-printable');
      return decodeCharset(bytes, charset);
    },
  );
}

function partText(part: Part, depth: number): string[] {
  const type = part.headers.get('content-type') ?? 'text/plain';
  const mime = type.split(';')[0]!.trim().toLowerCase();
  if (mime.startsWith('multipart/') && depth < 10) {
    const boundary = parameter(type, 'boundary');
    if (!boundary) return [part.body];
    const pieces = part.body.split(
      new RegExp(`^--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?\\s*$`, 'm'),
    );
    const parts = pieces.slice(1, -1).map((p) => splitHeaders(p.replace(/^\n/, '')));
    // multipart/alternative carries one text twice: read the plain version when there is one.
    if (mime === 'multipart/alternative') {
      const plain = parts.find((p) =>
        (p.headers.get('content-type') ?? 'text/plain').toLowerCase().startsWith('text/plain'),
      );
      if (plain) return partText(plain, depth + 1);
    }
    return parts.flatMap((p) => partText(p, depth + 1));
  }
  if (mime === 'message/rfc822' && depth < 10) return emlToText(part.body, depth + 1);
  if (!mime.startsWith('text/')) return [];
  const text = decodeCharset(
    decodeTransfer(part.body, part.headers.get('content-transfer-encoding')),
    parameter(type, 'charset'),
  );
  return mime === 'text/html' ? htmlToBlocks(text).map((b) => b.text) : [text];
}

function emlToText(raw: string, depth: number): string[] {
  const part = splitHeaders(raw);
  const subject = part.headers.get('subject');
  return [...(subject ? [decodeHeaderWords(subject)] : []), ...partText(part, depth)];
}

/** The readable text of an e-mail: subject, then the text of its body parts, as paragraphs. */
export function emlToParagraphs(raw: string): string[] {
  return emlToText(raw, 0).filter((t) => t.trim().length > 0);
}
