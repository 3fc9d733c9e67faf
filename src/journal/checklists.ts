// Checklists in entries: "- [ ]" and "- [x]" items render as checkboxes, and ticking one edits that line.
import type Token from 'markdown-it/lib/token.mjs';
import type { TaskBox } from '../../public/js/markdown-rules.js';

/** One item of a checklist: where its marker is in the text, and whether it is ticked. */
export interface ChecklistItem {
  /** 0-based line of the body holding the item's "[ ]" */
  line: number;
  checked: boolean;
}

/** Rendering the entry's own page: the boxes submit the page's checklist form (views/journal/show.ejs). */
export interface ChecklistEnv {
  checklist?: { form: string };
}

/**
 * The server's box on the entry's own page (public/js/markdown-rules.js finds the items): a button of
 * the page's form, so one click saves without JavaScript; it asks for the other state.
 */
export function formTaskBox({ index, checked }: TaskBox, name: string, env: ChecklistEnv): string {
  return (
    `<button type="submit" form="${env.checklist!.form}" name="task" value="${index}:${checked ? 0 : 1}" id="task-${index}" ` +
    `class="task-box" role="checkbox" aria-checked="${checked}" aria-label="${name}">${checked ? '✓' : ''}</button> `
  );
}

/** The checklist items of parsed Markdown, in the order they render (the index a box submits). */
export function itemsOf(tokens: readonly Token[]): ChecklistItem[] {
  return tokens.flatMap((token) =>
    (token.children ?? []).filter((child) => child.type === 'task_box').map((box) => ({ line: box.meta.line, checked: box.meta.checked })),
  );
}

// The list marker (inside any blockquotes) before the box, or, for an item whose text starts on a
// later line, only the indentation.
const ITEM_LINE = /^((?:[ \t]*>)*[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)\[[ xX]\]/;
const CONTINUED_LINE = /^((?:[ \t]*>)*[ \t]*)\[[ xX]\]/;

/** The body with the item on `line` ticked or not; undefined when that line holds no box. */
export function setItem(body: string, line: number, done: boolean): string | undefined {
  const parts = body.split(/(\r\n|\r|\n)/); // lines at even indexes
  const text = parts[line * 2];
  if (text === undefined) return undefined;
  const pattern = ITEM_LINE.test(text) ? ITEM_LINE : CONTINUED_LINE.test(text) ? CONTINUED_LINE : undefined;
  if (!pattern) return undefined;
  parts[line * 2] = text.replace(pattern, `$1[${done ? 'x' : ' '}]`);
  return parts.join('');
}
