//! Drawing SVG by hand for the charts: the document's frame and title, text that fits, legends,
//! grids and count axes, numbers as coordinates and percentages, and XML escaping. Knows
//! nothing of tickets.

use std::fmt::{self, Write};

pub(super) const FONT_FAMILY: &str =
    "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif";

pub(super) const BLUE: &str = "#1f6fd1";
pub(super) const TEAL: &str = "#14a3a3";
pub(super) const ORANGE: &str = "#f08a24";
/// Slice colours in order; the first three are the dashboard's blue, teal and orange.
pub(super) const PALETTE: [&str; 6] = [BLUE, TEAL, ORANGE, "#6b5fc7", "#d64f4f", "#8a99ab"];
pub(super) const BACKGROUND: &str = "#ffffff";
pub(super) const INK: &str = "#1f2d3d";
pub(super) const MUTED: &str = "#8a99ab";
pub(super) const AXIS: &str = "#b8c2cc";
pub(super) const GRID: &str = "#e6eaf0";

pub(super) const NO_DATA: &str = "暂无数据";
pub(super) const NO_VALUE: &str = "无数据";

pub(super) const TITLE_SIZE: f64 = 16.0;
pub(super) const LABEL_SIZE: f64 = 12.0;
pub(super) const VALUE_SIZE: f64 = 11.0;
/// Left and right margin of every chart, and the baseline of its title.
pub(super) const MARGIN: f64 = 20.0;
pub(super) const TITLE_Y: f64 = 30.0;

/// The rectangle data is drawn in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plot {
    pub(super) left: f64,
    pub(super) top: f64,
    pub(super) right: f64,
    pub(super) bottom: f64,
}

impl Plot {
    pub(super) fn width(self) -> f64 {
        self.right - self.left
    }

    pub(super) fn height(self) -> f64 {
        self.bottom - self.top
    }
}

/// Starts the document: the root element, its `<title>`, the background and the visible
/// title (cut to `title_width`).
pub(super) fn open(
    out: &mut String,
    width: f64,
    height: f64,
    title: &str,
    title_width: f64,
) -> fmt::Result {
    let (w, h) = (Px(width), Px(height));
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" font-family="{FONT_FAMILY}" font-size="{LABEL_SIZE}">"#
    )?;
    writeln!(out, "<title>{}</title>", escape(title))?;
    writeln!(
        out,
        r#"<rect width="{w}" height="{h}" fill="{BACKGROUND}"/>"#
    )?;
    fitted_text(
        out,
        MARGIN,
        TITLE_Y,
        &format!(r#"font-size="{TITLE_SIZE}" font-weight="bold" fill="{INK}""#),
        title,
        title_width,
        TITLE_SIZE,
    )
}

pub(super) fn close(out: &mut String) -> fmt::Result {
    writeln!(out, "</svg>")
}

