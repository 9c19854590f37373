//! Sightings from files: proxtrace's CSV and Bluezone's own `data_trace.txt` export.
//!
//! * CSV: a header line naming the columns `unix_time,scheme,id,aem,rssi` (any order; an
//!   optional `tx_power` column too), one sighting per row: `unix_time` integer seconds,
//!   `scheme` `gaen` or `bluezone`, `id` 32 hex digits (GAEN RPI) or 24 (Bluezone ID), `aem`
//!   8 hex digits for GAEN and empty for Bluezone, `rssi` integer dBm.
//! * Bluezone TSV: `own_id_hex \t contact_id_hex \t rssi \t timestamp` per line; the
//!   timestamps of one file are all milliseconds (Android) or all seconds (iOS).
//!
//! * BTSnoop: an Android HCI snoop log (`btsnoop_hci.log`, BTSnoop v1, H4): every received
//!   LE advertising report that carries a GAEN or Bluezone identifier, with its RSSI, at the
//!   phone's local time converted with the UTC offset the caller gives.
//!
//! All are read as streams ([`Sightings`]) under the limits of `limits` and put in time
//! order and aggregated by `pipeline` with memory that does not grow with the file.

mod limits;
mod pipeline;

pub use limits::{LimitExceeded, Limited, MAX_FILE_BYTES, MAX_LINE_BYTES};
pub use pipeline::{MAX_OPEN_WINDOWS, REORDER_WINDOW, RunError, Summary, run};

use std::fmt;
use std::io::{self, BufRead, Read};

use proxtrace::advert::{Beacon, decode_advertising_data};
use proxtrace::bluezone::BluezoneId;
use proxtrace::btsnoop::{AdvertisingReport, SnoopItem, SnoopParser, UtcOffset};
use proxtrace::gaen::{AssociatedEncryptedMetadata, RollingProximityIdentifier};
use proxtrace::identifier::{GaenPayload, Identifier, Scheme};
use proxtrace::sighting::{AggregatorConfig, ScanAggregate, Sighting};
use proxtrace::time::UnixTime;

/// A row that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {reason}")]
pub struct ImportError {
    /// 1-based line number in the file.
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}

fn err(line: u64, reason: impl fmt::Display) -> ImportError {
    ImportError {
        line,
        reason: reason.to_string(),
    }
}

/// The unit of a Bluezone export's timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampUnit {
    /// Milliseconds (Android).
    Milliseconds,
    /// Seconds (iOS).
    Seconds,
}

impl fmt::Display for TimestampUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Milliseconds => "milliseconds",
            Self::Seconds => "seconds",
        })
    }
}

fn hex_bytes<const N: usize>(s: &str, what: &str, line: u64) -> Result<[u8; N], ImportError> {
    let s = s.trim();
    if s.len() != 2 * N {
        return Err(err(
            line,
            format!("{what} must be {} hex digits, got {:?}", 2 * N, s),
        ));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|e| err(line, format!("{what} is not hex: {e}")))?;
    Ok(out)
}

fn rssi(s: &str, line: u64) -> Result<i8, ImportError> {
    let v: i64 = s
        .trim()
        .parse()
        .map_err(|_| err(line, format!("rssi {:?} is not an integer", s.trim())))?;
    i8::try_from(v).map_err(|_| err(line, format!("rssi {v} dBm is outside −128…127")))
}

/// The formats [`Sightings`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// proxtrace's sighting CSV.
    Csv,
    /// Bluezone's `data_trace.txt`.
    BluezoneTsv,
    /// An Android HCI snoop log, whose timestamps are the phone's local time at this offset.
    Btsnoop(UtcOffset),
}

/// The error for an I/O error while reading at `line` (a broken limit keeps its own line).
fn read_error(e: &io::Error, line: u64) -> ImportError {
    match LimitExceeded::from_io(e) {
        Some(LimitExceeded::LineTooLong { line }) => err(line, LimitExceeded::LineTooLong { line }),
        Some(l) => err(line, l),
        None => err(line, format!("cannot read: {e}")),
    }
}

