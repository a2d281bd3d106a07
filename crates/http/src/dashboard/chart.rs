//! The overview's chart: jobs per minute and mean wait over the last hour, drawn as inline SVG.

use std::{collections::BTreeMap, fmt::Write as _};

/// One minute of the chart: jobs finished, of which failed or retried, and the wait of those that waited.
pub(super) struct MinuteRow {
    pub(super) runs: u64,
    pub(super) failed: u64,
    pub(super) wait_sum: u64,
    pub(super) wait_runs: u64,
}

/// An SVG chart of the last hour: bars of jobs per minute (failures in red) and a line of the mean wait.
pub(super) fn chart(minutes: &BTreeMap<i64, MinuteRow>, now_minute: i64) -> String {
    let (w, h, left, bottom) = (720.0_f64, 200.0_f64, 48.0_f64, 24.0_f64);
    let slot = (w - left - 48.0) / 60.0;
    let max_runs = minutes.values().map(|m| m.runs).max().unwrap_or(0).max(1) as f64;
    let waits: Vec<(usize, f64)> = (0..60)
        .filter_map(|i| {
            let m = minutes.get(&(now_minute - 59 + i as i64))?;
            (m.wait_runs > 0).then(|| (i, m.wait_sum as f64 / m.wait_runs as f64))
        })
        .collect();
    let max_wait = waits.iter().map(|(_, w)| *w).fold(1.0_f64, f64::max);
    let plot_h = h - bottom - 12.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Jobs per minute and mean wait, last hour\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">"
    );
    for i in 0..60_i64 {
        let Some(m) = minutes.get(&(now_minute - 59 + i)) else { continue };
        let x = left + i as f64 * slot;
        let bar = plot_h * m.runs as f64 / max_runs;
        let bad = plot_h * m.failed as f64 / max_runs;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar:.1}\" fill=\"#7aa2e3\"><title>{} jobs</title></rect>",
            12.0 + plot_h - bar,
            slot * 0.8,
            m.runs
        );
        if m.failed > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bad:.1}\" fill=\"#d9534f\"/>",
                12.0 + plot_h - bad,
                slot * 0.8
            );
        }
    }
    if !waits.is_empty() {
        let points: Vec<String> = waits
            .iter()
            .map(|(i, wt)| {
                format!("{:.1},{:.1}", left + *i as f64 * slot + slot * 0.4, 12.0 + plot_h - plot_h * wt / max_wait)
            })
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"#e08a00\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#99a\"/>\
         <text x=\"4\" y=\"20\" font-size=\"11\" fill=\"#36c\">{max_runs:.0}/min</text>\
         <text x=\"{x2t}\" y=\"20\" font-size=\"11\" fill=\"#e08a00\">{max_wait:.0} ms</text>\
         <text x=\"{left}\" y=\"{yl}\" font-size=\"11\" fill=\"#667\">−60 min</text>\
         <text x=\"{x2m}\" y=\"{yl}\" font-size=\"11\" fill=\"#667\">now</text></svg>",
        y = 12.0 + plot_h,
        x2 = w - 48.0,
        x2t = w - 44.0,
        x2m = w - 72.0,
        yl = h - 6.0,
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_draws_a_bar_per_minute_with_runs() {
        let mut m = BTreeMap::new();
        m.insert(100, MinuteRow { runs: 10, failed: 2, wait_sum: 50, wait_runs: 10 });
        m.insert(99, MinuteRow { runs: 5, failed: 0, wait_sum: 0, wait_runs: 0 });
        let svg = chart(&m, 100);
        assert_eq!(svg.matches("<title>").count(), 2);
        assert!(svg.contains("#d9534f"), "failures drawn");
        assert!(svg.contains("polyline"), "wait line drawn");
    }
}
