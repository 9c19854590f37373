//! The compact, immutable view of the encounter log a match runs against.
//!
//! A GAEN entry is 32 bytes and a Bluezone entry 24; both are sorted by identifier so all the
//! scan instances of one identifier are contiguous. Built once per match run.

use crate::identifier::Identifier;
use crate::sighting::ScanAggregate;
use crate::time::UnixTime;

use super::MatchError;

/// A logged GAEN scan instance as the matcher keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GaenEntry {
    pub(crate) rpi: [u8; 16],
    pub(crate) aem: [u8; 4],
    /// `first_seen`, unix seconds.
    pub(crate) first: u32,
    /// `last_seen`, unix seconds.
    pub(crate) last: u32,
    pub(crate) max_rssi: i8,
    pub(crate) mean_rssi: i8,
}

/// A logged Bluezone scan instance as the matcher keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BluezoneEntry {
    pub(crate) id: [u8; 12],
    pub(crate) first: u32,
    pub(crate) last: u32,
    pub(crate) max_rssi: i8,
    pub(crate) mean_rssi: i8,
    pub(crate) tx_power: Option<i8>,
}

/// The logged scan instances of one match run, indexed by identifier.
///
/// ```
/// use proxtrace::matching::EncounterIndex;
/// let index = EncounterIndex::builder().finish();
/// assert_eq!(index.len(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct EncounterIndex {
    pub(crate) gaen: Vec<GaenEntry>,
    pub(crate) bluezone: Vec<BluezoneEntry>,
}

/// Collects scan instances into an [`EncounterIndex`].
#[derive(Debug, Default)]
pub struct EncounterIndexBuilder {
    gaen: Vec<GaenEntry>,
    bluezone: Vec<BluezoneEntry>,
}

fn secs32(t: UnixTime) -> Result<u32, MatchError> {
    u32::try_from(t.as_secs()).map_err(|_| MatchError::TimeOutOfRange(t))
}

impl EncounterIndexBuilder {
    /// Reserve room for `records` scan instances up front (e.g. the log's record count), so
    /// building never holds two copies of the entries while a vector grows.
    pub fn reserve(&mut self, gaen: usize, bluezone: usize) {
        self.gaen.reserve_exact(gaen);
        self.bluezone.reserve_exact(bluezone);
    }

    /// Add one logged scan instance.
    ///
    /// Fails for times past 2106 (the matcher keeps 32-bit seconds) or a `last_seen` before
    /// `first_seen`.
    pub fn push(&mut self, rec: &ScanAggregate) -> Result<(), MatchError> {
        let first = secs32(rec.first_seen)?;
        let last = secs32(rec.last_seen)?;
        if last < first {
            return Err(MatchError::InvalidRecord(format!(
                "last_seen {} is before first_seen {}",
                rec.last_seen, rec.first_seen
            )));
        }
        match rec.identifier {
            Identifier::Gaen(p) => self.gaen.push(GaenEntry {
                rpi: *p.rpi.as_bytes(),
                aem: *p.aem.as_bytes(),
                first,
                last,
                max_rssi: rec.max_rssi,
                mean_rssi: rec.mean_rssi,
            }),
            Identifier::Bluezone(id) => self.bluezone.push(BluezoneEntry {
                id: *id.as_bytes(),
                first,
                last,
                max_rssi: rec.max_rssi,
                mean_rssi: rec.mean_rssi,
                tx_power: rec.tx_power,
            }),
        }
        Ok(())
    }

    /// Sort and freeze (spare capacity is released).
    pub fn finish(mut self) -> EncounterIndex {
        self.gaen.shrink_to_fit();
        self.bluezone.shrink_to_fit();
        self.gaen.sort_unstable_by_key(|e| (e.rpi, e.first, e.last));
        self.bluezone
            .sort_unstable_by_key(|e| (e.id, e.first, e.last));
        EncounterIndex {
            gaen: self.gaen,
            bluezone: self.bluezone,
        }
    }
}

impl EncounterIndex {
    /// A builder.
    pub fn builder() -> EncounterIndexBuilder {
        EncounterIndexBuilder::default()
    }

    /// Index a collection of scan instances.
    ///
    /// Sized exactly when the iterator knows its length (slices, vectors); otherwise see
    /// [`EncounterIndexBuilder::reserve`].
    pub fn from_records<'a>(
        records: impl IntoIterator<Item = &'a ScanAggregate>,
    ) -> Result<Self, MatchError> {
        let records = records.into_iter();
        let (n, _) = records.size_hint();
        let mut b = Self::builder();
        let mut records = records.peekable();
        // Both schemes rarely share one log; reserve for the scheme of the first record.
        match records.peek().map(|r| r.identifier.scheme()) {
            Some(crate::identifier::Scheme::Gaen) => b.reserve(n, 0),
            Some(crate::identifier::Scheme::Bluezone) => b.reserve(0, n),
            None => {}
        }
        for r in records {
            b.push(r)?;
        }
        Ok(b.finish())
    }

    /// Number of scan instances indexed.
    pub fn len(&self) -> usize {
        self.gaen.len() + self.bluezone.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held by the index.
    pub fn heap_bytes(&self) -> usize {
        self.gaen.capacity() * size_of::<GaenEntry>()
            + self.bluezone.capacity() * size_of::<BluezoneEntry>()
    }

    /// The GAEN entries with this RPI, as an index range into `self.gaen`.
    pub(crate) fn gaen_range(&self, rpi: &[u8; 16]) -> std::ops::Range<usize> {
        let lo = self.gaen.partition_point(|e| e.rpi < *rpi);
        let hi = lo + self.gaen[lo..].partition_point(|e| e.rpi == *rpi);
        lo..hi
    }

    /// The Bluezone entries with this ID, as an index range into `self.bluezone`.
    pub(crate) fn bluezone_range(&self, id: &[u8; 12]) -> std::ops::Range<usize> {
        let lo = self.bluezone.partition_point(|e| e.id < *id);
        let hi = lo + self.bluezone[lo..].partition_point(|e| e.id == *id);
        lo..hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_compact() {
        assert_eq!(size_of::<GaenEntry>(), 32);
        assert_eq!(size_of::<BluezoneEntry>(), 24);
    }
}
