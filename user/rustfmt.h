/* SPDX-License-Identifier: MIT */
/*
 * Growable string buffer, and primitive values printed byte for byte as Rust's
 * `{:?}` prints them (char, str, f32/f64, i128/u128), plus JSON string literals.
 *
 * No global state; nothing here exits or prints. All appends are best effort:
 * when memory runs out, the append is dropped and `oom` is set, so a caller can
 * format freely and check `oom` (or sb_detach()'s NULL) once at the end.
 */
#ifndef RSTRACE_RUSTFMT_H
#define RSTRACE_RUSTFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *s; /* NULL until the first append; NUL-terminated when non-NULL */
	size_t len, cap;
	bool oom; /* an append was lost (allocation or printf failure) since init/reset */
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
/* len = 0 and oom = false, keeps the memory. */
void sb_reset(struct strbuf *sb);
/* Drops what was appended after the first len bytes. */
void sb_truncate(struct strbuf *sb, size_t len);
void sb_putc(struct strbuf *sb, char c);
void sb_puts(struct strbuf *sb, const char *s);
/* Appends n bytes as they are (they may include NULs). */
void sb_putn(struct strbuf *sb, const char *s, size_t n);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Hands the string over (caller frees; "" if nothing was appended) and
 * re-initialises sb. Returns NULL if sb->oom was set, as the text is incomplete,
 * or if allocating the empty string fails.
 */
char *sb_detach(struct strbuf *sb);

/* The current contents, "" before the first append; valid until the next append. */
static inline const char *sb_str(const struct strbuf *sb)
{
	return sb->s ? sb->s : "";
}

/* A Unicode scalar value, what a Rust `char` may hold: <= 0x10FFFF and not a surrogate. */
bool rfmt_valid_char(uint32_t cp);

/*
 * A char as {:?} by the newest rustc known (user/unicode_tables.h):
 * 'a'  '\n'  '\''  '"'  '\u{1b}'  'é'. cp must satisfy
 * rfmt_valid_char() (the caller checks; anything else is shown as '\u{..}').
 */
void rfmt_char(struct strbuf *sb, uint32_t cp);

/*
 * A Rust string (&str/String contents) as {:?} by the newest rustc known:
 * "a\"b" etc. Returns 0, or
 * -EILSEQ if the bytes are not valid UTF-8 (nothing is appended then). If
 * `may_be_cut` is true, an incomplete but so far valid UTF-8 sequence at the
 * very end is dropped silently (the capture was truncated mid-character) and
 * the function returns 1.
 */
int rfmt_str(struct strbuf *sb, const uint8_t *s, size_t n, bool may_be_cut);

/*
 * Which chars {:?} escapes depends on the rustc that built the program (each
 * release follows one Unicode version). Rules for rustc 1.minor (0: unknown,
 * then only ASCII is certain). With rules that do not know how a char is
 * shown, the functions below return -ERANGE and append nothing.
 */
struct rfmt_rules;
const struct rfmt_rules *rfmt_rules_for(unsigned rustc_minor);
/* Also escape ' in a string (OsStr/Path Debug up to at least rustc 1.63). */
#define RFMT_ESCAPE_SQUOTE 1u
int rfmt_char_r(struct strbuf *sb, uint32_t cp, const struct rfmt_rules *r);
int rfmt_str_r(struct strbuf *sb, const uint8_t *s, size_t n, bool may_be_cut,
	       const struct rfmt_rules *r, unsigned flags);

/*
 * Floats as {:?}: the shortest decimal that reads back as the same value,
 * plain when 1e-4 <= |v| < 1e16 (with ".0" if integral), else scientific:
 * 1.0  -0.1  0.0001  1e16  1.5e-7  NaN  inf  -inf  -0.0.
 * rfmt_f32 uses f32 precision for the digits and for the two thresholds.
 */
void rfmt_f64(struct strbuf *sb, double v);
void rfmt_f32(struct strbuf *sb, float v);

void rfmt_u128(struct strbuf *sb, unsigned __int128 v);
void rfmt_i128(struct strbuf *sb, __int128 v);

/*
 * A JSON string literal: "..." with \" \\ \n and \u00XX (other control chars
 * and DEL) escaped. Valid UTF-8 passes through; each maximal invalid subpart
 * becomes U+FFFD, so the output is always valid UTF-8 JSON.
 */
void json_str(struct strbuf *sb, const char *s, size_t n);

#endif /* RSTRACE_RUSTFMT_H */
