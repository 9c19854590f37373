//! The import pipeline: a file's sightings, read under the limits, put back in time order
//! within a bounded window, aggregated into scan instances and handed on oldest first — with
//! memory bounded by the window and the aggregator's open scan instances, never by the file.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Read;

use proxtrace::sighting::{Aggregator, AggregatorConfig, ScanAggregate, Sighting};
use proxtrace::time::UnixTime;

use super::{Format, ImportError, Limited, Sightings, TimestampUnit, err};

/// Rows may be out of time order by at most this many rows (radios and exports deliver
/// sightings nearly, not exactly, in order); a row further out is an error that asks for the
/// file to be sorted.
pub const REORDER_WINDOW: usize = 65_536;

/// At most this many identifiers may have an open scan instance at once (heard within the
/// aggregator's gap of each other): about 30 MB. A flood of 200 fresh identifiers per
/// 5-minute scan keeps a few hundred open.
pub const MAX_OPEN_WINDOWS: usize = 262_144;

/// What streaming a file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Rows read.
    pub sightings: u64,
    /// Scan instances handed on.
    pub scan_instances: u64,
    /// `first_seen` of the first scan instance.
    pub first_seen: Option<UnixTime>,
    /// A Bluezone file's timestamp unit.
    pub unit: Option<TimestampUnit>,
    /// SHA-256 of the file's bytes.
    pub digest: [u8; 32],
}

/// Why a run stopped: the file, or the sink.
#[derive(Debug)]
pub enum RunError<E> {
    /// The file is bad (line and reason).
    File(ImportError),
    /// The sink refused a scan instance.
    Sink(E),
}

struct Entry {
    time: UnixTime,
    seq: u64,
    line: u64,
    sighting: Sighting,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.time, self.seq).cmp(&(o.time, o.seq))
    }
}

struct Stage<'s, E> {
    agg: Aggregator,
    last_poll: Option<UnixTime>,
    emitted: Option<UnixTime>,
    summary: Summary,
    sink: &'s mut dyn FnMut(&ScanAggregate) -> Result<(), E>,
}

impl<E> Stage<'_, E> {
    fn hand_on(&mut self, records: Vec<ScanAggregate>) -> Result<(), RunError<E>> {
        for r in &records {
            self.summary.first_seen.get_or_insert(r.first_seen);
            self.summary.scan_instances += 1;
            (self.sink)(r).map_err(RunError::Sink)?;
        }
        Ok(())
    }

    fn feed(&mut self, e: Entry) -> Result<(), RunError<E>> {
        if let Some(w) = self.emitted
            && e.time < w
        {
            return Err(RunError::File(err(
                e.line,
                format!(
                    "this sighting ({}) is earlier than one more than {REORDER_WINDOW} rows before \
                     it ({w}); sort the file by time first",
                    e.time
                ),
            )));
        }
        self.emitted = Some(e.time);
        self.agg.observe(&e.sighting);
        if self.agg.open_windows() > MAX_OPEN_WINDOWS {
            return Err(RunError::File(err(
                e.line,
                format!(
                    "more than {MAX_OPEN_WINDOWS} identifiers heard within a minute of each other; \
                     this is not a sighting log a phone or scanner produces"
                ),
            )));
        }
        if self.last_poll.is_none_or(|p| e.time > p) {
            self.last_poll = Some(e.time);
            let done = self.agg.poll_closed(e.time);
            self.hand_on(done)?;
        }
        Ok(())
    }
}

