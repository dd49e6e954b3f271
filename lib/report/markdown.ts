/**
 * Markdown escaping for text from the reviewed database. Markdown viewers render inline HTML and
 * links, so untrusted text is kept on one line with every character that could start markup
 * backslash-escaped; code goes into spans and fences longer than any backtick run inside it.
 */

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Inline text: safe anywhere in a line, including a table cell. */
export function mdText(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`);
}

/** Text that starts a line: a leading "#", "1." or "-" would otherwise become a heading or a list. */
export function mdParagraph(text: string): string {
  return mdText(text)
    .replace(/^(\d+)([.)])/, '$1\\$2')
    .replace(/^([-+=#])/, '\\$1');
}

const longestBacktickRun = (text: string) => Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));

/** An inline code span; `inTable` escapes pipes, which GFM splits cells on even inside code. */
export function mdCode(text: string, inTable = false): string {
  const body = oneLine(text);
  const fence = '`'.repeat(longestBacktickRun(body) + 1);
  const padded = body.startsWith('`') || body.endsWith('`') ? ` ${body} ` : body;
  return `${fence}${inTable ? padded.replace(/\|/g, '\\|') : padded}${fence}`;
}

/** A fenced block: its content is never interpreted, so it is shown exactly. */
export function mdFence(text: string, language = ''): string {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return `${fence}${language}\n${text.replace(/\r\n?/g, '\n').replace(/\n+$/, '')}\n${fence}`;
}

export function mdTable(header: string[], align: Array<'left' | 'right'>, rows: string[][]): string {
  const rule = align.map((a) => (a === 'right' ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
