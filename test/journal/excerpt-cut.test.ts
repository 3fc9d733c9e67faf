// The excerpt's cut takes a fast path over leading ASCII; it must cut exactly where a full
// grapheme segmentation would, whatever follows the ASCII run.
import { describe, expect, it } from 'vitest';
import { cutGraphemes, plainExcerpt } from '../../src/journal/markdown.js';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function reference(text: string, max: number): string {
  const parts = [...segmenter.segment(text)].map((s) => s.segment);
  return parts.length <= max ? text : `${parts.slice(0, max).join('').trimEnd()}…`;
}

describe('cutGraphemes', () => {
  const tails = ['😀', 'e\u0301', '\u0301', '👩‍👩‍👧', '🇮🇳🇳🇵', '日本語', ' ', '  x', 'a\u200d', '\u00e9'];
  const max = 10;
  it('agrees with a full segmentation for every ASCII run length around the limit', () => {
    for (const tail of tails) {
      for (let run = 0; run <= max + 2; run += 1) {
        for (const after of ['', 'bc', tail]) {
          const text = `${'a'.repeat(run)}${tail}${after}${'z'.repeat(6)}`;
          expect(cutGraphemes(text, max), JSON.stringify(text)).toBe(reference(text, max));
        }
      }
    }
  });

  it('leaves text within the limit alone and never splits a surrogate pair', () => {
    expect(cutGraphemes('short', 10)).toBe('short');
    const cut = cutGraphemes(`${'a'.repeat(9)}😀😀`, 10);
    expect(cut).toBe(`${'a'.repeat(9)}😀…`);
    expect(() => encodeURIComponent(cut)).not.toThrow();
  });
});

describe('plainExcerpt, kept per body', () => {
  it('answers for the body it is given, however many bodies came before', () => {
    expect(plainExcerpt('**Rain** on the river.')).toBe('Rain on the river.');
    expect(plainExcerpt('**Rain** on the river!')).toBe('Rain on the river!');
    // More text than the store keeps (2 million characters): the oldest go, answers stay right.
    const body = (i: number) => `# Day ${i}\n\n${'walk '.repeat(4000)}${i}`;
    for (let i = 0; i < 150; i += 1) expect(plainExcerpt(body(i)).startsWith(`Day ${i} walk`)).toBe(true);
    expect(plainExcerpt(body(3))).toBe(plainExcerpt(body(3)));
    expect(plainExcerpt('**Rain** on the river.')).toBe('Rain on the river.');
  });
});
