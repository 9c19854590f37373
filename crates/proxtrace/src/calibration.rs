//! Per-device radio calibration: Google's Exposure Notification calibration table and the
//! fallback rules for phones it does not list.
//!
//! A phone's BLE radio is not a laboratory instrument: models differ by several dB in what
//! they transmit and in the RSSI they report. GAEN corrects both sides with a per-model table
//! (`oem,model,rssi correction,tx,has direct measurement`): the sender advertises the
//! calibrated TX power in its metadata, the receiver adds the RSSI correction to what its
//! radio reports, and `attenuation = TX − (RSSI + correction)`.
//!
//! [`CalibrationTable::parse`] reads such a table (the bytes come from the host: a health
//! authority or the platform ships it; proxtrace ships none), [`CalibrationTable::lookup`]
//! finds the row for `Build.MANUFACTURER` / `Build.MODEL` (or `utsname`), case- and
//! spacing-tolerant, bridging variant suffixes such as `SM-G981B/DS` → `SM-G981B`, and falls
//! back as GAEN's calibration-confidence levels describe:
//!
//! | found | values | confidence |
//! |---|---|---|
//! | the model (or its variant) under the manufacturer | the row | `high` with a direct measurement, else `medium` |
//! | the model under another manufacturer name | their average | `medium` |
//! | only the manufacturer | the average of its rows | `low` |
//! | nothing | the average of the whole table | `lowest` |
//! | (empty table / no table) | [`DeviceCalibration::UNCALIBRATED`] | `lowest` |
//!
//! Averages round half away from zero. The levels follow the definitions of GAEN's
//! `CalibrationConfidence` (lowest: "no calibration data, fleet-wide defaults"; low: "average
//! over models from the manufacturer"; medium: "a similar model"; high: "significant
//! calibration data for this model"); the averaging is what microG's open implementation of
//! those definitions does. Format, limits and figures: `docs/calibration.md`.
//!
//! ```
//! use proxtrace::calibration::{CalibrationBasis, CalibrationTable};
//! use proxtrace::gaen::CalibrationConfidence;
//!
//! let csv = "oem,model,rssi correction,tx,has direct measurement\n\
//!            Samsung,SM-G981B,5,-25,yes\n\
//!            Samsung,SM-A405FN,2,-23,no\n";
//! let table = CalibrationTable::parse(csv.as_bytes())?;
//! let s20 = table.lookup("samsung", "SM-G981B/DS"); // Build.MANUFACTURER, Build.MODEL
//! assert_eq!(s20.basis, CalibrationBasis::ModelVariant);
//! assert_eq!((s20.calibration.tx_power_dbm, s20.calibration.rssi_correction_db), (-25, 5));
//! assert_eq!(s20.calibration.confidence, CalibrationConfidence::HIGH);
//! let other = table.lookup("Samsung", "SM-X999");
//! assert_eq!(other.basis, CalibrationBasis::ManufacturerAverage);
//! assert_eq!(other.calibration.tx_power_dbm, -24); // (−25 − 23) / 2
//! # Ok::<(), proxtrace::calibration::CalibrationError>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::gaen::CalibrationConfidence;

/// Largest table accepted, bytes (Google's June 2020 table of 9 895 models is 364 KiB).
pub const MAX_TABLE_BYTES: usize = 8 << 20;
/// Most rows accepted.
pub const MAX_ROWS: usize = 200_000;
/// Longest manufacturer or model name accepted, bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Accepted TX powers, dBm (the range matchers accept from metadata).
pub const TX_POWER_RANGE_DBM: std::ops::RangeInclusive<i8> = -50..=20;
/// Accepted RSSI corrections, dB.
pub const RSSI_CORRECTION_RANGE_DB: std::ops::RangeInclusive<i8> = -60..=60;

