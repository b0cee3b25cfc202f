/**
 * Text that came from a file (a checkpoint's metadata, configuration and tensor names, an ONNX
 * node's or a Keras layer's name, a model's vocabulary and what it samples), made safe to print:
 * a file must not be able to drive the terminal (ESC and CSI sequences move the cursor, set the
 * window title or colours, and in some terminals write to the clipboard) nor disguise what it
 * shows (a right-to-left override prints "exe.txt" for "txt.exe", a zero-width character hides
 * itself in a name, a line separator fakes a new line).
 *
 * Escaped: every control character (C0, DEL, C1: Unicode's Cc), every format character (Cf:
 * the bidi embeddings, overrides and isolates, zero-width characters, the soft hyphen, tags),
 * the line and paragraph separators (Zl, Zp) and lone surrogates (Cs). A code point up to
 * U+00FF becomes `\xNN`, a higher one `\u{NNNN}` (lower-case hex, as JavaScript writes them).
 * Backslashes are left alone, so escaping is idempotent: text escaped twice reads the same.
 */

const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function escape(c: string): string {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Text for one line: every non-printing character escaped, newline and tab included. */
export function escapeLine(text: string): string {
  return text.replace(HIDDEN, escape);
}

/**
 * Text of several lines (a sampled text): as escapeLine, but a newline and a tab stay what
 * they are, since a text model writes them as text. A carriage return is escaped (it would
 * overwrite the line).
 */
export function escapeText(text: string): string {
  return text.replace(HIDDEN, (c) => (c === '\n' || c === '\t' ? c : escape(c)));
}

/**
 * JSON for a terminal: JSON.stringify (which escapes C0 controls in strings) with every other
 * non-printing character written as a \uXXXX escape too (a character above U+FFFF as its
 * surrogate pair). Still valid JSON that parses to the same values: outside strings
 * JSON.stringify writes only newlines and spaces, and a raw newline is the one kept.
 */
export function escapeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(HIDDEN, (c) => (c === '\n' ? c
    : Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')));
}
