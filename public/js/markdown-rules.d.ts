// Types for the server's side of public/js/markdown-rules.js.
import type MarkdownIt from 'markdown-it';

export interface TaskBox {
  index: number;
  checked: boolean;
  /** 0-based line of the body holding the item's "[ ]" */
  line: number;
  label: string;
}

export const OWN_PHOTO_URL: RegExp;

export function journalMarkdown<Env extends object>(
  markdownit: (options: MarkdownIt.Options) => MarkdownIt,
  /** The box on the entry's own page (`env.checklist` given); elsewhere the rules draw a disabled one. */
  taskBox: (box: TaskBox, name: string, env: Env) => string,
): MarkdownIt;

export function markdownText(md: MarkdownIt, body: string): string;
