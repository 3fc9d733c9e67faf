// The excerpt's cut takes a fast path over leading ASCII; it must cut exactly where a full
// grapheme segmentation would, whatever follows the ASCII run.
import { describe, expect, it } from 'vitest';
import { cutGraphemes } from '../../src/journal/markdown.js';

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