/// Stream `input` as `format`: every row checked, sightings ordered (within
/// [`REORDER_WINDOW`] rows) and aggregated with `config`, each scan instance handed to `sink`
/// oldest first. Running it twice over the same bytes hands on the same instances.
pub fn run<R: Read, E>(
    format: Format,
    input: R,
    config: AggregatorConfig,
    mut sink: impl FnMut(&ScanAggregate) -> Result<(), E>,
) -> Result<Summary, RunError<E>> {
    // A snoop log is binary: its file size is limited, not its "lines".
    let limited = match format {
        Format::Btsnoop(_) => Limited::binary(input),
        _ => Limited::new(input),
    };
    let mut rows = Sightings::new(format, limited).map_err(RunError::File)?;
    let mut heap: BinaryHeap<Reverse<Entry>> = BinaryHeap::new();
    let mut stage = Stage {
        agg: Aggregator::new(config),
        last_poll: None,
        emitted: None,
        summary: Summary {
            sightings: 0,
            scan_instances: 0,
            first_seen: None,
            unit: None,
            digest: [0; 32],
        },
        sink: &mut sink,
    };
    for (seq, row) in rows.by_ref().enumerate() {
        let (line, sighting) = row.map_err(RunError::File)?;
        if sighting.time.utc_day().is_err() {
            return Err(RunError::File(err(
                line,
                format!("time {} is out of range", sighting.time),
            )));
        }
        stage.summary.sightings += 1;
        heap.push(Reverse(Entry {
            time: sighting.time,
            seq: seq as u64,
            line,
            sighting,
        }));
        if heap.len() > REORDER_WINDOW
            && let Some(Reverse(e)) = heap.pop()
        {
            stage.feed(e)?;
        }
    }
    while let Some(Reverse(e)) = heap.pop() {
        stage.feed(e)?;
    }
    let rest = stage.agg.flush();
    stage.hand_on(rest)?;
    stage.summary.unit = rows.unit();
    stage.summary.digest = match &rows {
        Sightings::Csv(c) => c.digest(),
        Sightings::BluezoneTsv(b) => b.digest(),
        Sightings::Btsnoop(b) => b.digest(),
    };
    Ok(stage.summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{aggregate, parse_csv};

    fn csv(times: impl Iterator<Item = u64>) -> String {
        let mut s = String::from("unix_time,scheme,id,aem,rssi\n");
        for (i, t) in times.enumerate() {
            s.push_str(&format!(
                "{t},gaen,{:032x},01020304,-{}\n",
                i % 17,
                40 + i % 30
            ));
        }
        s
    }

    fn collect(text: &str) -> Result<(Vec<ScanAggregate>, Summary), RunError<()>> {
        let mut out = Vec::new();
        let s = run(
            Format::Csv,
            text.as_bytes(),
            AggregatorConfig::default(),
            |r| {
                out.push(*r);
                Ok(())
            },
        )?;
        Ok((out, s))
    }

    #[test]
    fn streaming_matches_sorting_the_whole_file() {
        // Rows shuffled locally (within a few hundred rows), as radios deliver them.
        let times = (0..5000u64).map(|i| 1_763_800_000 + 3 * (i ^ 0x55));
        let text = csv(times);
        let (got, s) = collect(&text).unwrap();
        let want = aggregate(
            parse_csv(text.as_bytes()).unwrap(),
            AggregatorConfig::default(),
        );
        let key = |r: &ScanAggregate| (r.first_seen, r.identifier, r.last_seen);
        let (mut a, mut b) = (got.clone(), want);
        a.sort_by_key(key);
        b.sort_by_key(key);
        assert_eq!(a, b);
        assert!(got.windows(2).all(|w| w[0].first_seen <= w[1].first_seen));
        assert_eq!(s.sightings, 5000);
        assert_eq!(s.scan_instances, got.len() as u64);
        // A second run over the same bytes hands on the same records, with the same digest.
        let (again, s2) = collect(&text).unwrap();
        assert_eq!((again, s2), (got, s));
    }

    #[test]
    fn rows_further_out_of_order_than_the_window_are_an_error() {
        let n = REORDER_WINDOW as u64 + 10;
        // The last row belongs before all the others.
        let times = (0..n).map(|i| {
            if i + 1 == n {
                1_763_000_000
            } else {
                1_763_800_000 + i
            }
        });
        let Err(RunError::File(e)) = collect(&csv(times)) else {
            panic!("accepted")
        };
        assert_eq!(e.line, n + 1);
        assert!(e.reason.contains("sort the file by time"), "{e}");
    }
}
