//! Free text an operator or a tenant sets (tenant names, key labels): a
//! length cap and no control characters, refused with the field's name.
//! The text reaches terminals, spreadsheets and logs, where a control
//! character acts instead of showing.

/// Checks `value` of `field`: at most `max_chars` characters, none of them
/// a control character or a bidirectional override.
pub fn check_free_text(field: &str, value: &str, max_chars: usize) -> Result<(), String> {
    let count = value.chars().count();
    if count > max_chars {
        return Err(format!(
            "{field}: {count} characters, at most {max_chars} allowed"
        ));
    }
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if let Some((at, c)) = value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() || bidi(*c))
    {
        return Err(format!(
            "{field}: control character {} at character {}; only printable text is allowed",
            c.escape_unicode(),
            at + 1
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_free_text;

    #[test]
    fn long_text_and_control_characters_are_refused_naming_the_field() {
        assert!(check_free_text("name", "Acme Inc — Zürich", 200).is_ok());
        let err = check_free_text("name", &"x".repeat(201), 200).unwrap_err();
        assert!(err.starts_with("name: 201 characters"), "{err}");
        let err = check_free_text("label", "a\u{1b}]0;x\u{7}", 200).unwrap_err();
        assert!(err.contains("label") && err.contains("\\u{1b}"), "{err}");
        assert!(check_free_text("name", "tab\there", 200).is_err());
        assert!(check_free_text("name", "evil\u{202e}txt", 200).is_err());
    }
}
