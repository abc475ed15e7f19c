//! The sparkline of `binlog stats`: records per time bucket as a line of
//! ▁▂▃▄▅▆▇█ scaled to the busiest mark, condensed to fit a width: a mark
//! sums as many consecutive buckets as it must (empty ones included), and
//! a mark with no record is a space.

const MARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline: its marks, the buckets each mark sums, the largest sum.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Sparkline {
    pub(super) marks: String,
    pub(super) per_mark: u64,
    pub(super) max: u64,
}

/// The sparkline of `buckets` ((start, records), in time order, each
/// `width_ns` long) in at most `cols` marks (at least 1).
pub(super) fn sparkline(buckets: &[(i64, u64)], width_ns: i64, cols: usize) -> Sparkline {
    let (Some(&(first, _)), Some(&(last, _))) = (buckets.first(), buckets.last()) else {
        return Sparkline {
            marks: String::new(),
            per_mark: 1,
            max: 0,
        };
    };
    let w = i128::from(width_ns.max(1));
    let place = |start: i64| ((i128::from(start) - i128::from(first)) / w) as u128;
    let n = place(last) + 1;
    let per = n.div_ceil(cols.max(1) as u128);
    let mut sums = vec![0u64; n.div_ceil(per) as usize];
    for &(start, records) in buckets {
        sums[(place(start) / per) as usize] += records;
    }
    let max = sums.iter().copied().max().unwrap_or(0).max(1);
    let marks = sums
        .iter()
        .map(|&c| match c {
            0 => ' ',
            c => MARKS[((u128::from(c) * 8).div_ceil(u128::from(max)) - 1) as usize],
        })
        .collect();
    Sparkline {
        marks,
        per_mark: per as u64,
        max,
    }
}

/// The width to fit to: the terminal's, 80 when standard output is none.
pub(super) fn terminal_width() -> usize {
    use std::io::IsTerminal;
    let out = std::io::stdout();
    match out.is_terminal() {
        true => terminal_size::terminal_size_of(out).map_or(80, |(w, _)| usize::from(w.0)),
        false => 80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_scale_to_the_busiest_and_empty_buckets_are_spaces() {
        let s = sparkline(&[(0, 1), (10, 8), (30, 4)], 10, 80);
        assert_eq!((s.marks.as_str(), s.per_mark, s.max), ("▁█ ▄", 1, 8));
    }

    #[test]
    fn many_buckets_are_condensed_to_the_width() {
        let buckets: Vec<(i64, u64)> = (0..100).map(|i| (i, 1)).collect();
        let s = sparkline(&buckets, 1, 30);
        assert_eq!((s.marks.chars().count(), s.per_mark, s.max), (25, 4, 4));
        // The range of all time fits too.
        let s = sparkline(&[(i64::MIN, 1), (i64::MAX - 59, 2)], 60, 10);
        assert_eq!((s.marks.as_str(), s.max), ("▄        █", 2));
        assert_eq!(sparkline(&[], 1, 10).marks, "");
    }
}
