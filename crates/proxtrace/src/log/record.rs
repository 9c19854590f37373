//! Chunk bodies: scan-instance records with a per-page identifier dictionary.
//!
//! A body is `varint first_def` (the dictionary index the chunk's first identifier definition
//! gets), `u16 LE base` (the chunk's time base in 15-second units since the page's UTC
//! midnight), then records. A record:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | tag, below |
//! | varint, or 20 / 12 | long reference: dictionary index; GAEN definition: RPI ‖ AEM; Bluezone definition: ID; short reference: nothing |
//! | varint | time delta − escape value, only if the tag's delta is the escape value |
//! | 1, or varint + varint | packed: `duration << 4 \| (count − 1)` (both ≤ 15); else duration, count |
//! | 1 | strongest RSSI, i8 |
//! | 1 | strongest RSSI − mean RSSI, u8 |
//! | 1 | TX power, i8 (if flagged) |
//!
//! Tag: bits 7–6 kind (`00` short reference, `01` GAEN definition, `10` Bluezone definition,
//! `11` long reference). A short reference (packed, no TX power) has in bits 5–3 its distance
//! *d* back from the newest definition (index `next − 1 − d`, *d* ≤ 7) and in bits 2–0 the
//! time delta (7 = escape). The other kinds have bit 5 TX power present, bit 4 packed, bits
//! 3–0 the time delta (15 = escape).
//!
//! The time delta of a chunk's first record is from the chunk's base, of later records from
//! the previous record's `first_seen`. A definition gets the next dictionary index.

use std::collections::HashMap;

use crate::bluezone::BluezoneId;
use crate::identifier::{GaenPayload, Identifier};
use crate::sighting::ScanAggregate;
use crate::time::UnixTime;

use super::format::{get_varint, put_varint};

const KIND_SHORT: u8 = 0b00 << 6;
const KIND_GAEN: u8 = 0b01 << 6;
const KIND_BLUEZONE: u8 = 0b10 << 6;
const KIND_LONG: u8 = 0b11 << 6;
const KIND_MASK: u8 = 0b11 << 6;
const HAS_TX: u8 = 1 << 5;
const PACKED: u8 = 1 << 4;
const DT_ESCAPE: u64 = 15;
const SHORT_DT_ESCAPE: u64 = 7;
const SHORT_MAX_DISTANCE: u32 = 7;
/// Resolution of a chunk's time base, in seconds.
const BASE_UNIT: u64 = 15;

/// The identifier dictionary of the page being written.
#[derive(Debug, Default, Clone)]
pub(crate) struct WriteDict {
    index: HashMap<Identifier, u32>,
    pub(crate) next: u32,
}

/// Encodes the records of one chunk.
pub(crate) struct ChunkEncoder {
    pub(crate) body: Vec<u8>,
    prev: Option<UnixTime>,
    /// Position of the (not yet known) time base in `body`.
    base_at: usize,
    /// Definitions made by this chunk (rolled back if the chunk is abandoned).
    defined: Vec<Identifier>,
    first_def: u32,
}

impl ChunkEncoder {
    pub(crate) fn new(dict: &WriteDict) -> Self {
        let mut body = Vec::with_capacity(256);
        put_varint(&mut body, u64::from(dict.next));
        let base_at = body.len();
        body.extend_from_slice(&[0, 0]);
        Self {
            body,
            prev: None,
            base_at,
            defined: Vec::new(),
            first_def: dict.next,
        }
    }

    /// Number of records encoded.
    pub(crate) fn is_empty(&self) -> bool {
        self.prev.is_none()
    }

