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
const FNV_PRIME = 0x01000193;
// For an ASCII character that continues an identifier, the character hashed for it (folded to
// lower case); 0 for one that ends it. One lookup per character of the hot loop.
const WORD_FOLDED = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (continuesWord(c)) WORD_FOLDED[c] = c >= 65 && c <= 90 ? c + 32 : c;

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
  return fingerprintFrom(text, 0);
}

/**
 * Whether the text fingerprintFrom read last is likely to be logged again verbatim: it has bind
 * parameters (the extended protocol sends values apart from the text) or no literal values at
 * all. A text with values written into it rarely recurs, so it is not worth remembering.
 */
export let lastTextRecurs = false;

/** The fingerprint of text.slice(from), without making that slice. */
export function fingerprintFrom(text: string, from: number): number {
  // Two hash lanes, FNV-1a and Java's String.hashCode (31h + c), in locals: this loop is the
  // costliest per-character work of the log parse.
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  // Separators (space, ; and ,) seen but not yet part of the hash: dropped at the end, or when a
  // list of literals continues; p1 and p2 are the lanes as they would be with them hashed.
  let p1 = h1;
  let p2 = h2;
  let heldLength = 0;
  let heldFirst = 0;
  let heldLast = 0;
  let emitted = false;
  let lastWasLiteral = false;
  let values = false;
  let parameters = false;
  const n = text.length;
  let i = from;
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
      // One space for a run of whitespace and comments; none before the first token.
      if (heldLength === 0 ? emitted : heldLast !== SPACE) {
        p1 = Math.imul(p1 ^ SPACE, FNV_PRIME);
        p2 = (Math.imul(p2, 31) + SPACE) | 0;
        if (heldLength++ === 0) heldFirst = SPACE;
        heldLast = SPACE;
      }
      continue;
    }
    if (k === HELD) {
      p1 = Math.imul(p1 ^ c, FNV_PRIME);
      p2 = (Math.imul(p2, 31) + c) | 0;
      if (heldLength++ === 0) heldFirst = c;
      heldLast = c;
      i++;
      continue;
    }
    // E'...', B'...', X'...', U&'...' and N'...': the prefix belongs to the literal.
    if (
      k === WORD &&
      isLiteralPrefix(c) &&
      (text.charCodeAt(i + 1) === QUOTE || (text.charCodeAt(i + 1) === 38 && text.charCodeAt(i + 2) === QUOTE)) &&
      (i === from || !continuesWord(text.charCodeAt(i - 1)))
    ) {
      i += text.charCodeAt(i + 1) === QUOTE ? 1 : 2;
      continue;
    }
    let literalEnd = -1;
    if (k === DIGIT) literalEnd = numberEnd(text, i + 1);
    else if (k === LITERAL_QUOTE) literalEnd = skipQuoted(text, i + 1, QUOTE, true);
    else if (k === DOLLAR_SIGN) {
      const end = dollarLiteralEnd(text, i);
      if (end > i) literalEnd = end;
    }
    if (literalEnd !== -1) {
      if (k === DOLLAR_SIGN && isDigit(text.charCodeAt(i + 1))) parameters = true;
      else values = true;
      i = literalEnd;
      // "?, ?" (and "?,?") continue a list of literals: the separator and the literal are not hashed.
      if (lastWasLiteral && heldFirst === COMMA && (heldLength === 1 || (heldLength === 2 && heldLast === SPACE))) {
        p1 = h1;
        p2 = h2;
        heldLength = 0;
      } else {
        h1 = Math.imul(p1 ^ QUESTION, FNV_PRIME);
        h2 = (Math.imul(p2, 31) + QUESTION) | 0;
        p1 = h1;
        p2 = h2;
        heldLength = 0;
      }
      lastWasLiteral = true;
      emitted = true;
      continue;
    }
    // A token: the separators before it are part of the statement.
    h1 = p1;
    h2 = p2;
    heldLength = 0;
    lastWasLiteral = false;
    emitted = true;
    if (k === WORD) {
      h1 = Math.imul(h1 ^ (c >= 65 && c <= 90 ? c + 32 : c), FNV_PRIME);
      h2 = (Math.imul(h2, 31) + (c >= 65 && c <= 90 ? c + 32 : c)) | 0;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        const folded = d < 128 ? WORD_FOLDED[d] : d;
        if (folded === 0) break;
        h1 = Math.imul(h1 ^ folded, FNV_PRIME);
        h2 = (Math.imul(h2, 31) + folded) | 0;
      }
    } else if (k === IDENTIFIER_QUOTE) {
      const end = skipQuoted(text, i + 1, DOUBLE_QUOTE, false);
      for (; i < end; i++) {
        const d = text.charCodeAt(i);
        const folded = d >= 65 && d <= 90 ? d + 32 : d;
        h1 = Math.imul(h1 ^ folded, FNV_PRIME);
        h2 = (Math.imul(h2, 31) + folded) | 0;
      }
    } else {
      h1 = Math.imul(h1 ^ c, FNV_PRIME);
      h2 = (Math.imul(h2, 31) + c) | 0;
      i++;
    }
    p1 = h1;
    p2 = h2;
  }
  lastTextRecurs = parameters || !values;
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
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
