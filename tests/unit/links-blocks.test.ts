import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { htmlToBlocks, textToBlocks } from '../../utils/blocks';
import { emlToParagraphs } from '../../utils/eml';
import {
  hashtagsInLink,
  hostCandidates,
  parseLink,
  parseUrlPattern,
  pathMatches,
  plainLinkHost,
  urlsInText,
} from '../../utils/links';
import { normaliseHashtag } from '../../utils/normalise';

function linkMatches(pattern: string, href: string): boolean {
  const p = parseUrlPattern(pattern)!;
  const l = parseLink(href);
  return !!l && hostCandidates(l.host).includes(p.host) && pathMatches(l.path, p.path);
}

describe('link patterns', () => {
  it.each([
    ['leaks.example.net/dump', 'https://leaks.example.net/dump', true],
    ['leaks.example.net/dump', 'http://www.leaks.example.net/dump/file.pdf?x=1#y', true],
    ['leaks.example.net/dump', 'https://LEAKS.Example.NET/DUMP/', true],
    ['leaks.example.net/dump', 'https://mirror.leaks.example.net/dump/a', true],
    ['leaks.example.net/dump', 'https://leaks.example.net/dumpster', false],
    ['leaks.example.net/dump', 'https://leaks.example.net/', false],
    ['example.net', 'https://notexample.net/', false],
    ['example.net', 'https://example.net.evil.org/', false],
    ['example.net', 'https://sub.example.net/x', true],
    ['bücher.example', 'https://xn--bcher-kva.example/a', true],
    ['wikileaks.org/macron-emails', 'https://wikileaks.org/macron-emails/emailid/1', true],
  ])('%s vs %s -> %s', (pattern, href, want) => {
    expect(linkMatches(pattern, href)).toBe(want);
  });

  it('refuses patterns that are not host[/path]', () => {
    expect(parseUrlPattern('not a url')).toBeNull();
    expect(parseUrlPattern('localhost')).toBeNull();
    expect(parseUrlPattern('javascript:alert(1)')).toBeNull();
  });

  it('finds hashtags in hashtag and search links', () => {
    const want = normaliseHashtag('MacronLeaks');
    for (const href of [
      'https://x.com/hashtag/MacronLeaks?src=hashtag_click',
      'https://twitter.com/search?q=%23MacronLeaks',
      'https://mastodon.social/tags/macronleaks',
      'https://bsky.app/hashtag/MacronLeaks',
      'https://www.facebook.com/hashtag/macronleaks',
    ]) {
      expect(hashtagsInLink(href), href).toContain(want);
    }
    expect(hashtagsInLink('https://x.com/search?q=MacronLeaks%20news')).toEqual([]);
  });

  it('parses only links that may hold a hashtag, with the same answers', () => {
    // The URL parser drops tabs and line breaks, and decodes query keys: these still get parsed.
    expect(hashtagsInLink('https://x.com/hashta\ng/MacronLeaks')).toEqual([normaliseHashtag('MacronLeaks')]);
    expect(hashtagsInLink('https://x.com/hashta\tg/MacronLeaks')).toEqual([normaliseHashtag('MacronLeaks')]);
    expect(hashtagsInLink('https://x.com/search?%71=%23MacronLeaks')).toEqual([
      normaliseHashtag('MacronLeaks'),
    ]);
    expect(hashtagsInLink('HTTPS://MASTODON.SOCIAL/TAGS/MacronLeaks')).toEqual([
      normaliseHashtag('MacronLeaks'),
    ]);
    for (const plain of ['https://leaks.example.net/dump/a.zip', 'mirror.example/x#frag', '', 'not a url'])
      expect(hashtagsInLink(plain), plain).toEqual([]);
  });

  it('reads the host of plain links as the URL parser does, and of no other link', () => {
    const pieces = [
      'https://',
      'http://',
      'HTTP://',
      'ftp://',
      'www.',
      'xn--bcher-kva',
      'xn--',
      'a',
      'Z',
      'é',
      'leaks',
      '0',
      '1',
      '0x1f',
      '-',
      '.',
      '..',
      '/',
      '\\',
      '?',
      '#',
      ':',
      ':8080',
      '@',
      '%2e',
      ' ',
      '\t',
      '\n',
      '\u0000',
      'com',
      'org',
      'ＥＸ',
      '\u200b',
      'ß',
      'İ',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (parts) => {
        const href = parts.join('');
        const host = plainLinkHost(href);
        if (host !== null) expect(parseLink(href)?.host, href).toBe(host);
      }),
      { numRuns: 5_000 },
    );
    expect(plainLinkHost('https://Leaks.Example.NET/dump?x#y')).toBe('leaks.example.net');
    expect(plainLinkHost('www.mirror.example')).toBe('mirror.example');
    for (const other of [
      'https://bücher.example/',
      'https://xn--bcher-kva.example/',
      'https://1.2.3.4/',
      'https://0x7f.1/',
      'https://user@a.org/',
      'https://a.org:8080/',
      'https://a%2eorg/',
      ' https://a.org/',
    ])
      expect(plainLinkHost(other), other).toBeNull();
  });

  it('finds addresses typed in text', () => {
    expect(urlsInText('see leaks.example.net/dump/x.zip, or https://a.example/b.')).toEqual([
      'leaks.example.net/dump/x.zip',
      'https://a.example/b',
    ]);
    expect(urlsInText('(www.Mirror.example) «leaks.fr/a»\u3000WWW.b.example/c, 1/2 “x.org/y”')).toEqual([
      'www.Mirror.example',
      'leaks.fr/a»',
      'WWW.b.example/c',
      'x.org/y',
    ]);
  });

  it('finds what the URL pattern finds run over the whole text, in the same order', () => {
    // The pattern urlsInText applies, run the plain way: over the whole text.
    const whole = (text: string) =>
      (
        text.match(
          /\b(?:https?:\/\/|www\.)[^\s<>"'“”()]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\/[^\s<>"'“”()]*/gi,
        ) ?? []
      ).map((u) => u.replace(/[.,;:!?]+$/, ''));
    const pieces = [
      'http://',
      'https://',
      'www.',
      'WwW.',
      'w.',
      '/',
      '//',
      '.',
      '.com',
      '.fr',
      'a',
      'Z',
      '0',
      '-',
      '_',
      'leaks',
      ' ',
      '\n',
      '\t',
      '\u00a0',
      '\u3000',
      '\u2028',
      '<',
      '>',
      '"',
      "'",
      '(',
      ')',
      '“',
      '”',
      '«',
      'é',
      ',',
      '!',
      '?',
      ';',
      ':',
      '#',
      '\ud83d',
      '\u0001',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(urlsInText(text)).toEqual(whole(text));
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('blocks', () => {
  it('cuts articles into paragraphs and keeps inline markup inside one block', () => {
    const blocks = htmlToBlocks(
      '<html><head><title>t</title><style>p{}</style></head><body><article><h1>Title</h1><p>One <b>bold</b> word<br>next line</p><p>Two <a href="/x">link</a></p></article><script>var a</script></body></html>',
      'https://site.example/page',
    );
    expect(blocks.map((b) => b.text)).toEqual(['Title', 'One bold word\nnext line', 'Two link']);
    expect(blocks[2]!.links).toEqual(['https://site.example/x']);
  });

  it('keeps a feed post whole, whatever its inner blocks', () => {
    const blocks = htmlToBlocks(
      '<main><article data-testid="tweet"><div data-testid="tweetText"><p>first</p><p>second</p></div></article><div class="status"><p>toot</p></div></main>',
    );
    expect(blocks.map((b) => b.text.replace(/\s+/g, ' '))).toEqual(['first second', 'toot']);
  });

  it('cuts plain text at blank lines', () => {
    expect(textToBlocks('a b\nc\n\n\nd\n  \ne').map((b) => b.text)).toEqual(['a b\nc', 'd', 'e']);
  });

  it('survives malformed markup', () => {
    expect(() =>
      htmlToBlocks('<p><b>unclosed <i>tags <div></p></span>&bogus; <a href="http://[::1">x'),
    ).not.toThrow();
  });
});

describe('e-mail', () => {
  it('reads subject and decoded body parts, skipping attachments', () => {
    const eml = [
      'From: a@example.org',
      'Subject: =?utf-8?Q?R=C3=A9union?= du lundi',
      'Content-Type: multipart/mixed; boundary="XX"',
      '',
      '--XX',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Bonjour, la r=C3=A9union est d=C3=A9=',
      'plac=C3=A9e.',
      '--XX',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      btoa('<p>Second part</p>'),
      '--XX',
      'Content-Type: application/pdf',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0xLjQ=',
      '--XX--',
      '',
    ].join('\r\n');
    expect(emlToParagraphs(eml).map((p) => p.trim())).toEqual([
      'Réunion du lundi',
      'Bonjour, la réunion est déplacée.',
      'Second part',
    ]);
  });
});