/// The sightings of a file, one at a time, in file order.
pub enum Sightings<R: Read> {
    /// From proxtrace's CSV.
    Csv(CsvSightings<R>),
    /// From Bluezone's `data_trace.txt`.
    BluezoneTsv(BluezoneSightings<R>),
    /// From an Android HCI snoop log.
    Btsnoop(BtsnoopSightings<R>),
}

impl<R: Read> fmt::Debug for Sightings<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Csv(_) => "Sightings::Csv",
            Self::BluezoneTsv(_) => "Sightings::BluezoneTsv",
            Self::Btsnoop(_) => "Sightings::Btsnoop",
        })
    }
}

impl<R: Read> Sightings<R> {
    /// Start reading `input` as `format` (a CSV's header line is read here).
    pub fn new(format: Format, input: R) -> Result<Self, ImportError> {
        Ok(match format {
            Format::Csv => Self::Csv(CsvSightings::new(input)?),
            Format::BluezoneTsv => Self::BluezoneTsv(BluezoneSightings::new(input)),
            Format::Btsnoop(offset) => Self::Btsnoop(BtsnoopSightings::new(input, offset)),
        })
    }

    /// The unit of a Bluezone file's timestamps, once one was read.
    pub fn unit(&self) -> Option<TimestampUnit> {
        match self {
            Self::Csv(_) | Self::Btsnoop(_) => None,
            Self::BluezoneTsv(b) => b.unit.map(|(u, _)| u),
        }
    }
}

impl<R: Read> Iterator for Sightings<R> {
    type Item = Result<(u64, Sighting), ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Csv(c) => c.next(),
            Self::BluezoneTsv(b) => b.next(),
            Self::Btsnoop(b) => b.next(),
        }
    }
}

/// proxtrace's sighting CSV, row by row: `(line, sighting)`.
pub struct CsvSightings<R: Read> {
    rdr: csv::Reader<R>,
    cols: [usize; 5],
    tx_col: Option<usize>,
    rec: csv::StringRecord,
}

impl<R: Read> CsvSightings<R> {
    /// Read the header line.
    pub fn new(input: R) -> Result<Self, ImportError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(input);
        let headers = rdr
            .headers()
            .map_err(|e| csv_error(&e, 1, "cannot read the header line"))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(t), Some(s), Some(id), Some(aem), Some(rssi)) = (
            col("unix_time"),
            col("scheme"),
            col("id"),
            col("aem"),
            col("rssi"),
        ) else {
            return Err(err(
                1,
                format!(
                    "the header must name the columns unix_time,scheme,id,aem,rssi (got {:?})",
                    headers.iter().collect::<Vec<_>>().join(",")
                ),
            ));
        };
        Ok(Self {
            tx_col: col("tx_power"),
            cols: [t, s, id, aem, rssi],
            rdr,
            rec: csv::StringRecord::new(),
        })
    }

    fn row(&self) -> Result<(u64, Sighting), ImportError> {
        let rec = &self.rec;
        let [t_col, s_col, id_col, aem_col, rssi_col] = self.cols;
        let line = rec.position().map_or(0, |p| p.line());
        let field = |c: usize| rec.get(c).unwrap_or("");
        let time: u64 = field(t_col).parse().map_err(|_| {
            err(
                line,
                format!(
                    "unix_time {:?} is not a whole number of seconds",
                    field(t_col)
                ),
            )
        })?;
        let scheme: Scheme = field(s_col).parse().map_err(|e| err(line, e))?;
        let identifier = match scheme {
            Scheme::Gaen => {
                let rpi = hex_bytes::<16>(field(id_col), "a GAEN id", line)?;
                let aem = hex_bytes::<4>(field(aem_col), "aem", line)?;
                Identifier::Gaen(GaenPayload {
                    rpi: RollingProximityIdentifier::from_bytes(rpi),
                    aem: AssociatedEncryptedMetadata::from_bytes(aem),
                })
            }
            Scheme::Bluezone => {
                if !field(aem_col).is_empty() {
                    return Err(err(line, "aem must be empty for bluezone rows"));
                }
                Identifier::Bluezone(BluezoneId::from_bytes(hex_bytes::<12>(
                    field(id_col),
                    "a Bluezone id",
                    line,
                )?))
            }
        };
        let tx_power = match self.tx_col.map(field).filter(|s| !s.is_empty()) {
            Some(s) => Some(s.parse::<i8>().map_err(|_| {
                err(
                    line,
                    format!("tx_power {s:?} is not an integer dBm in −128…127"),
                )
            })?),
            None => None,
        };
        Ok((
            line,
            Sighting {
                identifier,
                rssi: rssi(field(rssi_col), line)?,
                tx_power,
                time: UnixTime::from_secs(time),
            },
        ))
    }
}

