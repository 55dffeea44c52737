//! The report: the table of verdicts, each experiment's CSV and chart,
//! `CLAIMS.md`.

use super::*;

/// The closing table: claim, seed sentence, what was measured, verdict.
pub fn table(findings: &[Finding]) -> String {
    let mut out = String::from(
        "| claim | seed | the seed says | measured here | verdict |\n|---|---|---|---|---|\n",
    );
    for f in findings {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.name, f.seed, f.claim, f.reason, f.verdict
        );
    }
    out
}

pub(super) fn write_files(dir: &Path, f: &Finding) -> Result<()> {
    std::fs::write(dir.join(format!("{}.csv", f.name)), &f.csv)?;
    if !f.chart.is_empty() {
        chart(&dir.join(format!("{}.svg", f.name)), f)?;
    }
    Ok(())
}

/// A bar chart of the finding's series, one group per x label.
pub(super) fn chart(path: &Path, f: &Finding) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| anyhow::anyhow!("cannot draw {}: {e}", path.display());
    let labels: Vec<String> = {
        let mut l: Vec<String> = Vec::new();
        for (_, s) in &f.chart {
            for (x, _) in s {
                if !l.contains(x) {
                    l.push(x.clone());
                }
            }
        }
        // Numbers (a histogram's buckets) in their order.
        if l.iter().all(|x| x.parse::<u64>().is_ok()) {
            l.sort_by_key(|x| x.parse::<u64>().unwrap_or(0));
        }
        l
    };
    // Room above the tallest bar for the legend, so it covers none.
    let max = f
        .chart
        .iter()
        .flat_map(|(_, s)| s.iter().map(|(_, v)| *v))
        .chain(f.spreads.iter().map(|s| s.3))
        .fold(1e-9, f64::max)
        * 1.45;
    // Each axis says what it shows, with its unit: `y (x: x)` in the unit.
    let (y_desc, x_desc) = match f.unit.split_once(" (x: ") {
        Some((y, x)) => (y.to_string(), x.trim_end_matches(')').to_string()),
        None => (f.unit.to_string(), String::new()),
    };
    let root = SVGBackend::new(path, (900, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let groups = labels.len().max(1) as f64;
    let mut ctx = ChartBuilder::on(&root)
        .caption(f.name, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(55)
        .y_label_area_size(85)
        // Group i is centred on x = i, where the axis puts its ticks.
        .build_cartesian_2d(-0.5..groups - 0.5, 0.0..max)
        .map_err(|e| err(&e))?;
    let l2 = labels.clone();
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        // 30000, not 30000.0; 0.5, not 0.50000.
        .y_label_formatter(&|v| match *v {
            v if v.abs() >= 100.0 => format!("{v:.0}"),
            v => format!("{v:.2}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string(),
        })
        .x_labels(labels.len())
        .x_label_formatter(&move |x| {
            let i = x.round();
            if (x - i).abs() < 0.01 && i >= 0.0 {
                l2.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(|e| err(&e))?;
    let n = f.chart.len().max(1) as f64;
    for (k, (name, series)) in f.chart.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        let width = 0.8 / n;
        ctx.draw_series(series.iter().filter_map(|(x, v)| {
            let i = labels.iter().position(|l| l == x)? as f64;
            let left = i - 0.4 + width * k as f64;
            Some(Rectangle::new(
                [(left, 0.0), (left + width, *v)],
                color.filled(),
            ))
        }))
        .map_err(|e| err(&e))?
        .label(name.clone())
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
        // The spread of a median (min to max of its repeats): an error
        // bar across the bar's middle, with a cap at each end.
        let bars = f
            .spreads
            .iter()
            .filter(|s| &s.0 == name)
            .filter_map(|(_, x, lo, hi)| {
                let i = labels.iter().position(|l| l == x)? as f64;
                let mid = i - 0.4 + width * (k as f64 + 0.5);
                let cap = width / 4.0;
                Some(
                    [
                        vec![(mid, *lo), (mid, *hi)],
                        vec![(mid - cap, *lo), (mid + cap, *lo)],
                        vec![(mid - cap, *hi), (mid + cap, *hi)],
                    ]
                    .map(|line| PathElement::new(line, BLACK.stroke_width(2))),
                )
            });
        ctx.draw_series(bars.flatten()).map_err(|e| err(&e))?;
    }
    ctx.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// CLAIMS.md: the command, the machine, the date, the table, and each
/// experiment with its chart.
pub(super) fn report(findings: &[Finding], args: &ClaimsArgs, took: Duration) -> String {
    let mut out = String::from("# The lab's claims, measured\n\n");
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let _ = writeln!(
        out,
        "Command: `cargo run --release -p bench -- claims{}{}`  \nMachine: {} {}, {cores} cores  \nDate: {}  \nTook: {:.0} s\n",
        if args.quick { " --quick" } else { "" },
        if args.names.is_empty() {
            String::new()
        } else {
            format!(" {}", args.names.join(" "))
        },
        std::env::consts::OS,
        std::env::consts::ARCH,
        chrono::Local::now().format("%Y-%m-%d %H:%M"),
        took.as_secs_f64()
    );
    out.push_str(&table(findings));
    for f in findings {
        // The seed's words as a quote; the project's own reading, if any,
        // after it and outside it.
        let (quote, ours) = match f.claim.split_once(" (in our words: ") {
            Some((quote, ours)) => (
                quote,
                format!("In our words: {}\n\n", ours.trim_end_matches(')')),
            ),
            None => (f.claim, String::new()),
        };
        let _ = writeln!(
            out,
            "\n## {}\n\n> {quote} ({})\n\n{ours}**{}.** {}\n",
            f.name, f.seed, f.verdict, f.reason
        );
        if !f.chart.is_empty() {
            let _ = writeln!(out, "![{}]({}.svg)\n", f.name, f.name);
        }
        let _ = writeln!(out, "Figures: `{}`", f.figures);
    }
    out
}
