import { MAX_LINE_CHARS } from './thresholds.js';

/**
 * Cuts text fed in arbitrary chunks into lines, holding only the unfinished last line between
 * chunks. A line longer than MAX_LINE_CHARS is dropped whole, so memory stays bounded.
 */
export class LineSplitter {
  private carry = '';
  private skipping: boolean;

  constructor(
    private readonly onLine: (line: string) => void,
    /** Set when reading starts mid-file: the first line is a fragment and is dropped. */
    dropFirstLine = false,
  ) {
    this.skipping = dropFirstLine;
  }

  push(text: string): void {
    let pos = 0;
    if (this.carry || this.skipping) {
      const nl = text.indexOf('\n');
      if (nl === -1) {
        this.hold(text);
        return;
      }
      if (!this.skipping) this.emit(this.carry + text.slice(0, nl));
      this.carry = '';
      this.skipping = false;
      pos = nl + 1;
    }
    for (let nl = text.indexOf('\n', pos); nl !== -1; nl = text.indexOf('\n', pos)) {
      this.emit(text.slice(pos, nl));
      pos = nl + 1;
    }
    this.hold(pos === 0 ? text : text.slice(pos));
  }

  /** The unfinished last line (not yet terminated by a newline), and forget it. */
  end(): string {
    const rest = this.skipping ? '' : this.carry;
    this.carry = '';
    return rest;
  }

  private emit(line: string): void {
    this.onLine(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
  }

  private hold(text: string): void {
    if (this.skipping || !text) return;
    this.carry += text;
    if (this.carry.length > MAX_LINE_CHARS) {
      this.carry = '';
      this.skipping = true;
    }
  }
}