fn csv_error(e: &csv::Error, line: u64, what: &str) -> ImportError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        return read_error(io, line);
    }
    let line = e.position().map_or(line, |p| p.line());
    err(line, format!("{what}: {e}"))
}

impl<R: Read> Iterator for CsvSightings<R> {
    type Item = Result<(u64, Sighting), ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.rdr.read_record(&mut self.rec) {
            Ok(false) => None,
            Ok(true) => Some(self.row()),
            Err(e) => {
                let line = self.rdr.position().line();
                Some(Err(csv_error(&e, line, "malformed CSV")))
            }
        }
    }
}

/// Timestamps at or above this are milliseconds (in seconds it would be the year 5138).
const MS_THRESHOLD: u64 = 100_000_000_000;

/// Bluezone's `data_trace.txt`, line by line: `(line, sighting)`. The unit of the
/// timestamps (milliseconds or seconds) is detected from the first line and must agree
/// across the file.
pub struct BluezoneSightings<R: Read> {
    input: io::BufReader<R>,
    line: u64,
    buf: String,
    unit: Option<(TimestampUnit, u64)>,
}

impl<R: Read> BluezoneSightings<R> {
    /// Read `input`.
    pub fn new(input: R) -> Self {
        Self {
            input: io::BufReader::new(input),
            line: 0,
            buf: String::new(),
            unit: None,
        }
    }

    fn parse(&mut self) -> Result<Option<Sighting>, ImportError> {
        let n = self.line;
        let line = self.buf.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            return Ok(None);
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 4 {
            return Err(err(
                n,
                format!(
                    "expected 4 tab-separated fields (own id, contact id, rssi, timestamp), got {}",
                    f.len()
                ),
            ));
        }
        hex_bytes::<12>(f[0], "own id", n)?;
        let id = BluezoneId::from_bytes(hex_bytes::<12>(f[1], "contact id", n)?);
        let r = rssi(f[2], n)?;
        let ts: u64 = f[3].trim().parse().map_err(|_| {
            err(
                n,
                format!("timestamp {:?} is not a whole number", f[3].trim()),
            )
        })?;
        let this = if ts >= MS_THRESHOLD {
            TimestampUnit::Milliseconds
        } else {
            TimestampUnit::Seconds
        };
        match self.unit {
            None => self.unit = Some((this, n)),
            Some((u, first)) if u != this => {
                return Err(err(
                    n,
                    format!(
                        "timestamp is in {this} but line {first} was in {u}; a file must use one unit"
                    ),
                ));
            }
            Some(_) => {}
        }
        let secs = if this == TimestampUnit::Milliseconds {
            ts / 1000
        } else {
            ts
        };
        Ok(Some(Sighting {
            identifier: Identifier::Bluezone(id),
            rssi: r,
            tx_power: None,
            time: UnixTime::from_secs(secs),
        }))
    }
}