    /// Encode `r` into `scratch` as it would follow the records so far (does not commit).
    pub(crate) fn encode(
        &self,
        r: &ScanAggregate,
        day_start: UnixTime,
        dict: &WriteDict,
        scratch: &mut Vec<u8>,
    ) {
        scratch.clear();
        let base = self
            .prev
            .unwrap_or_else(|| chunk_base(r.first_seen, day_start).1);
        let dt = r.first_seen.saturating_secs_since(base);
        let dur = r.last_seen.saturating_secs_since(r.first_seen);
        let packed = dur <= 15 && (1..=16).contains(&r.count);
        let existing = dict.index.get(&r.identifier).copied().or_else(|| {
            self.defined
                .iter()
                .position(|d| *d == r.identifier)
                .map(|p| self.first_def + p as u32)
        });
        let kind = match (existing, &r.identifier) {
            (Some(_), _) => KIND_LONG,
            (None, Identifier::Gaen(_)) => KIND_GAEN,
            (None, Identifier::Bluezone(_)) => KIND_BLUEZONE,
        };
        let newest = dict.next + self.defined.len() as u32;
        let short = existing
            .map(|i| newest.wrapping_sub(1).wrapping_sub(i))
            .filter(|&d| d <= SHORT_MAX_DISTANCE && packed && r.tx_power.is_none());
        if let Some(distance) = short {
            scratch.push(KIND_SHORT | ((distance as u8) << 3) | dt.min(SHORT_DT_ESCAPE) as u8);
            if dt >= SHORT_DT_ESCAPE {
                put_varint(scratch, dt - SHORT_DT_ESCAPE);
            }
        } else {
            let mut tag = kind | dt.min(DT_ESCAPE) as u8;
            if r.tx_power.is_some() {
                tag |= HAS_TX;
            }
            if packed {
                tag |= PACKED;
            }
            scratch.push(tag);
            match (existing, &r.identifier) {
                (Some(i), _) => put_varint(scratch, u64::from(i)),
                (None, Identifier::Gaen(p)) => scratch.extend_from_slice(&p.to_bytes()),
                (None, Identifier::Bluezone(id)) => scratch.extend_from_slice(id.as_bytes()),
            }
            if dt >= DT_ESCAPE {
                put_varint(scratch, dt - DT_ESCAPE);
            }
        }
        if packed {
            scratch.push(((dur as u8) << 4) | (r.count - 1) as u8);
        } else {
            put_varint(scratch, dur);
            put_varint(scratch, u64::from(r.count));
        }
        scratch.push(r.max_rssi as u8);
        scratch.push((i16::from(r.max_rssi) - i16::from(r.mean_rssi)) as u8);
        if let Some(tx) = r.tx_power {
            scratch.push(tx as u8);
        }
    }

    /// Append the record `encode` produced into `scratch`. `day_start` must be the one given
    /// to `encode`.
    pub(crate) fn commit(&mut self, r: &ScanAggregate, day_start: UnixTime, scratch: &[u8]) {
        if scratch
            .first()
            .is_some_and(|t| matches!(t & KIND_MASK, KIND_GAEN | KIND_BLUEZONE))
        {
            self.defined.push(r.identifier);
        }
        if self.prev.is_none() {
            let (units, _) = chunk_base(r.first_seen, day_start);
            self.body[self.base_at..self.base_at + 2].copy_from_slice(&units.to_le_bytes());
        }
        self.body.extend_from_slice(scratch);
        self.prev = Some(r.first_seen);
    }

    /// The chunk was written: its definitions join the page dictionary.
    pub(crate) fn finish(self, dict: &mut WriteDict) -> Vec<u8> {
        for id in self.defined {
            dict.index.insert(id, dict.next);
            dict.next += 1;
        }
        self.body
    }
}

/// The chunk time base for a first record at `t`: 15-second units since the page's midnight,
/// and the time it stands for.
fn chunk_base(t: UnixTime, day_start: UnixTime) -> (u16, UnixTime) {
    // A page holds one UTC day, so the units fit in u16 (86 400 / 15 = 5 760).
    let units = (t.saturating_secs_since(day_start) / BASE_UNIT).min(u64::from(u16::MAX)) as u16;
    (
        units,
        UnixTime::from_secs(day_start.as_secs() + u64::from(units) * BASE_UNIT),
    )
}

impl WriteDict {
    /// Rebuild from the decoded definitions of a page (on open), index by index.
    pub(crate) fn from_defs(defs: &[Option<Identifier>]) -> Self {
        let mut d = Self::default();
        for (i, id) in defs.iter().enumerate() {
            if let Some(id) = id {
                d.index.insert(*id, i as u32);
            }
        }
        d.next = defs.len() as u32;
        d
    }
}

/// The definitions seen while reading a page: `defs[i]` is dictionary entry i, `None` if the
/// chunk defining it was corrupt.
#[derive(Debug, Default)]
pub(crate) struct ReadDict {
    pub(crate) defs: Vec<Option<Identifier>>,
}

/// What decoding one chunk body found.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    /// Records that reference a definition lost to a corrupt chunk, or are malformed.
    pub(crate) skipped: usize,
}