/// A chart with nothing to show: the title and "暂无数据".
pub(super) fn no_data(out: &mut String, width: f64, height: f64, title: &str) -> fmt::Result {
    open(out, width, height, title, width - 2.0 * MARGIN)?;
    text(
        out,
        width / 2.0,
        height / 2.0 + 6.0,
        &format!(r#"font-size="14" text-anchor="middle" fill="{MUTED}""#),
        NO_DATA,
    )?;
    close(out)
}

pub(super) fn text(
    out: &mut String,
    x: f64,
    y: f64,
    attributes: &str,
    content: &str,
) -> fmt::Result {
    writeln!(
        out,
        r#"<text x="{}" y="{}" {attributes}>{}</text>"#,
        Px(x),
        Px(y),
        escape(content)
    )
}

/// A text cut to `max_width`; when cut, the whole text is its tooltip.
pub(super) fn fitted_text(
    out: &mut String,
    x: f64,
    y: f64,
    attributes: &str,
    content: &str,
    max_width: f64,
    font_size: f64,
) -> fmt::Result {
    let content = content.trim();
    let shown = fit(content, max_width, font_size);
    if shown == content {
        return text(out, x, y, attributes, content);
    }
    writeln!(
        out,
        r#"<text x="{}" y="{}" {attributes}><title>{}</title>{}</text>"#,
        Px(x),
        Px(y),
        escape(content),
        escape(&shown)
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    Line,
    Square,
}

pub(super) const LEGEND_MARK: f64 = 16.0;
pub(super) const LEGEND_GAP: f64 = 16.0;

pub(super) fn legend_width(items: &[(&str, &str)]) -> f64 {
    let labels: f64 = items
        .iter()
        .map(|(label, _)| LEGEND_MARK + 6.0 + text_width(label, LABEL_SIZE))
        .sum();
    labels + LEGEND_GAP * items.len().saturating_sub(1) as f64
}

/// A legend row of `(label, colour)` items ending at `right`, centred on the baseline `y`.
pub(super) fn legend(
    out: &mut String,
    right: f64,
    y: f64,
    items: &[(&str, &str)],
    mark: Mark,
) -> fmt::Result {
    let mut x = right - legend_width(items);
    let mid = y - 4.0;
    for (label, color) in items {
        match mark {
            Mark::Line => {
                writeln!(
                    out,
                    r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="2"/>"#,
                    Px(x),
                    Px(mid),
                    Px(x + LEGEND_MARK),
                    Px(mid)
                )?;
                writeln!(
                    out,
                    r#"<circle cx="{}" cy="{}" r="3" fill="{color}"/>"#,
                    Px(x + LEGEND_MARK / 2.0),
                    Px(mid)
                )?;
            }
            Mark::Square => writeln!(
                out,
                r#"<rect x="{}" y="{}" width="12" height="12" rx="2" fill="{color}"/>"#,
                Px(x + 2.0),
                Px(mid - 6.0)
            )?,
        }
        text(
            out,
            x + LEGEND_MARK + 6.0,
            y,
            &format!(r#"fill="{INK}""#),
            label,
        )?;
        x += LEGEND_MARK + 6.0 + text_width(label, LABEL_SIZE) + LEGEND_GAP;
    }
    Ok(())
}

/// Grid lines across a vertical value axis, with `(fraction of the axis, label)` ticks.
pub(super) fn horizontal_grid(
    out: &mut String,
    ticks: &[(f64, String)],
    plot: Plot,
) -> fmt::Result {
    let style = format!(r#"text-anchor="end" fill="{MUTED}""#);
    for (i, (fraction, label)) in ticks.iter().enumerate() {
        let y = plot.bottom - fraction * plot.height();
        let stroke = if i == 0 { AXIS } else { GRID };
        writeln!(
            out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" shape-rendering="crispEdges"/>"#,
            Px(plot.left),
            Px(y),
            Px(plot.right),
            Px(y)
        )?;
        text(out, plot.left - 8.0, y + 4.0, &style, label)?;
    }
    Ok(())
}

/// Grid lines across a horizontal value axis, labelled below the plot.
pub(super) fn vertical_grid(out: &mut String, ticks: &[(f64, String)], plot: Plot) -> fmt::Result {
    let style = format!(r#"text-anchor="middle" fill="{MUTED}""#);
    for (i, (fraction, label)) in ticks.iter().enumerate() {
        let x = plot.left + fraction * plot.width();
        let stroke = if i == 0 { AXIS } else { GRID };
        writeln!(
            out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" shape-rendering="crispEdges"/>"#,
            Px(x),
            Px(plot.top),
            Px(x),
            Px(plot.bottom)
        )?;
        text(out, x, plot.bottom + 18.0, &style, label)?;
    }
    Ok(())
}

/// A count axis from 0 to `top` in steps of 1, 2 or 5 × 10^k, at most `MAX_STEPS` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CountAxis {
    pub(super) step: u64,
    pub(super) top: u64,
}

impl CountAxis {
    const MAX_STEPS: u64 = 5;

    pub(super) fn new(max: u64) -> CountAxis {
        let max = max.max(1);
        let mut magnitude: u64 = 1;
        loop {
            for m in [1, 2, 5] {
                let step = magnitude.saturating_mul(m);
                let steps = max.div_ceil(step);
                if steps <= Self::MAX_STEPS {
                    return CountAxis {
                        step,
                        top: steps.saturating_mul(step),
                    };
                }
            }
            match magnitude.checked_mul(10) {
                Some(next) => magnitude = next,
                None => {
                    return CountAxis {
                        step: max,
                        top: max,
                    };
                }
            }
        }
    }

    pub(super) fn fraction(self, value: u64) -> f64 {
        (value as f64 / self.top as f64).clamp(0.0, 1.0)
    }

    pub(super) fn ticks(self) -> Vec<(f64, String)> {
        let mut ticks = Vec::new();
        let mut value = 0;
        while value <= self.top {
            ticks.push((self.fraction(value), self.label(value)));
            match value.checked_add(self.step) {
                Some(next) => value = next,
                None => break,
            }
        }
        ticks
    }

    /// Large values in 万 or 亿, which keeps tick labels short; the steps are round enough
    /// for one decimal to be exact.
    pub(super) fn label(self, value: u64) -> String {
        let (unit, suffix) = match self.top {
            _ if value == 0 => return "0".to_owned(),
            100_000_000.. => (100_000_000, "亿"),
            100_000.. => (10_000, "万"),
            _ => return value.to_string(),
        };
        let tenths = u128::from(value) * 10 / unit;
        if tenths.is_multiple_of(10) {
            format!("{}{suffix}", tenths / 10)
        } else {
            format!("{}.{}{suffix}", tenths / 10, tenths % 10)
        }
    }
}

/// A fraction as a percentage with at most one decimal: 0.875 → "87.5%", 0.75 → "75%".
pub(super) fn percent(fraction: f64) -> String {
    let tenths = (fraction * 1000.0).round();
    let sign = if tenths < 0.0 { "-" } else { "" };
    // A float-to-int `as` saturates, and rates are small: no overflow to fear.
    let tenths = tenths.abs() as u64;
    if tenths.is_multiple_of(10) {
        format!("{sign}{}%", tenths / 10)
    } else {
        format!("{sign}{}.{}%", tenths / 10, tenths % 10)
    }
}

/// A coordinate or length: at most two decimals, no trailing zeros, no "-0".
#[derive(Debug, Clone, Copy)]
pub(super) struct Px(pub(super) f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = (self.0 * 100.0).round() / 100.0;
        if !v.is_finite() || v == 0.0 {
            return f.write_str("0");
        }
        let text = format!("{v:.2}");
        f.write_str(text.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// A point in path data.
#[derive(Debug, Clone, Copy)]
pub(super) struct Xy(pub(super) f64, pub(super) f64);

impl fmt::Display for Xy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Px(self.0), Px(self.1))
    }
}

/// Text for XML content and attribute values: the five special characters escaped, line
/// breaks as spaces, and characters XML 1.0 cannot carry at all (other controls) dropped.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{20}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}' => out.push(c),
            _ => {}
        }
    }
    out
}

/// Roughly how wide a text is drawn: CJK and other wide characters one em, the rest 0.6 em.
/// It errs wide, so a text it says fits does fit.
pub(super) fn text_width(text: &str, font_size: f64) -> f64 {
    text.chars().map(char_width).sum::<f64>() * font_size
}

pub(super) fn char_width(c: char) -> f64 {
    if u32::from(c) >= 0x2000 { 1.0 } else { 0.6 }
}

/// `text` cut (by characters, never inside one) to fit `max_width`, ending in "…" when cut.
pub(super) fn fit(text: &str, max_width: f64, font_size: f64) -> String {
    if text_width(text, font_size) <= max_width {
        return text.to_owned();
    }
    let budget = max_width / font_size - char_width('…');
    let mut used = 0.0;
    let mut shown = String::new();
    for c in text.chars() {
        used += char_width(c);
        if used > budget {
            break;
        }
        shown.push(c);
    }
    shown.push('…');
    shown
}