impl<R: Read> Iterator for BluezoneSightings<R> {
    type Item = Result<(u64, Sighting), ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            self.line += 1;
            match self.input.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(read_error(&e, self.line))),
            }
            match self.parse() {
                Ok(None) => continue,
                Ok(Some(s)) => return Some(Ok((self.line, s))),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<R: Read> CsvSightings<Limited<R>> {
    /// SHA-256 of the bytes read so far (the whole file once the rows are exhausted).
    pub fn digest(&self) -> [u8; 32] {
        self.rdr.get_ref().digest()
    }
}

impl<R: Read> BluezoneSightings<Limited<R>> {
    /// SHA-256 of the bytes read so far (the whole file once the rows are exhausted).
    pub fn digest(&self) -> [u8; 32] {
        self.input.get_ref().digest()
    }
}

/// An Android HCI snoop log, report by report: `(record number, sighting)` for every LE
/// advertising report carrying a GAEN or Bluezone identifier. Reports of other devices and
/// reports without an RSSI are skipped (counted in [`BtsnoopSightings::skipped`]); a log cut
/// mid-record (a phone that was still writing) ends at the last whole record.
pub struct BtsnoopSightings<R: Read> {
    input: R,
    parser: SnoopParser,
    offset: UtcOffset,
    buf: Vec<u8>,
    done: bool,
    skipped: u64,
}

impl<R: Read> BtsnoopSightings<R> {
    /// Read `input`, converting the phone's local times with `offset`.
    pub fn new(input: R, offset: UtcOffset) -> Self {
        Self {
            input,
            parser: SnoopParser::new(),
            offset,
            buf: vec![0; 64 << 10],
            done: false,
            skipped: 0,
        }
    }

    /// Reports skipped so far (other devices, malformed payloads, no RSSI).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    fn sighting(&mut self, r: &AdvertisingReport) -> Result<Option<Sighting>, ImportError> {
        let line = r.record + 1;
        let Some(rssi) = r.rssi else {
            self.skipped += 1;
            return Ok(None);
        };
        let identifier =
            match decode_advertising_data(&r.data).map(|d| (d.beacon, d.tx_power_level)) {
                Ok((Beacon::Identifier(id), tx)) => (id, tx),
                _ => {
                    self.skipped += 1;
                    return Ok(None);
                }
            };
        let time = r
            .time
            .to_unix_time(self.offset)
            .map_err(|e| err(line, format!("record time: {e}")))?;
        Ok(Some(Sighting {
            identifier: identifier.0,
            rssi,
            tx_power: r.tx_power.or(identifier.1),
            time,
        }))
    }
}

impl<R: Read> Iterator for BtsnoopSightings<R> {
    type Item = Result<(u64, Sighting), ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.parser.poll() {
                Ok(Some(SnoopItem::AdvertisingReport(r))) => match self.sighting(&r) {
                    Ok(Some(s)) => return Some(Ok((r.record + 1, s))),
                    Ok(None) => continue,
                    Err(e) => return Some(Err(e)),
                },
                Ok(Some(_)) => continue,
                Ok(None) if self.done => return None,
                Ok(None) => match self.input.read(&mut self.buf) {
                    Ok(0) => {
                        self.done = true;
                        // A log cut mid-record ends at its last whole record.
                        let _ = self.parser.finish();
                    }
                    Ok(n) => self.parser.push(&self.buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let record = self.parser.stats().records;
                        return Some(Err(read_error(&e, record + 1)));
                    }
                },
                Err(e) => {
                    let record = self.parser.stats().records;
                    return Some(Err(err(
                        record + 1,
                        format!("not a usable BTSnoop log: {e}"),
                    )));
                }
            }
        }
    }
}

impl<R: Read> BtsnoopSightings<Limited<R>> {
    /// SHA-256 of the bytes read so far (the whole file once the reports are exhausted).
    pub fn digest(&self) -> [u8; 32] {
        self.input.digest()
    }
}

/// Parse a whole sighting CSV (tests and small files; imports stream through [`run`]).
pub fn parse_csv(input: impl Read) -> Result<Vec<Sighting>, ImportError> {
    CsvSightings::new(input)?
        .map(|r| r.map(|(_, s)| s))
        .collect()
}

