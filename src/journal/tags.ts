// Tags: lowercase words, from the tags field and from #word in the text.

export const MAX_TAGS = 20;
export const TAG_MAX_CHARS = 40;

const TAG = /^[\p{L}\p{N}_-]+$/u;
// "#word" after a start, a space or punctuation other than & # / (so no "&#39;", "##", "a/#b" or
// "page#part"); it holds at least one letter, so "#1" in "room #1" is no tag.
const HASHTAG = /(?<![\p{L}\p{N}_&#/])#([\p{L}\p{N}_-]*\p{L}[\p{L}\p{N}_-]*)/gu;

export type TagsCheck = { kind: 'valid'; tags: string[] } | { kind: 'invalid'; message: string };

const normal = (tag: string) => tag.normalize('NFC').toLowerCase();

/** The tags a writer typed: a list (JSON) or one text of words split by spaces or commas (a form). */
export function checkTags(input: unknown): TagsCheck {
  if (input === undefined || input === null || input === '') return { kind: 'valid', tags: [] };
  const words =
    typeof input === 'string' ? input.split(/[\s,]+/) : Array.isArray(input) && input.every((t) => typeof t === 'string') ? input : null;
  if (!words) return { kind: 'invalid', message: 'Tags must be a list of words.' };
  const tags = [...new Set(words.map((w) => normal(w.replace(/^#/, ''))).filter(Boolean))];
  const bad = tags.find((t) => !TAG.test(t) || t.length > TAG_MAX_CHARS);
  if (bad !== undefined) {
    return {
      kind: 'invalid',
      message: `A tag is one word of letters, digits, - or _ (up to ${TAG_MAX_CHARS}); “${bad.slice(0, 50)}” is not.`,
    };
  }
  if (tags.length > MAX_TAGS) return { kind: 'invalid', message: `An entry can have up to ${MAX_TAGS} tags.` };
  return { kind: 'valid', tags };
}

/** The #words of a text, lowercase, in order of first use. */
export function hashtagsIn(text: string): string[] {
  return [...new Set([...text.matchAll(HASHTAG)].map((m) => normal(m[1]!)).filter((t) => t.length <= TAG_MAX_CHARS))];
}

/** Everything an entry is tagged with: the typed tags, then the text's #words, up to MAX_TAGS. */
export function entryTags(typed: readonly string[], title: string, body: string): string[] {
  return [...new Set([...typed, ...hashtagsIn(`${title}\n${body}`)])].slice(0, MAX_TAGS);
}

/** The tags the tags field shows: those not already written as #word in the text. */
export function typedTags(tags: readonly string[], title: string, body: string): string[] {
  const inText = new Set(hashtagsIn(`${title}\n${body}`));
  return tags.filter((t) => !inText.has(t));
}

/** A tag named in a URL (?tag=), or undefined when it could be no tag. */
export function tagParam(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const tag = normal(value.replace(/^#/, ''));
  return TAG.test(tag) && tag.length <= TAG_MAX_CHARS ? tag : undefined;
}