/// Decode a chunk body, pushing its records to `out`.
pub(crate) fn decode_body(
    body: &[u8],
    day_start: UnixTime,
    dict: &mut ReadDict,
    out: &mut Vec<ScanAggregate>,
) -> Decoded {
    let mut d = Decoded::default();
    let mut pos = 0;
    let Some(first_def) = get_varint(body, &mut pos).and_then(|v| usize::try_from(v).ok()) else {
        d.skipped += 1;
        return d;
    };
    // A body cannot define more identifiers than it has bytes.
    if first_def > dict.defs.len() + (1 << 20) {
        d.skipped += 1;
        return d;
    }
    let mut next_def = first_def;
    let Some(base) = body.get(pos..pos + 2) else {
        d.skipped += 1;
        return d;
    };
    pos += 2;
    let units = u64::from(u16::from_le_bytes([base[0], base[1]]));
    let mut prev = UnixTime::from_secs(day_start.as_secs() + units * BASE_UNIT);
    while pos < body.len() {
        match decode_record(body, &mut pos, prev, &mut next_def, dict) {
            Some((first_seen, Some(r))) => {
                prev = first_seen;
                out.push(r);
            }
            // A record whose identifier was lost: its time still advances the deltas.
            Some((first_seen, None)) => {
                prev = first_seen;
                d.skipped += 1;
            }
            None => {
                // Malformed: the rest of the chunk cannot be trusted.
                d.skipped += 1;
                break;
            }
        }
    }
    d
}

/// `None`: malformed. `Some((t, None))`: well-formed, first seen at `t`, but its identifier is
/// unknown.
fn decode_record(
    b: &[u8],
    pos: &mut usize,
    prev: UnixTime,
    next_def: &mut usize,
    dict: &mut ReadDict,
) -> Option<(UnixTime, Option<ScanAggregate>)> {
    let tag = *b.get(*pos)?;
    *pos += 1;
    let kind = tag & KIND_MASK;
    let identifier = match kind {
        KIND_SHORT => {
            let distance = usize::from((tag >> 3) & 7);
            let i = next_def.checked_sub(1 + distance)?;
            dict.defs.get(i).copied().flatten()
        }
        KIND_LONG => {
            let i = usize::try_from(get_varint(b, pos)?).ok()?;
            dict.defs.get(i).copied().flatten()
        }
        KIND_GAEN => {
            let bytes: &[u8; 20] = b.get(*pos..*pos + 20)?.try_into().ok()?;
            *pos += 20;
            let id = Identifier::Gaen(GaenPayload::from_bytes(bytes));
            define(dict, next_def, id);
            Some(id)
        }
        _ => {
            let bytes: [u8; 12] = b.get(*pos..*pos + 12)?.try_into().ok()?;
            *pos += 12;
            let id = Identifier::Bluezone(BluezoneId::from_bytes(bytes));
            define(dict, next_def, id);
            Some(id)
        }
    };
    let (escape, inline, packed, has_tx) = if kind == KIND_SHORT {
        (SHORT_DT_ESCAPE, u64::from(tag & 7), true, false)
    } else {
        (
            DT_ESCAPE,
            u64::from(tag & 15),
            tag & PACKED != 0,
            tag & HAS_TX != 0,
        )
    };
    let mut dt = inline;
    if dt == escape {
        dt = dt.checked_add(get_varint(b, pos)?)?;
    }
    let (dur, count) = if packed {
        let p = *b.get(*pos)?;
        *pos += 1;
        (u64::from(p >> 4), u32::from(p & 0xf) + 1)
    } else {
        let dur = get_varint(b, pos)?;
        let count = u32::try_from(get_varint(b, pos)?).ok().filter(|&c| c > 0)?;
        (dur, count)
    };
    let max_rssi = *b.get(*pos)? as i8;
    let delta = *b.get(*pos + 1)?;
    *pos += 2;
    let mean_rssi = i8::try_from(i16::from(max_rssi) - i16::from(delta)).ok()?;
    let tx_power = if has_tx {
        let t = *b.get(*pos)? as i8;
        *pos += 1;
        Some(t)
    } else {
        None
    };
    let first_seen = prev.checked_add_secs(dt)?;
    let last_seen = first_seen.checked_add_secs(dur)?;
    Some((
        first_seen,
        identifier.map(|identifier| ScanAggregate {
            identifier,
            first_seen,
            last_seen,
            count,
            max_rssi,
            mean_rssi,
            tx_power,
        }),
    ))
}

fn define(dict: &mut ReadDict, next_def: &mut usize, id: Identifier) {
    if dict.defs.len() <= *next_def {
        dict.defs.resize(*next_def + 1, None);
    }
    dict.defs[*next_def] = Some(id);
    *next_def += 1;
}