/// Parse a whole `data_trace.txt` (tests and small files; imports stream through [`run`]).
pub fn parse_bluezone_tsv(
    input: impl BufRead,
) -> Result<(Vec<Sighting>, Option<TimestampUnit>), ImportError> {
    let mut it = BluezoneSightings::new(input);
    let rows = it
        .by_ref()
        .map(|r| r.map(|(_, s)| s))
        .collect::<Result<_, _>>()?;
    Ok((rows, it.unit.map(|(u, _)| u)))
}

/// Aggregate sightings (in any order) into scan-instance records, oldest first.
pub fn aggregate(mut sightings: Vec<Sighting>, config: AggregatorConfig) -> Vec<ScanAggregate> {
    sightings.sort_by_key(|s| s.time);
    let mut agg = proxtrace::sighting::Aggregator::new(config);
    for s in &sightings {
        agg.observe(s);
    }
    agg.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_parse_in_any_column_order() {
        let text = "scheme,unix_time,rssi,id,aem\n\
            gaen,1700000000,-60,8be6cd371c5c891604bfbe49df845096,72033874\n\
            bluezone,1700000005,-70,29ABD013B41C90269332AB5D,\n";
        let s = parse_csv(text.as_bytes()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].rssi, -70);
        assert_eq!(s[0].time.as_secs(), 1_700_000_000);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let bad = [
            (
                "unix_time,scheme,id,aem,rssi\n1,gaen,00,00000000,-60\n",
                2,
                "32 hex digits",
            ),
            (
                "unix_time,scheme,id,aem,rssi\n1,bluezone,29ABD013B41C90269332AB5D,,-60\nx,gaen,8be6cd371c5c891604bfbe49df845096,72033874,1\n",
                3,
                "unix_time",
            ),
            (
                "unix_time,scheme,id,aem,rssi\n1,tcn,29ABD013B41C90269332AB5D,,-60\n",
                2,
                "scheme",
            ),
            (
                "unix_time,scheme,id,aem,rssi\n1,bluezone,29ABD013B41C90269332AB5D,,-300\n",
                2,
                "rssi",
            ),
            (
                "unix_time,scheme,id,aem,rssi\n1,bluezone,29ABD013B41C90269332AB5D,01020304,-60\n",
                2,
                "aem",
            ),
            ("time,scheme,id,aem,rssi\n", 1, "header"),
            ("unix_time,scheme,id,aem,rssi\n1,bluezone\n", 2, "malformed"),
        ];
        for (text, line, word) in bad {
            let e = parse_csv(text.as_bytes()).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.reason.contains(word), "{text}: {e}");
        }
    }

    #[test]
    fn bluezone_tsv_detects_the_unit() {
        let own = "29ABD013B41C90269332AB5D";
        let ms = format!(
            "{own}\tE26B0FCB3A70A8892B38A074\t-70\t1596845700123\n{own}\tE26B0FCB3A70A8892B38A074\t-71\t1596845704000\n"
        );
        let (rows, unit) = parse_bluezone_tsv(ms.as_bytes()).unwrap();
        assert_eq!(unit, Some(TimestampUnit::Milliseconds));
        assert_eq!(rows[0].time.as_secs(), 1_596_845_700);
        let s = format!("{own}\tE26B0FCB3A70A8892B38A074\t-70\t1596845700\n");
        assert_eq!(
            parse_bluezone_tsv(s.as_bytes()).unwrap().1,
            Some(TimestampUnit::Seconds)
        );
        let mixed = format!("{s}{own}\tE26B0FCB3A70A8892B38A074\t-70\t1596845700123\n");
        assert_eq!(parse_bluezone_tsv(mixed.as_bytes()).unwrap_err().line, 2);
        let short = format!("{own}\t-70\t1596845700\n");
        assert_eq!(parse_bluezone_tsv(short.as_bytes()).unwrap_err().line, 1);
    }
}
