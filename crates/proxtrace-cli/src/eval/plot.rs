//! `--plot OUT.svg`: attenuation against camera distance (every labelled scan instance, with
//! the median per distance bin) and the per-scan ROC curve, drawn with plotters' SVG backend.

use std::path::Path;

use plotters::prelude::*;

use super::EvalError;
use super::run::PlotData;

/// Distance bins of the median line, metres.
const BINS: [f64; 11] = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0, 30.0];

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Write the SVG.
pub fn write_svg(path: &Path, p: &PlotData) -> Result<(), EvalError> {
    let bad = |e: String| EvalError::Data {
        path: path.to_owned(),
        reason: format!("drawing the plot: {e}"),
    };
    let root = SVGBackend::new(path, (1200, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| bad(e.to_string()))?;
    let root = root
        .titled(&p.title, ("sans-serif", 20))
        .map_err(|e| bad(e.to_string()))?;
    let (left, right) = root.split_horizontally(640);
    let max_d = p.scans.iter().map(|s| s.0).fold(1.0f64, f64::max).min(15.0);
    let (lo, hi) = p
        .scans
        .iter()
        .fold((255u8, 0u8), |(lo, hi), s| (lo.min(s.1), hi.max(s.1)));
    let (lo, hi) = if lo > hi {
        (20.0, 100.0)
    } else {
        (f64::from(lo.saturating_sub(2)), f64::from(hi) + 2.0)
    };
    let mut c = ChartBuilder::on(&left)
        .caption(
            "attenuation per scan instance vs camera distance",
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..max_d, lo..hi)
        .map_err(|e| bad(e.to_string()))?;
    c.configure_mesh()
        .x_desc("mean camera distance of the instance (m)")
        .y_desc("scored attenuation (dB)")
        .draw()
        .map_err(|e| bad(e.to_string()))?;
    c.draw_series(
        p.scans
            .iter()
            .filter(|s| s.0 <= max_d)
            .map(|&(d, a)| Circle::new((d, f64::from(a)), 2, BLUE.mix(0.25).filled())),
    )
    .map_err(|e| bad(e.to_string()))?;
    let med: Vec<(f64, f64)> = BINS
        .windows(2)
        .filter_map(|b| {
            let mut v: Vec<f64> = p
                .scans
                .iter()
                .filter(|s| s.0 >= b[0] && s.0 < b[1])
                .map(|s| f64::from(s.1))
                .collect();
            median(&mut v).map(|m| ((b[0] + b[1]).min(2.0 * max_d) / 2.0, m))
        })
        .collect();
    c.draw_series(LineSeries::new(med, RED.stroke_width(3)))
        .map_err(|e| bad(e.to_string()))?
        .label("median per distance bin")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    c.configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| bad(e.to_string()))?;
    let mut r = ChartBuilder::on(&right)
        .caption("per-scan ROC (< 2 m vs > 4 m)", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(|e| bad(e.to_string()))?;
    r.configure_mesh()
        .x_desc("false-positive rate (> 4 m called close)")
        .y_desc("true-positive rate (< 2 m called close)")
        .draw()
        .map_err(|e| bad(e.to_string()))?;
    r.draw_series(LineSeries::new(p.roc.iter().copied(), BLUE.stroke_width(2)))
        .map_err(|e| bad(e.to_string()))?;
    r.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
        .map_err(|e| bad(e.to_string()))?;
    root.present().map_err(|e| bad(e.to_string()))?;
    Ok(())
}
