//! Reading the DP-3T bt-measurements layout (`dp3t-exp34/`): HCI snoop logs through the core's
//! btsnoop reader, the scenario databases, the camera tracks. Everything is read, never written.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use proxtrace::btsnoop::{SnoopItem, UtcOffset, items};

use super::EvalError;

/// Largest HCI snoop log read, bytes.
pub const MAX_SNOOP_BYTES: u64 = 1 << 30;
/// Largest camera-track JSON read (uncompressed), bytes.
pub const MAX_CAMERA_JSON_BYTES: u64 = 512 << 20;
/// Most rows read from one scenario database.
pub const MAX_DB_ROWS: usize = 5_000_000;
/// Most phones (ids 1–255).
pub const MAX_PHONES: usize = 255;
/// Most scenarios.
pub const MAX_SCENARIOS: usize = 64;

/// The phones of experiment 34 are all Samsung (the data set's README); the databases name
/// only the model.
pub const MANUFACTURER: &str = "samsung";

/// One GAEN advertising report a phone received.
#[derive(Debug, Clone)]
pub struct Report {
    /// UTC, microseconds.
    pub t_us: i64,
    /// RSSI, dBm.
    pub rssi: i8,
    /// TX power field of the report, if any.
    pub tx_power: Option<i8>,
    /// The RPI (first 16 of the 20 service-data bytes).
    pub rpi: [u8; 16],
    /// The AD bytes as received.
    pub ad: Vec<u8>,
    /// Offset of the 20 service-data bytes (RPI ‖ AEM) in `ad`.
    pub payload_at: usize,
}

/// What one phone's snoop log holds for the evaluation.
#[derive(Debug, Clone, Default)]
pub struct PhoneLog {
    /// Own RPIs as set by the phone (UTC µs of the command, RPI), in log order.
    pub own: Vec<(i64, [u8; 16])>,
    /// Every GAEN advertising report received, in log order.
    pub reports: Vec<Report>,
}

/// The 20 bytes (RPI ‖ AEM) of a GAEN service-data structure (length 0x17, type 0x16, UUID
/// 0xFD6F) in AD bytes, and their offset: the AD structures are walked, not pattern-matched.
pub fn gaen_payload(ad: &[u8]) -> Option<([u8; 16], usize)> {
    let mut i = 0usize;
    while i < ad.len() {
        let len = usize::from(ad[i]);
        if len == 0 {
            break;
        }
        let end = i + 1 + len;
        if end > ad.len() {
            return None;
        }
        let s = &ad[i + 1..end];
        if s.len() == 23 && s[0] == 0x16 && s[1] == 0x6F && s[2] == 0xFD {
            let mut rpi = [0u8; 16];
            rpi.copy_from_slice(&s[3..19]);
            return Some((rpi, i + 4));
        }
        i = end;
    }
    None
}

fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, EvalError> {
    let meta = fs::metadata(path).map_err(|e| EvalError::io(path, e))?;
    if meta.len() > max {
        return Err(EvalError::TooLarge {
            path: path.to_owned(),
            max,
        });
    }
    fs::read(path).map_err(|e| EvalError::io(path, e))
}

