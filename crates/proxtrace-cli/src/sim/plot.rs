//! The sweep as a picture: share of close contacts notified against adoption, beside the
//! analytic adoption² curve (both people of a pair need the app) and adoption² × the recall
//! measured when everyone has the app. SVG through `plotters` (no system fonts: the viewer
//! renders the text).

use std::path::Path;

use plotters::prelude::*;

use super::report::SweepReport;

/// Why the plot could not be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The drawing backend failed (usually: the file cannot be written).
    #[error("cannot draw {path}: {message}")]
    Draw {
        /// The output file.
        path: String,
        /// What the backend said.
        message: String,
    },
}

/// 201 points of `f` over 0…1.
fn curve(f: impl Fn(f64) -> f64 + Clone) -> impl Iterator<Item = (f64, f64)> + Clone {
    (0..=200).map(move |i| {
        let a = f64::from(i) / 200.0;
        (a, f(a))
    })
}

/// Draw `report` into the SVG file `path`.
pub fn plot_sweep(report: &SweepReport, path: &Path) -> Result<(), PlotError> {
    let err = |e: &dyn std::fmt::Display| PlotError::Draw {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let root = SVGBackend::new(path, (900, 620)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let days = if report.days == 1 { "day" } else { "days" };
    let title = format!(
        "Close contacts notified vs adoption — {} people, {} {days}, {}",
        report.people, report.days, report.scheme
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("adoption (share of people with the app)")
        .y_desc("share of all close contacts notified")
        .axis_desc_style(("sans-serif", 17))
        .label_style(("sans-serif", 14))
        .x_label_formatter(&|x| format!("{:.0} %", x * 100.0))
        .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new(curve(|a| a * a), BLUE.stroke_width(2)))
        .map_err(|e| err(&e))?
        .label("adoption² (both need the app)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLUE.stroke_width(2)));
    // The recall with everyone installed, if the sweep has a rate of 100 %.
    let full = report
        .sweep
        .iter()
        .filter(|r| r.adoption >= 0.999)
        .find_map(|r| r.notified_of_both_installed);
    if let Some(recall) = full {
        chart
            .draw_series(DashedLineSeries::new(
                curve(move |a| a * a * recall),
                6,
                4,
                GREEN.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(format!(
                "adoption² × {recall:.2} (× recall with everyone installed)"
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], GREEN.stroke_width(2)));
    }
    let mut points: Vec<(f64, f64)> = report
        .sweep
        .iter()
        .filter_map(|r| r.notified_of_all.map(|s| (r.adoption, s)))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    chart
        .draw_series(LineSeries::new(points.iter().copied(), RED.stroke_width(3)))
        .map_err(|e| err(&e))?
        .label("simulated: notified / all close contacts")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], RED.stroke_width(3)));
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, 5, RED.filled())))
        .map_err(|e| err(&e))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(|e| err(&e))?;
    // The figures, as a table in the free lower right corner (labels at the points would
    // collide at 7.54 % and 8.3 %).
    let mut lines = vec!["adoption → close contacts notified".to_owned()];
    lines.extend(
        points
            .iter()
            .map(|&(a, s)| format!("{:.2} % → {:.1} %", a * 100.0, s * 100.0)),
    );
    let (x, y0) = chart.backend_coord(&(0.63, 0.30));
    let step = 22;
    let rows = i32::try_from(lines.len()).unwrap_or(0);
    root.draw(&Rectangle::new(
        [(x - 8, y0 - 6), (x + 310, y0 + step * rows)],
        WHITE.mix(0.9).filled(),
    ))
    .map_err(|e| err(&e))?;
    for (k, line) in (0..).zip(&lines) {
        root.draw(&Text::new(
            line.clone(),
            (x, y0 + step * k),
            ("monospace", 16),
        ))
        .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