/// The columns a table must have, in this order. The third and fourth header cells need only
/// start with these words (Google's header explains them in parentheses).
pub const COLUMNS: [&str; 5] = [
    "oem",
    "model",
    "rssi correction",
    "tx",
    "has direct measurement",
];

/// A table that cannot be used. Nothing of it is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalibrationError {
    /// More than [`MAX_TABLE_BYTES`].
    #[error(
        "calibration table is {len} bytes, more than the {max} accepted: pass the CSV table \
         itself (oem,model,rssi correction,tx,has direct measurement)"
    )]
    TooLarge {
        /// Bytes given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_ROWS`] rows.
    #[error("calibration table has more than {max} rows")]
    TooManyRows {
        /// The limit.
        max: usize,
    },
    /// No header line, or not the expected columns.
    #[error(
        "calibration table header is {found:?}; expected the columns \
         oem,model,rssi correction,tx,has direct measurement"
    )]
    BadHeader {
        /// The header found (empty when there is none).
        found: String,
    },
    /// A row that cannot be read.
    #[error("calibration table line {line}: {reason}")]
    BadRow {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The same manufacturer and model twice, with different values.
    #[error(
        "calibration table lines {first} and {line} both calibrate {oem} {model} with different \
         values: keep one"
    )]
    ConflictingRows {
        /// Line of the first row.
        first: u64,
        /// Line of the second.
        line: u64,
        /// Manufacturer.
        oem: String,
        /// Model.
        model: String,
    },
}

/// One row of a calibration table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalibrationRow {
    /// Manufacturer as written in the table (`Build.MANUFACTURER`).
    pub oem: String,
    /// Model as written in the table (`Build.MODEL`).
    pub model: String,
    /// Added to the RSSI this model's radio reports, dB.
    pub rssi_correction_db: i8,
    /// TX power this model advertises, dBm.
    pub tx_power_dbm: i8,
    /// Whether the values come from a measurement of this model.
    pub direct_measurement: bool,
}

impl CalibrationRow {
    /// The calibration of this row: `high` confidence with a direct measurement, else
    /// `medium` (values carried over from a similar model).
    pub fn calibration(&self) -> DeviceCalibration {
        DeviceCalibration {
            tx_power_dbm: self.tx_power_dbm,
            rssi_correction_db: self.rssi_correction_db,
            confidence: if self.direct_measurement {
                CalibrationConfidence::HIGH
            } else {
                CalibrationConfidence::MEDIUM
            },
        }
    }
}

/// What a phone advertises and how it corrects what it hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCalibration {
    /// TX power to advertise in GAEN metadata, dBm.
    pub tx_power_dbm: i8,
    /// Added to every received RSSI, dB.
    pub rssi_correction_db: i8,
    /// How much the values can be trusted (GAEN metadata v1.1 bits 3–2).
    pub confidence: CalibrationConfidence,
}

impl DeviceCalibration {
    /// The values for a phone nothing is known about: TX −24 dBm, RSSI correction −3 dB,
    /// confidence `lowest`.
    ///
    /// They are the most frequent row of Google's June 2020 table (2 022 of 9 895 models;
    /// also its median TX), and the value Google gave 1 749 of its 2 237 Samsung models.
    /// Attenuation then reads `−21 − RSSI`, and `−21` is the table's median `TX − correction`.
    /// On DP-3T experiment 34 (18 real phones, camera ground truth) these values reach contact
    /// F1 0.40 with GAEN's default buckets, where the former −8/0 reached 0.04 (the median
    /// attenuation under 1 m read 75 dB, past every bucket); see `docs/accuracy.md`.
    pub const UNCALIBRATED: Self = Self {
        tx_power_dbm: -24,
        rssi_correction_db: -3,
        confidence: CalibrationConfidence::LOWEST,
    };
}

impl Default for DeviceCalibration {
    fn default() -> Self {
        Self::UNCALIBRATED
    }
}

