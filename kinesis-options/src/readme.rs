//! The README's option table, generated from [`crate::spec::OPTIONS`].
//!
//! `cargo test -p kinesis-options` fails when the section of `README.md` between
//! `<!-- options:begin -->` and `<!-- options:end -->` differs from [`options_markdown`];
//! `UPDATE_README=1 cargo test -p kinesis-options` rewrites it.

use crate::spec::{OptionSpec, Side, OPTIONS};

/// Marks the start of the generated section in README.md.
pub const BEGIN_MARKER: &str = "<!-- options:begin -->";
/// Marks the end of the generated section in README.md.
pub const END_MARKER: &str = "<!-- options:end -->";

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn row(s: &OptionSpec) -> String {
    let ty = match s.unit {
        Some(u) => format!("{} ({u})", s.value_type.as_str()),
        None => s.value_type.as_str().to_string(),
    };
    let default = match s.default {
        Some("") => "`''`".to_string(),
        Some(d) => format!("`{}`", cell(d)),
        None => "—".to_string(),
    };
    let allowed = if s.allowed.is_empty() {
        String::new()
    } else {
        s.allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut description = s.description.to_string();
    if !s.fallback_keys.is_empty() {
        let keys: Vec<String> = s.fallback_keys.iter().map(|k| format!("`{k}`")).collect();
        description.push_str(&format!(" Fallback key: {}.", keys.join(", ")));
    }
    format!(
        "| `{}` | {} | {} | {} | {} | {} |",
        cell(s.key),
        s.side.as_str(),
        ty,
        default,
        allowed,
        cell(&description)
    )
}

/// The option table in Markdown, grouped as common, source and sink options.
pub fn options_markdown() -> String {
    let header = "| key | side | type | default | allowed values | description |\n|---|---|---|---|---|---|\n";
    let mut out = String::from(
        "Generated from `kinesis-options/src/spec.rs` (`UPDATE_README=1 cargo test -p kinesis-options` regenerates it). \
         A table may serve as source and sink: every key of both sides is accepted and validated; unknown keys are \
         errors with a did-you-mean. Format options (`csv.*`, `json.*`, ...) belong to the format.\n",
    );
    type Pick = fn(&OptionSpec) -> bool;
    let groups: [(&str, Pick); 3] = [
        ("Common", |s| {
            s.side == Side::Both || s.key.starts_with("aws.")
        }),
        ("Source", |s| {
            s.side == Side::Source && !s.key.starts_with("aws.")
        }),
        ("Sink", |s| {
            s.side == Side::Sink && !s.key.starts_with("aws.")
        }),
    ];
    for (title, pick) in groups {
        out.push_str(&format!("\n### {title} options\n\n{header}"));
        for s in OPTIONS.iter().filter(|s| pick(s)) {
            out.push_str(&row(s));
            out.push('\n');
        }
    }
    out
}

/// `readme` with its generated section replaced by `table`, or `None` when the markers
/// are missing.
pub fn replace_section(readme: &str, table: &str) -> Option<String> {
    let begin = readme.find(BEGIN_MARKER)? + BEGIN_MARKER.len();
    let end = readme[begin..].find(END_MARKER)? + begin;
    Some(format!("{}\n{}{}", &readme[..begin], table, &readme[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_option_table_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
        let readme = std::fs::read_to_string(path).expect("README.md is readable");
        let want = replace_section(&readme, &options_markdown())
            .expect("README.md has the <!-- options:begin --> / <!-- options:end --> markers");
        if want != readme {
            if std::env::var_os("UPDATE_README").is_some() {
                std::fs::write(path, want).expect("README.md is writable");
            } else {
                panic!(
                    "README.md's option table is out of date; run `UPDATE_README=1 cargo test -p kinesis-options`"
                );
            }
        }
    }

    #[test]
    fn every_option_has_a_row() {
        let md = options_markdown();
        for s in OPTIONS {
            assert!(md.contains(&format!("| `{}` |", cell(s.key))), "{}", s.key);
        }
    }
}

/// The examples of this module's items (the module is private, so not doctests).
#[cfg(test)]
mod examples {
    #[test]
    fn options_markdown_example() {
        let md = crate::readme::options_markdown();
        assert!(md.contains("| `sink.batch.max-size` | sink | Integer | `500` |"));
    }

    #[test]
    fn replace_section_example() {
        use crate::readme::replace_section;
        let md = "# x\n<!-- options:begin -->\nold\n<!-- options:end -->\n";
        assert_eq!(
            replace_section(md, "new\n").unwrap(),
            "# x\n<!-- options:begin -->\nnew\n<!-- options:end -->\n"
        );
    }
}
