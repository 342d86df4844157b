// SPDX-License-Identifier: MIT
// Generates user/unicode_tables.h: which chars Rust's `{:?}` prints as `\u{..}`.
//
// Nothing here encodes Unicode knowledge: every code point is formatted by this
// rustc's own Debug impls and the result is classified. The C side then only has
// to reproduce the classification. Run through tools/gen_unicode_tables.sh.
//
// Classes (per scalar value, the quoting escapes \t \r \n \\ \0 \' \" aside):
//   literal  - printed as itself everywhere
//   always   - printed as \u{..} in a char and anywhere in a string
//   initial  - printed as \u{..} in a char and as the first char of a string,
//              literal after any other char (what str::escape_debug does for
//              grapheme extenders)
// rustc 1.95's Debug puts every grapheme extender in `always`, whatever
// precedes it, and the C side relies on that: the program panics if any char
// is `initial`, or if Rust behaves in any way outside this model, so a future
// rustc that changes the rules cannot silently produce a wrong table.

use std::fmt::Write as _;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Literal,
    Always,
    Initial,
}

// Specially escaped chars and how Debug shows them in a char / in a string.
const SPECIAL: &[(char, &str, &str)] = &[
    ('\t', "'\\t'", "\\t"),
    ('\r', "'\\r'", "\\r"),
    ('\n', "'\\n'", "\\n"),
    ('\\', "'\\\\'", "\\\\"),
    ('\0', "'\\0'", "\\0"),
    ('\'', "'\\''", "'"),
    ('"', "'\"'", "\\\""),
];

// Preceding chars used to check that the escaping of a non-initial char does
// not depend on what precedes it.
const PREFIXES: &[&str] = &["a", "\n", "\u{301}", "\0", "\u{e9}", "\u{1f600}", "\u{200b}", "\u{10ffff}"];

fn dbg_str(s: &str) -> String {
    format!("{:?}", s)
}

// How `c` is shown inside a string: Some(false) literal, Some(true) as \u{..}.
fn shown_in(s: &str, before: &str, c: char, after: &str) -> bool {
    let got = dbg_str(s);
    let esc_b = dbg_str(before);
    let esc_a = dbg_str(after);
    // before/after are themselves formatted consistently, strip their quotes
    let pre = &esc_b[..esc_b.len() - 1];
    let post = &esc_a[1..];
    let lit = format!("{}{}{}", pre, c, post);
    let uni = format!("{}\\u{{{:x}}}{}", pre, c as u32, post);
    if got == lit {
        false
    } else if got == uni {
        true
    } else {
        panic!("unexpected Debug of {:?}: {}", s, got);
    }
}

fn classify(c: char) -> Class {
    let cp = c as u32;
    let dc = format!("{:?}", c);
    let in_char = if dc == format!("'{}'", c) {
        false
    } else if dc == format!("'\\u{{{:x}}}'", cp) {
        true
    } else {
        panic!("unexpected Debug of char U+{:X}: {}", cp, dc);
    };
    let s = c.to_string();
    let first = shown_in(&s, "", c, "");
    let first_b = shown_in(&format!("{}b", c), "", c, "b");
    let later = shown_in(&format!("a{}", c), "a", c, "");
    let later_b = shown_in(&format!("a{}b", c), "a", c, "b");
    assert!(first == first_b && later == later_b, "U+{:X}: depends on what follows", cp);
    for p in PREFIXES {
        let l = shown_in(&format!("{}{}", p, c), p, c, "");
        assert!(l == later, "U+{:X}: depends on preceding {:?}", cp, p);
    }
    assert!(in_char == first, "U+{:X}: char and string start disagree", cp);
    match (first, later) {
        (false, false) => Class::Literal,
        (true, true) => Class::Always,
        (true, false) => Class::Initial,
        (false, true) => panic!("U+{:X}: escaped only after another char", cp),
    }
}

fn ranges(class: &[Class], want: Class) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (cp, &k) in class.iter().enumerate() {
        if k != want {
            continue;
        }
        let cp = cp as u32;
        match out.last_mut() {
            Some(r) if r.1 + 1 == cp => r.1 = cp,
            _ => out.push((cp, cp)),
        }
    }
    out
}

