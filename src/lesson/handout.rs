//! `brushfire lesson FILE --print`: a lesson as a Markdown handout for students.
use super::check::Check;
use super::{Action, Lesson};

pub fn markdown(l: &Lesson) -> String {
    let mut o = format!("# {}\n\n", l.title);
    if !l.audience.trim().is_empty() {
        o += &format!("*For: {}*\n\n", l.audience.trim());
    }
    let data = l.dataset.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    o += &format!("Data: `{data}` · open with `brushfire --lesson {}`\n\n", l.name());
    if !l.summary.trim().is_empty() {
        o += &format!("{}\n\n", l.summary.trim());
    }
    for (i, s) in l.steps.iter().enumerate() {
        o += &format!("## Step {} of {}: {}\n\n{}\n\n", i + 1, l.steps.len(), s.title, s.text.trim());
        o += &format!("- [ ] Done when: {}\n", describe_check(&s.check));
        for (k, h) in s.hints.iter().enumerate() {
            o += &format!("\n<details><summary>Hint {}</summary>\n\n{}\n\n</details>\n", k + 1, h.trim());
        }
        o += "\n<details><summary>Solution</summary>\n\n";
        for a in &s.solution {
            o += &format!("- {}\n", describe_action(a));
        }
        o += "\n</details>\n\n";
    }
    o
}

/// A check in words, for the handout and the panel.
pub fn describe_check(c: &Check) -> String {
    match c {
        Check::Selection { field, values, exclude } => {
            format!(
                "{} {field} {}",
                if *exclude { "the filter excludes" } else { "the filter selects" },
                values.join(", ")
            )
        }
        Check::Time { from_hour, to_hour, max_hours, weekday, not_before } => format!(
            "a time brush covers {from_hour:02}:00-{to_hour:02}:00 UTC of one {}{} (at most {max_hours} h)",
            if *weekday { "weekday" } else { "day" },
            not_before.as_ref().map(|t| format!(" from {} on", t.get(..10).unwrap_or(t))).unwrap_or_default()
        ),
        Check::Sql { query, expect } => {
            format!(
                "`{query}` answers {}",
                expect.iter().map(|r| r.join(" | ")).collect::<Vec<_>>().join("; ")
            )
        }
        Check::SqlResult { expect, exact } => format!(
            "your SQL result {} {}",
            if *exact { "is" } else { "starts with" },
            expect.iter().map(|r| r.join(" | ")).collect::<Vec<_>>().join("; ")
        ),
        Check::Cleaned { step } => format!("the cleaning recipe has a {step} step"),
        Check::Graph { fields, properties } => match properties {
            Some(p) => format!("the link graph shows {} with the property file {p}", fields.join(" > ")),
            None => format!("the link graph shows {}", fields.join(" > ")),
        },
        Check::Treemap { levels } => format!("the treemap shows {}", levels.join(" > ")),
        Check::TopN { field, offset } => format!("a top-N list shows {field} from #{}", offset + 1),
        Check::All { of } => of.iter().map(describe_check).collect::<Vec<_>>().join("; and "),
    }
}

pub fn describe_action(a: &Action) -> String {
    match a {
        Action::Select { field, values, exclude: false } => format!("select {field} = {}", values.join(", ")),
        Action::Select { field, values, exclude: true } => format!("exclude {field} {}", values.join(", ")),
        Action::Brush { start, end } => format!("brush the time series from {start} to {end}"),
        Action::Sql { query } => format!("run `{query}`"),
        Action::Clean { step, ports } if ports.is_empty() => format!("apply the cleaning step {step}"),
        Action::Clean { step, ports } => format!(
            "apply the cleaning step {step} with service ports {}",
            ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
        ),
        Action::PreviewInverted { ports } => format!(
            "preview the records with source port in {{{}}} and destination port > 1024",
            ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
        ),
        Action::Graph { fields, properties: Some(p) } => {
            format!("set the link graph to {} and load {p}", fields.join(" > "))
        }
        Action::Graph { fields, properties: None } => format!("set the link graph to {}", fields.join(" > ")),
        Action::Treemap { levels } => format!("set the treemap levels to {}", levels.join(" > ")),
        Action::TopN { field, offset } => format!("show {field} in a top-N list from #{}", offset + 1),
        Action::ClearSelection => "clear all filters".into(),
    }
}
