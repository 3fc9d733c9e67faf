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
  taskBox: (box: TaskBox, env: Env, escapeHtml: (text: string) => string) => string,
): MarkdownIt;

export function markdownText(md: MarkdownIt, body: string): string;