fn emit(out: &mut String, name: &str, what: &str, r: &[(u32, u32)]) {
    writeln!(out, "/* {} */", what).unwrap();
    // generated layout; keep `make format` from rewrapping it
    writeln!(out, "/* clang-format off */").unwrap();
    writeln!(out, "static const struct rfmt_range {}[{}] = {{", name, r.len()).unwrap();
    for chunk in r.chunks(4) {
        let mut line = String::from("\t");
        for (i, (lo, hi)) in chunk.iter().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            write!(line, "{{ 0x{:x}, 0x{:x} }},", lo, hi).unwrap();
        }
        writeln!(out, "{}", line).unwrap();
    }
    writeln!(out, "}};").unwrap();
    writeln!(out, "/* clang-format on */\n").unwrap();
}

fn main() {
    let rustc = std::env::args().nth(1).unwrap_or_else(|| "unknown rustc".to_string());
    // "" for user/unicode_tables.h (the newest rustc), "_u14" etc. for an older one's
    let suffix = std::env::args().nth(2).unwrap_or_default();
    let upper = suffix.to_uppercase();
    let mut class = vec![Class::Literal; 0x110000];

    for &(c, in_char, in_str) in SPECIAL {
        assert_eq!(format!("{:?}", c), in_char, "char Debug of {:?}", c);
        assert_eq!(dbg_str(&c.to_string()), format!("\"{}\"", in_str), "str Debug of {:?}", c);
        assert_eq!(dbg_str(&format!("a{}", c)), format!("\"a{}\"", in_str));
    }
    for cp in 0..=0x10FFFFu32 {
        let c = match char::from_u32(cp) {
            Some(c) => c,
            None => continue, // surrogates
        };
        if SPECIAL.iter().any(|s| s.0 == c) {
            // handled by the C code before any table lookup; control chars
            // go with their (escaped) neighbours so the ranges merge
            class[cp as usize] = if (c as u32) < 0x20 { Class::Always } else { Class::Literal };
            continue;
        }
        class[cp as usize] = classify(c);
    }
    // Surrogates are never looked up; let them join their neighbours' range.
    let fill = if class[0xD7FF] == class[0xE000] { class[0xE000] } else { Class::Always };
    for k in &mut class[0xD800..0xE000] {
        *k = fill;
    }

    let always = ranges(&class, Class::Always);
    let initial = ranges(&class, Class::Initial);
    assert!(
        initial.is_empty(),
        "this rustc escapes {} ranges (first U+{:X}) only at a string's start: \
         rfmt_str() must learn about positions",
        initial.len(),
        initial[0].0
    );
    let (u0, u1, u2) = char::UNICODE_VERSION;

    let mut out = String::new();
    writeln!(out, "/* SPDX-License-Identifier: MIT */").unwrap();
    writeln!(out, "/*").unwrap();
    writeln!(out, " * GENERATED by tools/gen_unicode_tables.sh, do not edit.").unwrap();
    writeln!(out, " * Source: {} (Unicode {}.{}.{}), by formatting every", rustc, u0, u1, u2).unwrap();
    writeln!(out, " * scalar value with {{:?}} as a char, alone in a &str and after other chars.").unwrap();
    writeln!(out, " * Inclusive, sorted, disjoint code point ranges (surrogates merged into").unwrap();
    writeln!(out, " * their neighbours; \\t \\r \\n \\0 and quotes are escaped before lookup).").unwrap();
    writeln!(out, " */").unwrap();
    writeln!(out, "#ifndef RSTRACE_UNICODE_TABLES{}_H", upper).unwrap();
    writeln!(out, "#define RSTRACE_UNICODE_TABLES{}_H\n", upper).unwrap();
    writeln!(out, "#include \"unicode_range.h\"\n").unwrap();
    writeln!(out, "#define RFMT_UNICODE_VERSION{} \"{}.{}.{}\"", upper, u0, u1, u2).unwrap();
    writeln!(out, "#define RFMT_TABLES_RUSTC{} \"{}\"\n", upper, rustc).unwrap();
    emit(
        &mut out,
        &format!("rfmt_esc_ranges{}", suffix),
        "printed as \\u{..} by {:?}, in a char and anywhere in a string",
        &always,
    );
    writeln!(out, "#endif /* RSTRACE_UNICODE_TABLES{}_H */", upper).unwrap();
    print!("{}", out);
    eprintln!("{} escaped ranges", always.len());
}