/// Where a lookup's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CalibrationBasis {
    /// The row of this manufacturer and model.
    Model,
    /// The row of this manufacturer and the model without its variant suffix
    /// (`SM-G981B/DS` → `SM-G981B`).
    ModelVariant,
    /// Rows of this model under other manufacturer names (averaged).
    ModelOtherManufacturer,
    /// The average of the manufacturer's rows.
    ManufacturerAverage,
    /// The average of the whole table.
    FleetAverage,
    /// No table rows at all: [`DeviceCalibration::UNCALIBRATED`].
    Uncalibrated,
}

impl CalibrationBasis {
    /// The snake-case name (as in JSON).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::ModelVariant => "model_variant",
            Self::ModelOtherManufacturer => "model_other_manufacturer",
            Self::ManufacturerAverage => "manufacturer_average",
            Self::FleetAverage => "fleet_average",
            Self::Uncalibrated => "uncalibrated",
        }
    }
}

impl fmt::Display for CalibrationBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The result of [`CalibrationTable::lookup`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalibrationLookup {
    /// The values to use.
    pub calibration: DeviceCalibration,
    /// Where they come from.
    pub basis: CalibrationBasis,
    /// How many table rows they stand for.
    pub rows: usize,
}

/// A parsed calibration table. See the [module documentation](self).
#[derive(Debug, Clone, Default)]
pub struct CalibrationTable {
    rows: Vec<CalibrationRow>,
    by_key: HashMap<(String, String), usize>,
    by_model: HashMap<String, Vec<usize>>,
    by_oem: HashMap<String, Vec<usize>>,
}

/// A name as lookups compare it: lower case, without any white space.
pub fn normalize_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The model without a variant suffix after `/` (`SM-G981B/DS` → `SM-G981B`), if it has one.
fn base_model(normalized: &str) -> Option<&str> {
    normalized
        .split_once('/')
        .map(|(base, _)| base)
        .filter(|b| !b.is_empty())
}

fn header_ok(cells: &[String]) -> bool {
    cells.len() == COLUMNS.len()
        && cells.iter().zip(COLUMNS).enumerate().all(|(i, (c, want))| {
            let c = c.trim().to_ascii_lowercase();
            match i {
                2 | 3 => c.starts_with(want),
                _ => c == want,
            }
        })
}

fn parse_i8_in(
    s: &str,
    what: &str,
    range: std::ops::RangeInclusive<i8>,
    line: u64,
) -> Result<i8, CalibrationError> {
    let bad = |reason: String| CalibrationError::BadRow { line, reason };
    let v: i64 = s
        .trim()
        .parse()
        .map_err(|_| bad(format!("{what} {s:?} is not a whole number")))?;
    i8::try_from(v)
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| {
            bad(format!(
                "{what} {v} is outside {}…{}",
                range.start(),
                range.end()
            ))
        })
}

fn round_div(sum: i64, n: i64) -> i64 {
    // Round half away from zero; n > 0.
    let q = (2 * sum.abs() + n) / (2 * n);
    if sum < 0 { -q } else { q }
}