/// Read one phone's HCI snoop log (BTSnoop) written on `offset` local time.
pub fn read_snoop(path: &Path, offset: UtcOffset) -> Result<PhoneLog, EvalError> {
    let bytes = read_limited(path, MAX_SNOOP_BYTES)?;
    let mut log = PhoneLog::default();
    let bad = |e: proxtrace::btsnoop::BtsnoopError| EvalError::Data {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    for item in items(&bytes) {
        match item.map_err(bad)? {
            SnoopItem::AdvertisingReport(r) => {
                let (Some(rssi), Some((rpi, at))) = (r.rssi, gaen_payload(&r.data)) else {
                    continue;
                };
                let t = r.time.to_unix_micros(offset).map_err(bad)?;
                log.reports.push(Report {
                    t_us: t as i64,
                    rssi,
                    tx_power: r.tx_power,
                    rpi,
                    ad: r.data,
                    payload_at: at,
                });
            }
            SnoopItem::OwnAdvertisingData(d) => {
                if let Some((rpi, _)) = gaen_payload(&d.data) {
                    let t = d.time.to_unix_micros(offset).map_err(bad)?;
                    log.own.push((t as i64, rpi));
                }
            }
            _ => {}
        }
    }
    Ok(log)
}

/// A sighting from a scenario database: no RPI, only who heard whom.
#[derive(Debug, Clone, Copy)]
pub struct DbRow {
    /// Receiver phone.
    pub rx: u8,
    /// Transmitter phone.
    pub tx: u8,
    /// UTC, microseconds.
    pub t_us: i64,
    /// RSSI, dBm.
    pub rssi: i8,
}

/// The rows of a scenario database and the receiver models it names.
pub fn read_database(path: &Path) -> Result<(Vec<DbRow>, BTreeMap<u8, String>), EvalError> {
    use rusqlite::{Connection, OpenFlags};
    let bad = |e: rusqlite::Error| EvalError::Data {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(bad)?;
    let mut st = c
        .prepare(
            "SELECT receiver_id, transmitter_id, timestamp, rssi, receiver_model FROM results \
             ORDER BY db_id",
        )
        .map_err(bad)?;
    let mut rows = Vec::new();
    let mut models = BTreeMap::new();
    let mut q = st.query([]).map_err(bad)?;
    while let Some(r) = q.next().map_err(bad)? {
        if rows.len() >= MAX_DB_ROWS {
            return Err(EvalError::Data {
                path: path.to_owned(),
                reason: format!("more than {MAX_DB_ROWS} rows"),
            });
        }
        let id = |s: String| -> Result<u8, EvalError> {
            s.trim().parse().map_err(|_| EvalError::Data {
                path: path.to_owned(),
                reason: format!("phone id {s:?} is not a number 1–255"),
            })
        };
        let rx = id(r.get::<_, String>(0).map_err(bad)?)?;
        let tx = id(r.get::<_, String>(1).map_err(bad)?)?;
        // Unix *seconds* stored as REAL (the data set's README says milliseconds; it is not).
        let ts: f64 = r.get(2).map_err(bad)?;
        let rssi: i64 = r.get(3).map_err(bad)?;
        let model: String = r.get(4).map_err(bad)?;
        models.entry(rx).or_insert(model);
        rows.push(DbRow {
            rx,
            tx,
            t_us: (ts * 1e6).round() as i64,
            rssi: rssi.clamp(-128, 127) as i8,
        });
    }
    Ok((rows, models))
}

/// Camera tracks of one scenario.
#[derive(Debug, Clone, Default)]
pub struct Camera {
    /// UTC µs of the first frame.
    pub t0_us: i64,
    /// UTC µs of the last frame.
    pub t1_us: i64,
    /// Frames.
    pub frames: usize,
    /// Per person: (x, y) in metres per frame, `None` where untracked.
    pub tracks: BTreeMap<u8, Vec<Option<(f32, f32)>>>,
}

impl Camera {
    /// Seconds between frames.
    pub fn dt(&self) -> f64 {
        if self.frames < 2 {
            return 0.0;
        }
        (self.t1_us - self.t0_us) as f64 / 1e6 / (self.frames - 1) as f64
    }

    /// The frame nearest to `t_us` (clamped).
    pub fn frame_at(&self, t_us: i64) -> usize {
        let dt = self.dt();
        if dt <= 0.0 {
            return 0;
        }
        let k = ((t_us - self.t0_us) as f64 / 1e6 / dt).round_ties_even();
        k.clamp(0.0, (self.frames - 1) as f64) as usize
    }

    /// Distance between two people at frame `k`, metres, if both are tracked.
    pub fn distance(&self, a: u8, b: u8, k: usize) -> Option<f64> {
        let pa = (*self.tracks.get(&a)?.get(k)?)?;
        let pb = (*self.tracks.get(&b)?.get(k)?)?;
        let (dx, dy) = (f64::from(pa.0 - pb.0), f64::from(pa.1 - pb.1));
        Some((dx * dx + dy * dy).sqrt())
    }
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` local time → UTC µs.
pub fn parse_local_time(s: &str, offset: UtcOffset) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':').map(|x| x.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let mut micros = 0i64;
    for (i, c) in frac.chars().take(6).enumerate() {
        micros += i64::from(c.to_digit(10)?) * 10i64.pow(5 - i as u32);
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss - i64::from(offset.as_secs());
    Some(secs * 1_000_000 + micros)
}

struct Point(Option<(f32, f32)>);

impl<'de> serde::Deserialize<'de> for Point {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Point;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("null or [x, y, …]")
            }
            fn visit_unit<E>(self) -> Result<Point, E> {
                Ok(Point(None))
            }
            fn visit_none<E>(self) -> Result<Point, E> {
                Ok(Point(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Point, A::Error> {
                let x: f64 = a
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::custom("empty position"))?;
                let y: f64 = a
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::custom("position without y"))?;
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Point(Some((x as f32, y as f32))))
            }
        }
        d.deserialize_any(V)
    }
}

struct Tracks {
    datetime: Vec<String>,
    people: BTreeMap<String, Vec<Point>>,
}

impl<'de> serde::Deserialize<'de> for Tracks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Tracks;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of \"datetime\" and one track per person")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Tracks, A::Error> {
                let mut t = Tracks {
                    datetime: Vec::new(),
                    people: BTreeMap::new(),
                };
                while let Some(k) = m.next_key::<String>()? {
                    if k == "datetime" {
                        t.datetime = m.next_value()?;
                    } else {
                        let v: Vec<Point> = m.next_value()?;
                        t.people.insert(k, v);
                    }
                }
                Ok(t)
            }
        }
        d.deserialize_map(V)
    }
}

/// Read the tracks JSON of a camera zip: the one `.json` entry that is not `homography.json`
/// (macOS `__MACOSX/` entries are ignored).
pub fn read_camera_zip(path: &Path, offset: UtcOffset) -> Result<Camera, EvalError> {
    let bad = |reason: String| EvalError::Data {
        path: path.to_owned(),
        reason,
    };
    let f = fs::File::open(path).map_err(|e| EvalError::io(path, e))?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| bad(e.to_string()))?;
    let name = z
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .find(|n| {
            n.ends_with(".json") && !n.starts_with("__MACOSX") && !n.ends_with("homography.json")
        })
        .ok_or_else(|| bad("no tracks .json in the zip".into()))?;
    let entry = z.by_name(&name).map_err(|e| bad(e.to_string()))?;
    if entry.size() > MAX_CAMERA_JSON_BYTES {
        return Err(EvalError::TooLarge {
            path: path.to_owned(),
            max: MAX_CAMERA_JSON_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry
        .take(MAX_CAMERA_JSON_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| EvalError::io(path, e))?;
    if bytes.len() as u64 > MAX_CAMERA_JSON_BYTES {
        return Err(EvalError::TooLarge {
            path: path.to_owned(),
            max: MAX_CAMERA_JSON_BYTES,
        });
    }
    let t: Tracks = serde_json::from_slice(&bytes).map_err(|e| bad(format!("{name}: {e}")))?;
    let times =
        |s: &String| parse_local_time(s, offset).ok_or_else(|| bad(format!("bad datetime {s:?}")));
    let (Some(first), Some(last)) = (t.datetime.first(), t.datetime.last()) else {
        return Err(bad("no frames".into()));
    };
    let mut cam = Camera {
        t0_us: times(first)?,
        t1_us: times(last)?,
        frames: t.datetime.len(),
        tracks: BTreeMap::new(),
    };
    for (k, v) in t.people {
        let Ok(id) = k.trim().parse::<u8>() else {
            continue;
        };
        if v.len() != cam.frames {
            return Err(bad(format!(
                "track {k} has {} frames, datetime {}",
                v.len(),
                cam.frames
            )));
        }
        cam.tracks.insert(id, v.into_iter().map(|p| p.0).collect());
    }
    Ok(cam)
}

/// The files of a DP-3T experiment folder.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `scenarioNN-name` → (database, camera zip).
    pub scenarios: Vec<(String, PathBuf, PathBuf)>,
    /// Phone id → snoop log.
    pub snoops: BTreeMap<u8, PathBuf>,
    /// `backend-checks/` if present.
    pub backend: Option<PathBuf>,
}

/// Find the files: `scenarioNN-*.sqlite` with the camera zip `computer-vision/<NN−1>_*.zip`,
/// `btsnoop/NN.btsnoop`, `backend-checks/`.
pub fn layout(dir: &Path) -> Result<Layout, EvalError> {
    let list = |d: &Path| -> Result<Vec<PathBuf>, EvalError> {
        let mut v: Vec<PathBuf> = fs::read_dir(d)
            .map_err(|e| EvalError::io(d, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        v.sort();
        Ok(v)
    };
    let cv = dir.join("computer-vision");
    let zips = if cv.is_dir() { list(&cv)? } else { Vec::new() };
    let mut scenarios = Vec::new();
    for p in list(dir)? {
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".sqlite") else {
            continue;
        };
        let Some(nn) = stem
            .strip_prefix("scenario")
            .and_then(|s| s.get(..2))
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let prefix = format!("{}_", nn.saturating_sub(1));
        let zip = zips
            .iter()
            .find(|z| {
                z.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".zip"))
            })
            .ok_or_else(|| EvalError::Data {
                path: cv.clone(),
                reason: format!("no camera zip {prefix}*.zip for {stem}"),
            })?;
        scenarios.push((stem.to_owned(), p.clone(), zip.clone()));
    }
    if scenarios.is_empty() {
        return Err(EvalError::Data {
            path: dir.to_owned(),
            reason: "no scenarioNN-*.sqlite: not a DP-3T experiment folder".into(),
        });
    }
    if scenarios.len() > MAX_SCENARIOS {
        return Err(EvalError::Data {
            path: dir.to_owned(),
            reason: format!("more than {MAX_SCENARIOS} scenarios"),
        });
    }
    let mut snoops = BTreeMap::new();
    let sd = dir.join("btsnoop");
    if sd.is_dir() {
        for p in list(&sd)? {
            let id = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".btsnoop"))
                .and_then(|n| n.parse::<u8>().ok());
            if let Some(id) = id {
                snoops.insert(id, p);
            }
        }
    }
    if snoops.len() > MAX_PHONES {
        return Err(EvalError::Data {
            path: sd,
            reason: format!("more than {MAX_PHONES} phones"),
        });
    }
    let b = dir.join("backend-checks");
    Ok(Layout {
        scenarios,
        snoops,
        backend: b.is_dir().then_some(b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_and_payloads() {
        let plus2 = UtcOffset::from_secs(7200).unwrap();
        assert_eq!(
            parse_local_time("2020-07-30 14:49:15.856667", plus2),
            Some(1_596_113_355_856_667)
        );
        assert_eq!(parse_local_time("2020-13-30 14:49:15", plus2), None);
        let mut ad = vec![0x03, 0x03, 0x6F, 0xFD, 0x17, 0x16, 0x6F, 0xFD];
        ad.extend(1..=20u8);
        let (rpi, at) = gaen_payload(&ad).unwrap();
        assert_eq!(at, 8);
        assert_eq!(rpi[0], 1);
        assert_eq!(gaen_payload(&ad[..20]), None);
    }
}
