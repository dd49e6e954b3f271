const QUOTE = 39;
const DOUBLE_QUOTE = 34;
const DOLLAR = 36;
const DASH = 45;
const STAR = 42;
const BACKSLASH = 92;
const SEMICOLON = 59;
const COMMA = 44;
const SPACE = 32;
const QUESTION = 63;

// Character classes, looked up once per character (0: punctuation passed through as is);
// non-ASCII characters are word characters.
const WORD = 1;
const DIGIT = 2;
const LITERAL_QUOTE = 3;
const IDENTIFIER_QUOTE = 4;
const DOLLAR_SIGN = 5;
const COMMENT_DASH = 6;
const COMMENT_SLASH = 7;
const WHITESPACE = 8;
const HELD = 9; // ; and , — kept back until it is clear they are not trailing or inside a literal list
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) CLASS[c] = WORD;
  else if (/[0-9]/.test(ch)) CLASS[c] = DIGIT;
  else if (/[ \t\r\n]/.test(ch)) CLASS[c] = WHITESPACE;
}
CLASS[QUOTE] = LITERAL_QUOTE;
CLASS[DOUBLE_QUOTE] = IDENTIFIER_QUOTE;
CLASS[DOLLAR] = DOLLAR_SIGN;
CLASS[DASH] = COMMENT_DASH;
CLASS[47] = COMMENT_SLASH;
CLASS[SEMICOLON] = HELD;
CLASS[COMMA] = HELD;

const classOf = (c: number) => (c < 128 ? CLASS[c] : WORD);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isSpace = (c: number) => c < 128 && CLASS[c] === WHITESPACE;
const isLiteralPrefix = (c: number) => {
  const lower = c | 32;
  return lower === 101 || lower === 98 || lower === 120 || lower === 117 || lower === 110; // e b x u n
};
/** Inside an identifier: letters, digits, _ and $. */
const continuesWord = (c: number) => c >= 128 || CLASS[c] === WORD || CLASS[c] === DIGIT || c === DOLLAR;

/**
 * A 53-bit fingerprint of a logged statement's normalized form, computed in one pass without
 * building that form: what statements are grouped by. It runs on every duration line, where
 * normalizeQuery (a dozen regexes and a new string) would cost more than the rest of the parse.
 * The normalized form it hashes: string, dollar-quoted and numeric literals and bind parameters
 * are ?, comments and whitespace runs are one space, case is folded (outside quotes, and inside
 * quoted identifiers too, which only merges "Users" with users), trailing semicolons and spaces
 * are dropped, and a list of literals ("?, ?, ?": IN lists, VALUES rows) is one ?. Two statements
 * share a fingerprint by accident with a probability of about n² / 2^54 for n distinct statements.
 */