impl CalibrationTable {
    /// Parse a table: UTF-8 CSV (RFC 4180 quoting, optional byte-order mark), a header line
    /// with the [`COLUMNS`], then one row per model. At most [`MAX_TABLE_BYTES`] and
    /// [`MAX_ROWS`]; names at most [`MAX_NAME_BYTES`]; TX in [`TX_POWER_RANGE_DBM`],
    /// corrections in [`RSSI_CORRECTION_RANGE_DB`]; `has direct measurement` is `yes`/`no`
    /// (or `true`/`false`). The same manufacturer and model (compared as lookups compare
    /// them) twice is accepted only with the same values.
    pub fn parse(bytes: &[u8]) -> Result<Self, CalibrationError> {
        if bytes.len() > MAX_TABLE_BYTES {
            return Err(CalibrationError::TooLarge {
                len: bytes.len(),
                max: MAX_TABLE_BYTES,
            });
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut table = Self::default();
        let mut lines: Vec<u64> = Vec::new();
        let mut header_seen = false;
        let mut record = csv::ByteRecord::new();
        loop {
            let line = reader.position().line();
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    return Err(CalibrationError::BadRow {
                        line,
                        reason: e.to_string(),
                    });
                }
            }
            let line = record.position().map_or(line, |p| p.line());
            let cells: Vec<String> = record
                .iter()
                .map(|c| {
                    std::str::from_utf8(c).map(str::to_owned).map_err(|_| {
                        CalibrationError::BadRow {
                            line,
                            reason: "not UTF-8".into(),
                        }
                    })
                })
                .collect::<Result<_, _>>()?;
            if !header_seen {
                if !header_ok(&cells) {
                    return Err(CalibrationError::BadHeader {
                        found: cells.join(",").chars().take(200).collect(),
                    });
                }
                header_seen = true;
                continue;
            }
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if table.rows.len() >= MAX_ROWS {
                return Err(CalibrationError::TooManyRows { max: MAX_ROWS });
            }
            let row = Self::parse_row(&cells, line)?;
            let key = (normalize_name(&row.oem), normalize_name(&row.model));
            if let Some(&i) = table.by_key.get(&key) {
                let old = &table.rows[i];
                if (
                    old.rssi_correction_db,
                    old.tx_power_dbm,
                    old.direct_measurement,
                ) != (
                    row.rssi_correction_db,
                    row.tx_power_dbm,
                    row.direct_measurement,
                ) {
                    return Err(CalibrationError::ConflictingRows {
                        first: lines[i],
                        line,
                        oem: row.oem,
                        model: row.model,
                    });
                }
                continue;
            }
            let i = table.rows.len();
            table.by_model.entry(key.1.clone()).or_default().push(i);
            table.by_oem.entry(key.0.clone()).or_default().push(i);
            table.by_key.insert(key, i);
            table.rows.push(row);
            lines.push(line);
        }
        if !header_seen {
            return Err(CalibrationError::BadHeader {
                found: String::new(),
            });
        }
        Ok(table)
    }

    fn parse_row(cells: &[String], line: u64) -> Result<CalibrationRow, CalibrationError> {
        let bad = |reason: String| CalibrationError::BadRow { line, reason };
        if cells.len() != COLUMNS.len() {
            return Err(bad(format!(
                "{} fields; a row has 5: oem,model,rssi correction,tx,has direct measurement",
                cells.len()
            )));
        }
        let name = |s: &str, what: &str| {
            let t = s.trim();
            if t.is_empty() {
                Err(bad(format!("{what} is empty")))
            } else if t.len() > MAX_NAME_BYTES {
                Err(bad(format!("{what} is longer than {MAX_NAME_BYTES} bytes")))
            } else {
                Ok(t.to_owned())
            }
        };
        let direct = match cells[4].trim().to_ascii_lowercase().as_str() {
            "yes" | "true" => true,
            "no" | "false" => false,
            other => {
                return Err(bad(format!(
                    "has direct measurement {other:?} is neither yes nor no"
                )));
            }
        };
        Ok(CalibrationRow {
            oem: name(&cells[0], "oem")?,
            model: name(&cells[1], "model")?,
            rssi_correction_db: parse_i8_in(
                &cells[2],
                "rssi correction",
                RSSI_CORRECTION_RANGE_DB,
                line,
            )?,
            tx_power_dbm: parse_i8_in(&cells[3], "tx", TX_POWER_RANGE_DBM, line)?,
            direct_measurement: direct,
        })
    }

    /// Rows, in table order (duplicates dropped).
    pub fn rows(&self) -> &[CalibrationRow] {
        &self.rows
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row of exactly this manufacturer and model (compared case- and
    /// white-space-insensitively), without any fallback.
    pub fn row(&self, manufacturer: &str, model: &str) -> Option<&CalibrationRow> {
        let key = (normalize_name(manufacturer), normalize_name(model));
        self.by_key.get(&key).map(|&i| &self.rows[i])
    }

    fn average(&self, rows: &[usize], confidence: CalibrationConfidence) -> DeviceCalibration {
        let n = rows.len().max(1) as i64;
        let (c, t) = rows.iter().fold((0i64, 0i64), |(c, t), &i| {
            let r = &self.rows[i];
            (
                c + i64::from(r.rssi_correction_db),
                t + i64::from(r.tx_power_dbm),
            )
        });
        // Averages of in-range values stay in range.
        DeviceCalibration {
            tx_power_dbm: round_div(t, n).clamp(-128, 127) as i8,
            rssi_correction_db: round_div(c, n).clamp(-128, 127) as i8,
            confidence,
        }
    }

    /// The calibration of a device, with the fallbacks of the [module documentation](self).
    /// `manufacturer` and `model` are what the platform reports (`Build.MANUFACTURER`,
    /// `Build.MODEL`); case and white space do not matter.
    pub fn lookup(&self, manufacturer: &str, model: &str) -> CalibrationLookup {
        let oem = normalize_name(manufacturer);
        let model = normalize_name(model);
        let found = |basis, calibration, rows| CalibrationLookup {
            calibration,
            basis,
            rows,
        };
        if let Some(&i) = self.by_key.get(&(oem.clone(), model.clone())) {
            return found(CalibrationBasis::Model, self.rows[i].calibration(), 1);
        }
        let base = base_model(&model);
        if let Some(b) = base
            && let Some(&i) = self.by_key.get(&(oem.clone(), b.to_owned()))
        {
            return found(
                CalibrationBasis::ModelVariant,
                self.rows[i].calibration(),
                1,
            );
        }
        let same_model = self
            .by_model
            .get(&model)
            .or_else(|| base.and_then(|b| self.by_model.get(b)));
        if let Some(rows) = same_model {
            return found(
                CalibrationBasis::ModelOtherManufacturer,
                self.average(rows, CalibrationConfidence::MEDIUM),
                rows.len(),
            );
        }
        if let Some(rows) = self.by_oem.get(&oem) {
            return found(
                CalibrationBasis::ManufacturerAverage,
                self.average(rows, CalibrationConfidence::LOW),
                rows.len(),
            );
        }
        if self.rows.is_empty() {
            return found(
                CalibrationBasis::Uncalibrated,
                DeviceCalibration::UNCALIBRATED,
                0,
            );
        }
        let all: Vec<usize> = (0..self.rows.len()).collect();
        found(
            CalibrationBasis::FleetAverage,
            self.average(&all, CalibrationConfidence::LOWEST),
            all.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "oem,model,rssi correction (android rssi + rssi correction = iphone rssi),tx (as iphone would report for same power),has direct measurement\n";

    fn table(rows: &str) -> CalibrationTable {
        CalibrationTable::parse(format!("{HEADER}{rows}").as_bytes()).unwrap()
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-4, 3), -1);
        assert_eq!(round_div(-5, 3), -2);
        assert_eq!(round_div(0, 7), 0);
    }

    #[test]
    fn lookups_fall_back_in_gaen_order() {
        let t = table(
            "Samsung,SM-G973F,2,-29,yes\n\
             Samsung,SM-A405FN,2,-23,no\n\
             Samsung,SM-G981B,5,-25,yes\n\
             Google,Pixel 4,8,-30,yes\n\
             HMD Global,Nokia 7.2,3,-7,yes\n\
             Nokia,Nokia 7.2,5,-9,no\n",
        );
        let l = t.lookup("samsung", "sm-g973f");
        assert_eq!(l.basis, CalibrationBasis::Model);
        assert_eq!(l.calibration.confidence, CalibrationConfidence::HIGH);
        let l = t.lookup(" SAMSUNG ", "SM-A405FN");
        assert_eq!(l.calibration.confidence, CalibrationConfidence::MEDIUM);
        assert_eq!(t.lookup("Google", "Pixel4").basis, CalibrationBasis::Model);
        assert_eq!(
            t.lookup("Google", "pixel  4").basis,
            CalibrationBasis::Model
        );
        let l = t.lookup("samsung", "SM-G981B/DS");
        assert_eq!(l.basis, CalibrationBasis::ModelVariant);
        assert_eq!(l.calibration.tx_power_dbm, -25);
        // Same model, manufacturer name unknown: both rows averaged, medium.
        let l = t.lookup("Foxconn", "Nokia 7.2");
        assert_eq!(l.basis, CalibrationBasis::ModelOtherManufacturer);
        assert_eq!(l.rows, 2);
        assert_eq!(
            (l.calibration.rssi_correction_db, l.calibration.tx_power_dbm),
            (4, -8)
        );
        assert_eq!(l.calibration.confidence, CalibrationConfidence::MEDIUM);
        // Manufacturer only: (2 + 2 + 5) / 3 = 3, (−29 − 23 − 25) / 3 = −25.67 → −26.
        let l = t.lookup("Samsung", "SM-X000");
        assert_eq!(l.basis, CalibrationBasis::ManufacturerAverage);
        assert_eq!(
            (l.calibration.rssi_correction_db, l.calibration.tx_power_dbm),
            (3, -26)
        );
        assert_eq!(l.calibration.confidence, CalibrationConfidence::LOW);
        let l = t.lookup("Acme", "Rocket");
        assert_eq!(l.basis, CalibrationBasis::FleetAverage);
        assert_eq!(l.rows, 6);
        assert_eq!(l.calibration.confidence, CalibrationConfidence::LOWEST);
        let empty = table("");
        let l = empty.lookup("Samsung", "SM-G973F");
        assert_eq!(l.basis, CalibrationBasis::Uncalibrated);
        assert_eq!(l.calibration, DeviceCalibration::UNCALIBRATED);
    }

    #[test]
    fn bad_tables_are_typed_errors() {
        let e = |s: &str| CalibrationTable::parse(s.as_bytes()).unwrap_err();
        assert!(matches!(e(""), CalibrationError::BadHeader { .. }));
        assert!(matches!(
            e("a,b,c,d,e\n"),
            CalibrationError::BadHeader { .. }
        ));
        let row = |r: &str| e(&format!("{HEADER}{r}\n"));
        assert!(matches!(
            row("Samsung,X,2,-29"),
            CalibrationError::BadRow { line: 2, .. }
        ));
        assert!(matches!(
            row("Samsung,X,2,-99,yes"),
            CalibrationError::BadRow { .. }
        ));
        assert!(matches!(
            row("Samsung,X,2.5,-20,yes"),
            CalibrationError::BadRow { .. }
        ));
        assert!(matches!(
            row("Samsung,X,2,-20,maybe"),
            CalibrationError::BadRow { .. }
        ));
        assert!(matches!(
            row(",X,2,-20,yes"),
            CalibrationError::BadRow { .. }
        ));
        assert!(matches!(
            row("Samsung,X,2,-20,yes\nsamsung,x,3,-20,yes"),
            CalibrationError::ConflictingRows {
                first: 2,
                line: 3,
                ..
            }
        ));
        let big = vec![b'a'; MAX_TABLE_BYTES + 1];
        assert!(matches!(
            CalibrationTable::parse(&big),
            Err(CalibrationError::TooLarge { .. })
        ));
        // Identical duplicates, blank lines, quoting and a byte-order mark are fine.
        let t = CalibrationTable::parse(
            format!("\u{feff}{HEADER}Samsung,X,2,-20,yes\n\nsamsung, x ,2,-20,YES\nSharp,\"LC-40\"\"\",-4,-26,no\n")
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.rows()[1].model, "LC-40\"");
    }
}
