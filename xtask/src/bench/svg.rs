//! `target/bench/report.svg`: grouped bars of messages/s per scenario (groups) and server
//! (bars), on a log scale so that a 100× gap and a 1.2× gap both stay readable. Hand-written
//! SVG; no plotting crate.

use std::fmt::Write as _;

use super::peers::Server;
use super::results::{Outcome, Results};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 90.0;

fn colour(server: Server) -> &'static str {
    match server {
        Server::Ours => "#d95f02",
        Server::Aiosmtpd => "#1b9e77",
        Server::SmtpSink => "#7570b3",
        Server::Mailin => "#e7298a",
        Server::Nodemailer => "#66a61e",
    }
}

/// The chart.
pub fn chart(results: &Results) -> String {
    let rates: Vec<f64> = results
        .scenarios
        .iter()
        .flat_map(|s| s.rows.iter())
        .filter_map(|(_, o)| match o {
            Outcome::Measured(run) if run.rate > 0.0 => Some(run.rate),
            _ => None,
        })
        .collect();
    let top_decade = rates.iter().copied().fold(10.0, f64::max).log10().ceil().max(1.0);
    let bottom_decade = rates
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .log10()
        .floor()
        .clamp(0.0, top_decade - 1.0);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |rate: f64| {
        let t = (rate.max(1.0).log10() - bottom_decade) / (top_decade - bottom_decade);
        TOP + plot_h * (1.0 - t.clamp(0.0, 1.0))
    };
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let title = if results.meta.quick {
        "messages/s (log scale), quick run"
    } else {
        "messages/s (log scale), median of runs"
    };
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="24" font-size="16" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for decade in (bottom_decade as i32)..=(top_decade as i32) {
        let value = 10f64.powi(decade);
        let yy = y(value);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/>"##,
            WIDTH - RIGHT
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            yy + 4.0,
            label(value)
        );
    }
    let groups = results.scenarios.len().max(1) as f64;
    let group_w = (WIDTH - LEFT - RIGHT) / groups;
    let bar_w = (group_w - 16.0) / Server::ALL.len() as f64;
    for (g, scenario) in results.scenarios.iter().enumerate() {
        let x0 = LEFT + g as f64 * group_w + 8.0;
        for (b, server) in Server::ALL.iter().enumerate() {
            let x = x0 + b as f64 * bar_w;
            let outcome = scenario.rows.iter().find(|(s, _)| s == server).map(|(_, o)| o);
            match outcome {
                Some(Outcome::Measured(run)) if run.rate > 0.0 => {
                    let yy = y(run.rate);
                    let _ = writeln!(
                        svg,
                        r#"<rect x="{x:.1}" y="{yy:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {:.0} msgs/s</title></rect>"#,
                        bar_w - 2.0,
                        TOP + plot_h - yy,
                        colour(*server),
                        escape(server.label()),
                        run.rate
                    );
                    let _ = writeln!(
                        svg,
                        r#"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle">{}</text>"#,
                        x + bar_w / 2.0 - 1.0,
                        yy - 3.0,
                        label(run.rate)
                    );
                }
                Some(_) | None => {
                    let _ = writeln!(
                        svg,
                        r##"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle" fill="#999">n/a</text>"##,
                        x + bar_w / 2.0 - 1.0,
                        TOP + plot_h - 4.0
                    );
                }
            }
        }
        let s = scenario.scenario;
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">({}) {}</text>"#,
            x0 + (group_w - 16.0) / 2.0,
            TOP + plot_h + 18.0,
            s.number(),
            s.name()
        );
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#333"/>"##,
        WIDTH - RIGHT,
        TOP + plot_h,
        TOP + plot_h
    );
    for (i, server) in Server::ALL.iter().enumerate() {
        let x = LEFT + i as f64 * 170.0;
        let yy = HEIGHT - 30.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/>"#,
            yy - 10.0,
            colour(*server)
        );
        let _ =
            writeln!(svg, r#"<text x="{}" y="{yy}">{}</text>"#, x + 16.0, escape(server.label()));
    }
    svg.push_str("</svg>\n");
    svg
}

/// 950, 1.2k, 35k, 1.5M.
fn label(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if value >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else if value >= 1e3 {
        format!("{:.1}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_labels_and_legend() {
        let svg = chart(&crate::bench::report::tests::sample());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<title>smtpd (ours): 3000 msgs/s</title>"));
        assert!(svg.contains("<title>aiosmtpd: 1000 msgs/s</title>"));
        assert_eq!(svg.matches("<title>").count(), 2, "two measured bars");
        assert_eq!(svg.matches(">n/a<").count(), 3, "smtp-sink, mailin and nodemailer have no bar");
        assert!(svg.contains(">(1) single<"));
        assert!(svg.contains(">nodemailer smtp-server<"));
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
        // Ours at 3k is taller (smaller y) than aiosmtpd at 1k.
        let y_of = |name: &str| {
            let at = svg.find(&format!("<title>{name}")).unwrap();
            let rect = &svg[svg[..at].rfind("<rect").unwrap()..at];
            let y = rect.split("y=\"").nth(1).unwrap().split('"').next().unwrap();
            y.parse::<f64>().unwrap()
        };
        assert!(y_of("smtpd (ours)") < y_of("aiosmtpd"));
    }

    #[test]
    fn labels() {
        assert_eq!(label(950.0), "950");
        assert_eq!(label(1234.0), "1.2k");
        assert_eq!(label(35_000.0), "35k");
        assert_eq!(label(1_500_000.0), "1.5M");
        assert_eq!(escape("a<b>&"), "a&lt;b&gt;&amp;");
    }
}
