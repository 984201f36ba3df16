//! The statistics dashboard's charts as server-rendered SVG: one pure function per chart, each
//! returning a complete standalone SVG document with Chinese labels. The SVG is written by
//! hand (no dependency); every text that comes from a caller is XML-escaped, long labels are
//! cut to fit with "…", and a chart with nothing to show says "暂无数据".
//!
//! Data bars carry `class="bar"`, trend markers `class="point"` and donut slices
//! `class="slice"`, for stylesheets and tests.

use std::fmt::{self, Write};

use super::svg::{
    BACKGROUND, BLUE, CountAxis, INK, LABEL_SIZE, MARGIN, MUTED, Mark, NO_VALUE, ORANGE, PALETTE,
    Plot, Px, TEAL, TITLE_Y, VALUE_SIZE, Xy, close, escape, fitted_text, horizontal_grid, legend,
    legend_width, no_data, open, percent, text, text_width, vertical_grid,
};

/// One period of a trend: its label (e.g. "2026-12") and the tickets filed and resolved in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    pub label: String,
    pub filed: u64,
    pub resolved: u64,
}

/// The rates of one department, fractions between 0 and 1; `None` where a rate is undefined
/// (nothing to divide by), which is drawn as "无数据", never as 0.
#[derive(Debug, Clone, PartialEq)]
pub struct RateRow {
    pub label: String,
    pub resolution_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

/// A labelled count: the tickets of a category, or the ratings of one grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountSlice {
    pub label: String,
    pub value: u64,
}

/// A chart of filed and resolved tickets per period: two lines over a count axis from 0.
/// Many periods are drawn with thinned-out labels (at most 12) and without point markers.
pub fn trend(title: &str, points: &[TrendPoint]) -> String {
    render(|out| draw_trend(out, title, points))
}

/// Horizontal grouped bars of each department's 办结率, 按期率 and 满意率 on a 0–100% axis;
/// the chart grows in height with the number of rows.
pub fn rates_by_department(title: &str, rows: &[RateRow]) -> String {
    render(|out| draw_rates(out, title, rows))
}

/// Horizontal bars of ticket counts per category, in the order given.
pub fn by_category(title: &str, slices: &[CountSlice]) -> String {
    render(|out| draw_categories(out, title, slices))
}

/// A donut of rating counts (满意 / 基本满意 / 不满意, or whatever slices are given) with
/// percentages on the ring and in the legend, and the total in the middle.
pub fn satisfaction_mix(title: &str, slices: &[CountSlice]) -> String {
    render(|out| draw_mix(out, title, slices))
}

fn render(draw: impl FnOnce(&mut String) -> fmt::Result) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail; the Result only lets the drawing use `?`.
    let _ = draw(&mut out);
    out
}

