//! Product images drawn on the fly, so the demo shows pictures with no network and no binary
//! assets in the repository.

use super::Entry;

const FALLBACK: &str = "#5b6b7f";

/// Width and height of every image, in pixels.
pub const SIZE: u32 = 400;

/// An SVG card: the variant's swatch colour, the brand, and the title wrapped over a few lines.
pub fn variant_svg(entry: Entry<'_>) -> String {
    let fill = entry
        .variant
        .swatch
        .as_deref()
        .filter(|s| is_hex_colour(s))
        .unwrap_or(FALLBACK);
    let ink = if is_light(fill) { "#1f2328" } else { "#ffffff" };
    let mut lines = String::new();
    for (i, line) in wrap(&entry.product.title, 22).iter().take(4).enumerate() {
        lines.push_str(&format!(
            r#"<text x="24" y="{}" font-size="26" font-weight="600">{}</text>"#,
            150 + i * 34,
            escape(line)
        ));
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" font-family="Helvetica, Arial, sans-serif"><rect width="400" height="400" rx="24" fill="{fill}"/><g fill="{ink}"><text x="24" y="64" font-size="18" opacity="0.8">{brand}</text>{lines}<text x="24" y="372" font-size="16" opacity="0.8">{variant}</text></g></svg>"#,
        brand = escape(&entry.product.brand),
        variant = escape(&entry.variant.title),
    )
}

fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Perceived brightness above the midpoint (ITU-R BT.601 weights).
fn is_light(hex: &str) -> bool {
    let channel = |i: usize| u32::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
    (channel(1) * 299 + channel(3) * 587 + channel(5) * 114) / 1000 > 150
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_escapes() {
        assert_eq!(
            wrap("Harbor & Co Vintage Denim Jacket", 12),
            vec!["Harbor & Co", "Vintage", "Denim Jacket"]
        );
        assert_eq!(escape("A & <B>"), "A &amp; &lt;B&gt;");
        assert!(is_light("#f4f4f2"));
        assert!(!is_light("#1f2328"));
    }
}