export function statementFingerprint(text: string): number {
  h1 = 0x811c9dc5;
  h2 = 0x9747b28c;
  // Separators (space, ; and ,) not yet hashed: dropped at the end, or when a list of literals continues.
  let held = '';
  let emitted = false;
  let lastWasLiteral = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const k = classOf(c);
    if (
      k === WHITESPACE ||
      ((k === COMMENT_DASH || k === COMMENT_SLASH) && text.charCodeAt(i + 1) === (k === COMMENT_DASH ? DASH : STAR))
    ) {
      if (k === WHITESPACE) {
        i++;
        while (i < n && isSpace(text.charCodeAt(i))) i++;
      } else {
        const close = k === COMMENT_DASH ? text.indexOf('\n', i) : text.indexOf('*/', i + 2);
        i = close === -1 ? n : k === COMMENT_DASH ? close : close + 2;
      }
      if (held === '') {
        if (emitted) held = ' ';
      } else if (held.charCodeAt(held.length - 1) !== SPACE) held += ' ';
      continue;
    }
    if (k === HELD) {
      held += c === SEMICOLON ? ';' : ',';
      i++;
      continue;
    }
    // E'...', B'...', X'...', U&'...' and N'...': the prefix belongs to the literal.
    if (
      k === WORD &&
      isLiteralPrefix(c) &&
      (text.charCodeAt(i + 1) === QUOTE || (text.charCodeAt(i + 1) === 38 && text.charCodeAt(i + 2) === QUOTE)) &&
      (i === 0 || !continuesWord(text.charCodeAt(i - 1)))
    ) {
      i += text.charCodeAt(i + 1) === QUOTE ? 1 : 2;
      continue;
    }
    let literal = true;
    if (k === DIGIT) i = numberEnd(text, i + 1);
    else if (k === LITERAL_QUOTE) i = skipQuoted(text, i + 1, QUOTE, true);
    else if (k === DOLLAR_SIGN && dollarLiteralEnd(text, i) > i) i = dollarLiteralEnd(text, i);
    else literal = false;
    if (literal) {
      // "?, ?" (and "?,?") continue a list of literals: the separator and the literal are not hashed.
      if (lastWasLiteral && (held === ',' || held === ', ')) held = '';
      else {
        if (held !== '') flushHeld(held);
        held = '';
        hash(QUESTION);
      }
      lastWasLiteral = true;
      emitted = true;
      continue;
    }
    if (held !== '') flushHeld(held);
    held = '';
    lastWasLiteral = false;
    emitted = true;
    if (k === WORD) {
      hash(c >= 65 && c <= 90 ? c + 32 : c);
      i++;
      for (let d = text.charCodeAt(i); i < n && continuesWord(d); d = text.charCodeAt(++i))
        hash(d >= 65 && d <= 90 ? d + 32 : d);
    } else if (k === IDENTIFIER_QUOTE) {
      const end = skipQuoted(text, i + 1, DOUBLE_QUOTE, false);
      for (; i < end; i++) {
        const d = text.charCodeAt(i);
        hash(d >= 65 && d <= 90 ? d + 32 : d);
      }
    } else {
      hash(c);
      i++;
    }
  }
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}

// The two hash lanes (FNV-1a and Java's String.hashCode, 31h + c) of the fingerprint being
// computed: module state rather than closures, since this runs once per logged statement.
let h1 = 0;
let h2 = 0;

function hash(c: number): void {
  h1 = Math.imul(h1 ^ c, 0x01000193);
  h2 = ((h2 << 5) - h2 + c) | 0;
}

function flushHeld(held: string): void {
  if (held === ' ') hash(SPACE);
  else for (let j = 0; j < held.length; j++) hash(held.charCodeAt(j));
}

/** The index after the digits, decimal point and exponent of a number whose first digit is before `from`. */
function numberEnd(text: string, from: number): number {
  let i = from;
  const n = text.length;
  while (i < n) {
    const d = text.charCodeAt(i);
    if (
      isDigit(d) ||
      d === 46 ||
      d === 101 ||
      d === 69 ||
      ((d === 43 || d === DASH) && (text.charCodeAt(i - 1) | 32) === 101)
    )
      i++;
    else break;
  }
  return i;
}

/** The index after a quoted literal or identifier starting at `from` (just past the opening quote). */
function skipQuoted(text: string, from: number, quote: number, backslashEscapes: boolean): number {
  let i = from;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (backslashEscapes && c === BACKSLASH) i += 2;
    else if (c === quote) {
      if (text.charCodeAt(i + 1) === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return n;
}

/** $1 (a bind parameter) or $tag$ ... $tag$ (a dollar-quoted literal): the index after it; `from` when neither. */
function dollarLiteralEnd(text: string, from: number): number {
  let i = from + 1;
  const n = text.length;
  if (isDigit(text.charCodeAt(i))) {
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    return i;
  }
  while (i < n && text.charCodeAt(i) !== DOLLAR && continuesWord(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== DOLLAR) return from;
  const tag = text.slice(from, i + 1);
  const close = text.indexOf(tag, i + 1);
  return close === -1 ? n : close + tag.length;
}