fn draw_trend(out: &mut String, title: &str, points: &[TrendPoint]) -> fmt::Result {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 360.0;
    /// Beyond this many periods the points get no markers: they would merge into a band.
    const MAX_MARKERS: usize = 31;
    const MAX_X_LABELS: usize = 12;

    if points.is_empty() {
        return no_data(out, WIDTH, HEIGHT, title);
    }
    let series = [
        (
            "提交量",
            BLUE,
            points.iter().map(|p| p.filed).collect::<Vec<_>>(),
        ),
        ("办结量", TEAL, points.iter().map(|p| p.resolved).collect()),
    ];
    let items: Vec<(&str, &str)> = series
        .iter()
        .map(|(name, color, _)| (*name, *color))
        .collect();
    let legend_w = legend_width(&items);
    open(
        out,
        WIDTH,
        HEIGHT,
        title,
        WIDTH - 2.0 * MARGIN - legend_w - 24.0,
    )?;
    legend(out, WIDTH - MARGIN, TITLE_Y, &items, Mark::Line)?;

    let plot = Plot {
        left: 64.0,
        top: 56.0,
        right: WIDTH - 24.0,
        bottom: HEIGHT - 44.0,
    };
    let max = points
        .iter()
        .map(|p| p.filed.max(p.resolved))
        .max()
        .unwrap_or(0);
    let axis = CountAxis::new(max);
    horizontal_grid(out, &axis.ticks(), plot)?;

    let band = plot.width() / points.len() as f64;
    let x_of = |i: usize| plot.left + band * (i as f64 + 0.5);
    let y_of = |v: u64| plot.bottom - axis.fraction(v) * plot.height();

    // Thin the labels out so that the widest fits its share of the axis.
    let widest = points
        .iter()
        .map(|p| text_width(&p.label, LABEL_SIZE))
        .fold(0.0, f64::max)
        .min(120.0);
    let stride = points
        .len()
        .div_ceil(MAX_X_LABELS)
        .max(((widest + 8.0) / band).ceil() as usize)
        .max(1);
    let label_style = format!(r#"text-anchor="middle" fill="{MUTED}""#);
    for (i, point) in points.iter().enumerate().step_by(stride) {
        fitted_text(
            out,
            x_of(i),
            plot.bottom + 20.0,
            &label_style,
            &point.label,
            band * stride as f64 - 6.0,
            LABEL_SIZE,
        )?;
    }

    for (name, color, values) in &series {
        write!(
            out,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" points=""#
        )?;
        for (i, &v) in values.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(out, "{sep}{},{}", Px(x_of(i)), Px(y_of(v)))?;
        }
        writeln!(out, r#""/>"#)?;
        if points.len() <= MAX_MARKERS {
            for (i, (&v, point)) in values.iter().zip(points).enumerate() {
                writeln!(
                    out,
                    r#"<circle class="point" cx="{}" cy="{}" r="3" fill="{color}" stroke="{BACKGROUND}" stroke-width="1.5"><title>{} {name} {v}</title></circle>"#,
                    Px(x_of(i)),
                    Px(y_of(v)),
                    escape(&point.label),
                )?;
            }
        }
    }
    close(out)
}

fn draw_rates(out: &mut String, title: &str, rows: &[RateRow]) -> fmt::Result {
    const WIDTH: f64 = 720.0;
    const BAR: f64 = 12.0;
    const BAR_GAP: f64 = 3.0;
    const ROW_PAD: f64 = 14.0;
    const ROW: f64 = 3.0 * BAR + 2.0 * BAR_GAP + ROW_PAD;

    if rows.is_empty() {
        return no_data(out, WIDTH, 240.0, title);
    }
    let items = [("办结率", BLUE), ("按期率", TEAL), ("满意率", ORANGE)];
    let plot = Plot {
        left: 156.0,
        top: 52.0,
        right: WIDTH - 64.0,
        bottom: 52.0 + ROW * rows.len() as f64,
    };
    let height = plot.bottom + 32.0;
    open(
        out,
        WIDTH,
        height,
        title,
        WIDTH - 2.0 * MARGIN - legend_width(&items) - 24.0,
    )?;
    legend(out, WIDTH - MARGIN, TITLE_Y, &items, Mark::Square)?;
    let ticks: Vec<(f64, String)> = (0..=5)
        .map(|k| (f64::from(k) / 5.0, format!("{}%", k * 20)))
        .collect();
    vertical_grid(out, &ticks, plot)?;

    let name_style = format!(r#"text-anchor="end" fill="{INK}""#);
    let value_style = format!(r#"font-size="{VALUE_SIZE}" fill="{INK}""#);
    let missing_style = format!(r#"font-size="{VALUE_SIZE}" fill="{MUTED}""#);
    for (r, row) in rows.iter().enumerate() {
        let group_top = plot.top + ROW * r as f64 + ROW_PAD / 2.0;
        fitted_text(
            out,
            plot.left - 8.0,
            group_top + (ROW - ROW_PAD) / 2.0 + 4.0,
            &name_style,
            &row.label,
            plot.left - 8.0 - MARGIN,
            LABEL_SIZE,
        )?;
        let rates = [row.resolution_rate, row.on_time_rate, row.satisfaction_rate];
        for (k, (rate, (name, color))) in rates.iter().zip(items).enumerate() {
            let y = group_top + (BAR + BAR_GAP) * k as f64;
            let text_y = y + BAR - 2.0;
            match rate.filter(|v| v.is_finite()) {
                None => text(out, plot.left + 4.0, text_y, &missing_style, NO_VALUE)?,
                Some(rate) => {
                    // Out-of-range rates are an upstream bug: keep the bar inside the plot but
                    // print the true value.
                    let w = rate.clamp(0.0, 1.0) * plot.width();
                    let shown = percent(rate);
                    writeln!(
                        out,
                        r#"<rect class="bar" x="{}" y="{}" width="{}" height="{BAR}" fill="{color}"><title>{} {name} {shown}</title></rect>"#,
                        Px(plot.left),
                        Px(y),
                        Px(w),
                        escape(&row.label),
                    )?;
                    text(out, plot.left + w + 4.0, text_y, &value_style, &shown)?;
                }
            }
        }
    }
    close(out)
}

fn draw_categories(out: &mut String, title: &str, slices: &[CountSlice]) -> fmt::Result {
    const WIDTH: f64 = 720.0;
    const BAR: f64 = 18.0;
    const ROW: f64 = 30.0;

    if slices.is_empty() {
        return no_data(out, WIDTH, 240.0, title);
    }
    let plot = Plot {
        left: 156.0,
        top: 48.0,
        right: WIDTH - 64.0,
        bottom: 48.0 + ROW * slices.len() as f64,
    };
    open(out, WIDTH, plot.bottom + 32.0, title, WIDTH - 2.0 * MARGIN)?;
    let max = slices.iter().map(|s| s.value).max().unwrap_or(0);
    let axis = CountAxis::new(max);
    vertical_grid(out, &axis.ticks(), plot)?;

    let name_style = format!(r#"text-anchor="end" fill="{INK}""#);
    let value_style = format!(r#"font-size="{VALUE_SIZE}" fill="{INK}""#);
    for (i, slice) in slices.iter().enumerate() {
        let y = plot.top + ROW * i as f64 + (ROW - BAR) / 2.0;
        fitted_text(
            out,
            plot.left - 8.0,
            y + BAR / 2.0 + 4.0,
            &name_style,
            &slice.label,
            plot.left - 8.0 - MARGIN,
            LABEL_SIZE,
        )?;
        let w = axis.fraction(slice.value) * plot.width();
        writeln!(
            out,
            r#"<rect class="bar" x="{}" y="{}" width="{}" height="{BAR}" fill="{BLUE}"><title>{} {}</title></rect>"#,
            Px(plot.left),
            Px(y),
            Px(w),
            escape(&slice.label),
            slice.value,
        )?;
        text(
            out,
            plot.left + w + 4.0,
            y + BAR / 2.0 + 4.0,
            &value_style,
            &slice.value.to_string(),
        )?;
    }
    close(out)
}

fn draw_mix(out: &mut String, title: &str, slices: &[CountSlice]) -> fmt::Result {
    const WIDTH: f64 = 520.0;
    const OUTER: f64 = 100.0;
    const INNER: f64 = 60.0;
    const CX: f64 = 150.0;
    const LEGEND_ROW: f64 = 28.0;
    /// Slices smaller than this get their percentage in the legend only: it would not fit.
    const MIN_LABELLED: f64 = 0.06;

    let total: u128 = slices.iter().map(|s| u128::from(s.value)).sum();
    let height = (80.0 + LEGEND_ROW * slices.len() as f64).max(300.0);
    if total == 0 {
        return no_data(out, WIDTH, height, title);
    }
    open(out, WIDTH, height, title, WIDTH - 2.0 * MARGIN)?;
    let cy = 50.0 + (height - 50.0) / 2.0;
    let total_f = total as f64;

    let mut start = 0.0_f64;
    for (i, slice) in slices.iter().enumerate() {
        if slice.value == 0 {
            continue;
        }
        let color = PALETTE[i % PALETTE.len()];
        let fraction = slice.value as f64 / total_f;
        let shown = percent(fraction);
        let tip = format!("{} {} {shown}", escape(&slice.label), slice.value);
        if u128::from(slice.value) == total {
            // An arc cannot end where it starts, so the whole ring is a stroked circle.
            writeln!(
                out,
                r#"<circle class="slice" cx="{}" cy="{}" r="{}" fill="none" stroke="{color}" stroke-width="{}"><title>{tip}</title></circle>"#,
                Px(CX),
                Px(cy),
                Px((OUTER + INNER) / 2.0),
                Px(OUTER - INNER),
            )?;
        } else {
            let end = start + fraction * std::f64::consts::TAU;
            // Two arcs per side, split at the middle: each spans at most half a turn, so no
            // large-arc flag is needed and a slice of nearly 100% cannot collapse into
            // coinciding end points once the coordinates are rounded.
            let mid = (start + end) / 2.0;
            let at = |r: f64, a: f64| Xy(CX + r * a.sin(), cy - r * a.cos());
            let (o, i_) = (Px(OUTER), Px(INNER));
            writeln!(
                out,
                r#"<path class="slice" fill="{color}" stroke="{BACKGROUND}" stroke-width="1.5" d="M {} A {o} {o} 0 0 1 {} A {o} {o} 0 0 1 {} L {} A {i_} {i_} 0 0 0 {} A {i_} {i_} 0 0 0 {} Z"><title>{tip}</title></path>"#,
                at(OUTER, start),
                at(OUTER, mid),
                at(OUTER, end),
                at(INNER, end),
                at(INNER, mid),
                at(INNER, start),
            )?;
        }
        if fraction >= MIN_LABELLED {
            let mid = start + fraction * std::f64::consts::PI;
            let r = (OUTER + INNER) / 2.0;
            text(
                out,
                CX + r * mid.sin(),
                cy - r * mid.cos() + 4.0,
                &format!(
                    r#"font-size="{VALUE_SIZE}" font-weight="bold" text-anchor="middle" fill="{BACKGROUND}""#
                ),
                &shown,
            )?;
        }
        start += fraction * std::f64::consts::TAU;
    }
    text(
        out,
        CX,
        cy + 4.0,
        &format!(r#"font-size="22" font-weight="bold" text-anchor="middle" fill="{INK}""#),
        &total.to_string(),
    )?;
    text(
        out,
        CX,
        cy + 24.0,
        &format!(r#"text-anchor="middle" fill="{MUTED}""#),
        "合计",
    )?;

    let legend_left = CX + OUTER + 40.0;
    let first = cy - LEGEND_ROW * (slices.len() as f64 - 1.0) / 2.0;
    let name_style = format!(r#"fill="{INK}""#);
    let count_style = format!(r#"text-anchor="end" fill="{INK}""#);
    let share_style = format!(r#"text-anchor="end" fill="{MUTED}""#);
    for (i, slice) in slices.iter().enumerate() {
        let y = first + LEGEND_ROW * i as f64;
        writeln!(
            out,
            r#"<rect x="{}" y="{}" width="12" height="12" rx="2" fill="{}"/>"#,
            Px(legend_left),
            Px(y - 6.0),
            PALETTE[i % PALETTE.len()],
        )?;
        fitted_text(
            out,
            legend_left + 18.0,
            y + 4.0,
            &name_style,
            &slice.label,
            WIDTH - MARGIN - 110.0 - (legend_left + 18.0),
            LABEL_SIZE,
        )?;
        text(
            out,
            WIDTH - MARGIN - 56.0,
            y + 4.0,
            &count_style,
            &slice.value.to_string(),
        )?;
        text(
            out,
            WIDTH - MARGIN,
            y + 4.0,
            &share_style,
            &percent(slice.value as f64 / total_f),
        )?;
    }
    close(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::svg::{NO_DATA, fit};
    use super::*;

    const SVG_NS: &str = "http://www.w3.org/2000/svg";
    const HOSTILE: &str = "<img src=x onerror=alert(1)>";

    /// Parses a chart and checks what every chart must be: an `svg` root in the SVG
    /// namespace with a size, a matching viewBox and a `<title>` first.
    fn parse(svg: &str) -> roxmltree::Document<'_> {
        let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.tag_name().namespace(), Some(SVG_NS));
        let w = root.attribute("width").expect("width");
        let h = root.attribute("height").expect("height");
        assert_eq!(
            root.attribute("viewBox"),
            Some(format!("0 0 {w} {h}").as_str())
        );
        let first = root.first_element_child().expect("a child");
        assert_eq!(first.tag_name().name(), "title");
        doc
    }

    fn title_of(doc: &roxmltree::Document<'_>) -> String {
        let first = doc.root_element().first_element_child().unwrap();
        first.text().unwrap_or("").to_owned()
    }

    /// The visible texts: each `<text>`'s own text, without its tooltip.
    fn texts(doc: &roxmltree::Document<'_>) -> Vec<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| {
                n.children()
                    .filter(|c| c.is_text())
                    .filter_map(|c| c.text())
                    .collect()
            })
            .collect()
    }

    fn has_text(doc: &roxmltree::Document<'_>, wanted: &str) -> bool {
        texts(doc).iter().any(|t| t == wanted)
    }

    fn number(node: roxmltree::Node<'_, '_>, attribute: &str) -> f64 {
        node.attribute(attribute).unwrap().parse().unwrap()
    }

    fn elements<'a>(
        doc: &'a roxmltree::Document<'a>,
        tag: &'a str,
        class: &'a str,
    ) -> Vec<roxmltree::Node<'a, 'a>> {
        doc.descendants()
            .filter(|n| n.has_tag_name(tag) && n.attribute("class") == Some(class))
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.02
    }

    fn point(label: &str, filed: u64, resolved: u64) -> TrendPoint {
        TrendPoint {
            label: label.to_owned(),
            filed,
            resolved,
        }
    }

    fn slice(label: &str, value: u64) -> CountSlice {
        CountSlice {
            label: label.to_owned(),
            value,
        }
    }

    fn row(label: &str, rates: [Option<f64>; 3]) -> RateRow {
        RateRow {
            label: label.to_owned(),
            resolution_rate: rates[0],
            on_time_rate: rates[1],
            satisfaction_rate: rates[2],
        }
    }

    #[test]
    fn trend_has_title_legend_labels_and_proportional_points() {
        let svg = trend(
            "2026年受理趋势",
            &[
                point("1月", 10, 0),
                point("2月", 20, 10),
                point("3月", 0, 20),
            ],
        );
        let doc = parse(&svg);
        assert_eq!(title_of(&doc), "2026年受理趋势");
        for wanted in ["2026年受理趋势", "提交量", "办结量", "1月", "2月", "3月"] {
            assert!(has_text(&doc, wanted), "missing {wanted}");
        }
        // Max 20: ticks every 5.
        for tick in ["0", "5", "10", "15", "20"] {
            assert!(has_text(&doc, tick), "missing tick {tick}");
        }
        let points = elements(&doc, "circle", "point");
        assert_eq!(points.len(), 6);
        let cy: Vec<f64> = points.iter().map(|p| number(*p, "cy")).collect();
        let baseline = cy[2]; // filed 0 in March
        assert!(close(cy[5], baseline - 2.0 * (baseline - cy[0])), "{cy:?}");
        assert!(
            close(cy[0], cy[4]),
            "filed 10 and resolved 10 at one height"
        );
        assert!(close(cy[3], baseline), "resolved 0 on the baseline");
        let cx: Vec<f64> = points.iter().map(|p| number(*p, "cx")).collect();
        assert!(cx[0] < cx[1] && cx[1] < cx[2]);
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("polyline"))
                .count(),
            2
        );
    }

    #[test]
    fn trend_with_many_points_thins_labels_and_drops_markers() {
        let points: Vec<TrendPoint> = (0..400)
            .map(|i| {
                point(
                    &format!("2026-{:02}-{:02}", i / 28 + 1, i % 28 + 1),
                    i,
                    i / 2,
                )
            })
            .collect();
        let svg = trend("按日趋势", &points);
        let doc = parse(&svg);
        let shown = texts(&doc)
            .into_iter()
            .filter(|t| t.starts_with("2026-"))
            .count();
        assert!((2..=12).contains(&shown), "{shown} x labels");
        assert!(elements(&doc, "circle", "point").is_empty());
        let line = doc
            .descendants()
            .find(|n| n.has_tag_name("polyline"))
            .unwrap();
        assert_eq!(line.attribute("points").unwrap().split(' ').count(), 400);
    }

    #[test]
    fn empty_charts_say_no_data() {
        let charts = [
            trend("趋势", &[]),
            rates_by_department("部门", &[]),
            by_category("类别", &[]),
            satisfaction_mix("满意度", &[]),
            satisfaction_mix("满意度", &[slice("满意", 0), slice("不满意", 0)]),
        ];
        for svg in &charts {
            let doc = parse(svg);
            assert!(has_text(&doc, NO_DATA), "{svg}");
            assert!(!title_of(&doc).is_empty());
        }
    }

    #[test]
    fn hostile_labels_are_escaped() {
        let title = "A&B \"图\" 'x'";
        let charts = [
            trend(title, &[point(HOSTILE, 1, 1)]),
            rates_by_department(title, &[row(HOSTILE, [Some(0.5), None, None])]),
            by_category(title, &[slice(HOSTILE, 3)]),
            satisfaction_mix(title, &[slice(HOSTILE, 3)]),
        ];
        for svg in &charts {
            assert!(!svg.contains("<img"), "{svg}");
            assert!(svg.contains("&lt;img src=x onerror=alert(1)&gt;"), "{svg}");
            assert!(svg.contains("A&amp;B &quot;图&quot; &apos;x&apos;"));
            let doc = parse(svg);
            assert_eq!(title_of(&doc), title);
            // Nothing but SVG's own elements: the label stayed text.
            assert!(doc.descendants().all(|n| !n.has_tag_name("img")));
        }
        // Wide enough in the trend to be shown whole.
        let doc = parse(&charts[0]);
        assert!(has_text(&doc, HOSTILE));
    }

    #[test]
    fn rates_are_proportional_bars_and_none_is_no_data() {
        let svg = rates_by_department(
            "各部门办理情况",
            &[
                row("区市场监管局", [Some(1.0), Some(0.5), Some(0.875)]),
                row("区住建局", [Some(0.0), None, None]),
            ],
        );
        let doc = parse(&svg);
        for wanted in [
            "各部门办理情况",
            "办结率",
            "按期率",
            "满意率",
            "区市场监管局",
            "区住建局",
        ] {
            assert!(has_text(&doc, wanted), "missing {wanted}");
        }
        for wanted in ["100%", "50%", "87.5%", "0%", "无数据"] {
            assert!(has_text(&doc, wanted), "missing {wanted}");
        }
        assert_eq!(texts(&doc).iter().filter(|t| *t == NO_VALUE).count(), 2);
        let bars = elements(&doc, "rect", "bar");
        // Two None rates draw no bar; a rate of 0 draws one of width 0.
        assert_eq!(bars.len(), 4);
        let widths: Vec<f64> = bars.iter().map(|b| number(*b, "width")).collect();
        assert!(widths[0] > 0.0);
        assert!(close(widths[1], widths[0] / 2.0), "{widths:?}");
        assert!(close(widths[2], widths[0] * 0.875), "{widths:?}");
        assert!(close(widths[3], 0.0));
    }

    #[test]
    fn rates_chart_grows_with_rows() {
        let height = |n: usize| {
            let rows: Vec<RateRow> = (0..n)
                .map(|i| row(&format!("部门{i}"), [Some(0.9), Some(0.8), Some(0.7)]))
                .collect();
            let svg = rates_by_department("t", &rows);
            let doc = parse(&svg);
            number(doc.root_element(), "height")
        };
        assert!(height(10) > height(2));
        assert!(close(height(10) - height(2), 4.0 * (height(4) - height(2))));
    }

    #[test]
    fn categories_are_proportional_bars() {
        let svg = by_category(
            "诉求类别分布",
            &[
                slice("融资需求", 10),
                slice("用工招聘", 20),
                slice("政策咨询", 0),
            ],
        );
        let doc = parse(&svg);
        for wanted in [
            "诉求类别分布",
            "融资需求",
            "用工招聘",
            "政策咨询",
            "10",
            "20",
            "0",
        ] {
            assert!(has_text(&doc, wanted), "missing {wanted}");
        }
        let bars = elements(&doc, "rect", "bar");
        assert_eq!(bars.len(), 3);
        let widths: Vec<f64> = bars.iter().map(|b| number(*b, "width")).collect();
        assert!(widths[1] > 0.0);
        assert!(close(widths[0] * 2.0, widths[1]), "{widths:?}");
        assert!(close(widths[2], 0.0));
        let ys: Vec<f64> = bars.iter().map(|b| number(*b, "y")).collect();
        assert!(ys[0] < ys[1] && ys[1] < ys[2], "in the order given");
    }

    #[test]
    fn satisfaction_mix_has_percentages_and_legend() {
        let svg = satisfaction_mix(
            "满意度构成",
            &[slice("满意", 3), slice("基本满意", 1), slice("不满意", 0)],
        );
        let doc = parse(&svg);
        for wanted in [
            "满意度构成",
            "满意",
            "基本满意",
            "不满意",
            "75%",
            "25%",
            "0%",
            "4",
        ] {
            assert!(has_text(&doc, wanted), "missing {wanted}");
        }
        // The zero slice has no path; the others do.
        assert_eq!(elements(&doc, "path", "slice").len(), 2);
    }

    #[test]
    fn half_slices_split_the_ring_at_top_and_bottom() {
        let svg = satisfaction_mix("t", &[slice("满意", 5), slice("不满意", 5)]);
        let doc = parse(&svg);
        let paths = elements(&doc, "path", "slice");
        assert_eq!(paths.len(), 2);
        let d: Vec<f64> = paths[0]
            .attribute("d")
            .unwrap()
            .split(' ')
            .filter_map(|t| t.parse().ok())
            .collect();
        // M x y, then A rx ry rot large sweep x y: the first arc ends at the middle angle,
        // a quarter turn (right of the centre), the second half a turn (below it).
        let (start, mid, end) = ((d[0], d[1]), (d[7], d[8]), (d[14], d[15]));
        let centre = (start.0, start.1 + 100.0);
        assert!(
            close(mid.0, centre.0 + 100.0) && close(mid.1, centre.1),
            "{d:?}"
        );
        assert!(
            close(end.0, centre.0) && close(end.1, centre.1 + 100.0),
            "{d:?}"
        );
        assert!(has_text(&doc, "50%"));
    }

    #[test]
    fn a_single_slice_is_a_full_ring() {
        let svg = satisfaction_mix("t", &[slice("满意", 7), slice("不满意", 0)]);
        let doc = parse(&svg);
        assert!(elements(&doc, "path", "slice").is_empty());
        let ring = elements(&doc, "circle", "slice");
        assert_eq!(ring.len(), 1);
        assert_eq!(ring[0].attribute("stroke"), Some(BLUE));
        assert!(has_text(&doc, "100%"));
    }

    #[test]
    fn long_labels_are_cut_by_characters() {
        let long = "区发展和改革委员会（区粮食和物资储备局）产业发展科";
        let svg = by_category("t", &[slice(long, 1)]);
        let doc = parse(&svg);
        let shown = texts(&doc).into_iter().find(|t| t.ends_with('…')).unwrap();
        assert!(long.starts_with(shown.trim_end_matches('…')));
        assert!(shown.chars().count() < long.chars().count());
        // The whole label is the tooltip.
        assert!(
            doc.descendants()
                .any(|n| n.has_tag_name("title") && n.text() == Some(long))
        );

        assert_eq!(fit("融资需求", 1000.0, 12.0), "融资需求");
        assert_eq!(fit("融资需求", 36.0, 12.0), "融资…");
        assert_eq!(fit("abcdef", 3.0 * 7.2 + 13.0, 12.0), "abc…");
    }

    #[test]
    fn escape_drops_what_xml_cannot_carry() {
        assert_eq!(escape("a\u{0}b\u{1b}c\nd\u{FFFF}"), "abc d");
        assert_eq!(escape("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;");
        let svg = by_category("\u{7}标题", &[slice("x\u{0}y", 1)]);
        let doc = parse(&svg);
        assert!(has_text(&doc, "xy"));
    }

    #[test]
    fn numbers_have_no_float_noise() {
        assert_eq!(Px(0.1 + 0.2).to_string(), "0.3");
        assert_eq!(Px(12.0).to_string(), "12");
        assert_eq!(Px(-0.0001).to_string(), "0");
        assert_eq!(Px(1.0 / 3.0).to_string(), "0.33");
        assert_eq!(Px(-2.5).to_string(), "-2.5");
        assert_eq!(percent(0.875), "87.5%");
        assert_eq!(percent(0.75), "75%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(2.0 / 3.0), "66.7%");
        assert_eq!(percent(0.9999), "100%");
    }

    #[test]
    fn count_axis_steps_are_round() {
        let axis = |max| {
            let a = CountAxis::new(max);
            (a.step, a.top)
        };
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(3), (1, 3));
        assert_eq!(axis(7), (2, 8));
        assert_eq!(axis(20), (5, 20));
        assert_eq!(axis(101), (50, 150));
        assert_eq!(axis(4321), (1000, 5000));
        assert_eq!(axis(u64::MAX).1, u64::MAX);
        let big = CountAxis::new(180_000);
        let labels: Vec<String> = big.ticks().into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["0", "5万", "10万", "15万", "20万"]);
        let ticks = CountAxis::new(7).ticks();
        assert_eq!(ticks.len(), 5);
        assert!(close(ticks[4].0, 1.0));
    }

    #[test]
    fn huge_counts_stay_well_formed() {
        let svg = by_category("t", &[slice("a", u64::MAX), slice("b", 1)]);
        let doc = parse(&svg);
        assert!(has_text(&doc, &u64::MAX.to_string()));
        let svg = satisfaction_mix("t", &[slice("a", u64::MAX), slice("b", u64::MAX)]);
        let doc = parse(&svg);
        assert!(has_text(&doc, "50%"));
    }
}
